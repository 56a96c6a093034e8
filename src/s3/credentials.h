// AWS shared-credentials files (~/.aws/credentials) and the server's table of
// users built from them.
//
// Format (INI, as the AWS CLI reads it):
//   # comment            ; comment   (only at the start of a line)
//   [default]
//   aws_access_key_id = AKIA...
//   aws_secret_access_key = wJal...
//   aws_session_token = ...          (optional)
//   region = us-east-1               (any other key is kept in `settings`)
// Whitespace around names, keys and values is ignored, keys are
// case-insensitive, a value runs to the end of the line (it may contain '='),
// CRLF line ends and a UTF-8 BOM are accepted.
// Errors are Status::InvalidArgument "<file>:<line>: <reason>" for: a line
// that is neither a section, a key = value nor a comment; a key before the
// first section; an empty or unterminated section name; a repeated section or
// key; an empty key; a profile with only one of aws_access_key_id /
// aws_secret_access_key. A profile with neither is kept (it may hold other
// settings) and is ignored by CredentialStore.
//
// Ownership: values. Thread-safety: ParseCredentialsFile is pure; a
// CredentialStore may be read from many threads once filled (Add is not
// synchronised).
#ifndef FAASNET_S3_CREDENTIALS_H_
#define FAASNET_S3_CREDENTIALS_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "s3/sigv4.h"

namespace faasnet::s3 {

struct Profile {
  std::string name;
  Credentials credentials;  // empty key fields when the profile has none
  // Every key = value of the section (keys lower-cased), including the three above.
  std::map<std::string, std::string, std::less<>> settings;
};

// Parses the text of a credentials file; `file_name` only labels errors.
// Success: the profiles in file order.
Result<std::vector<Profile>> ParseCredentialsFile(std::string_view text, std::string_view file_name = "credentials");

// The profile called `name`, or nullptr.
const Profile* FindProfile(const std::vector<Profile>& profiles, std::string_view name);

// Access key id -> credentials, across any number of profiles (one per user).
class CredentialStore {
 public:
  // Adds one user. Error (InvalidArgument) for an empty key id or secret, or
  // a key id already present with a different secret; re-adding the same
  // pair is a no-op.
  Status Add(const Credentials& credentials);
  // Adds every profile that has keys; stops at the first error, which names
  // the profile.
  Status AddProfiles(const std::vector<Profile>& profiles);

  // The credentials for `access_key_id`, or nullptr.
  const Credentials* Find(std::string_view access_key_id) const;
  // The secret for `access_key_id`, or nullopt.
  std::optional<std::string> SecretFor(std::string_view access_key_id) const;
  // A SecretLookup for VerifyRequest that reads this store; the store must
  // outlive it.
  SecretLookup AsLookup() const;

  size_t size() const { return by_key_.size(); }

 private:
  std::map<std::string, Credentials, std::less<>> by_key_;
};

}  // namespace faasnet::s3

#endif  // FAASNET_S3_CREDENTIALS_H_
