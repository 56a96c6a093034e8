#include "s3/credentials.h"

#include "base/strings.h"

namespace faasnet::s3 {

namespace {

class Parser {
 public:
  explicit Parser(std::string_view file_name) : file_name_(file_name) {}

  Status Line(std::string_view raw) {
    ++line_;
    std::string_view line = Trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') return Status::Ok();
    if (line.front() == '[') return Section(line);
    return KeyValue(line);
  }

  Result<std::vector<Profile>> Finish() {
    RETURN_IF_ERROR(CloseProfile());
    return std::move(profiles_);
  }

 private:
  Status Error(const std::string& reason) const {
    return Status::InvalidArgument(std::string(file_name_) + ":" + std::to_string(line_) + ": " + reason);
  }

  Status Section(std::string_view line) {
    if (line.back() != ']') return Error("unterminated section header \"" + std::string(line) + "\"");
    std::string name(Trim(line.substr(1, line.size() - 2)));
    if (name.empty()) return Error("empty profile name");
    RETURN_IF_ERROR(CloseProfile());
    if (FindProfile(profiles_, name) != nullptr) return Error("profile [" + name + "] appears twice");
    profiles_.push_back(Profile{name, {}, {}});
    section_line_ = line_;
    return Status::Ok();
  }

  Status KeyValue(std::string_view line) {
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return Error("expected \"[profile]\", \"key = value\" or a comment, got \"" + std::string(line) + "\"");
    }
    if (profiles_.empty()) return Error("key outside of any [profile] section");
    std::string key = ToLower(Trim(line.substr(0, eq)));
    std::string value(Trim(line.substr(eq + 1)));
    if (key.empty()) return Error("empty key");
    Profile& p = profiles_.back();
    if (!p.settings.emplace(key, value).second) return Error("key \"" + key + "\" repeated in [" + p.name + "]");
    if (key == "aws_access_key_id") p.credentials.access_key_id = value;
    if (key == "aws_secret_access_key") p.credentials.secret_access_key = value;
    if (key == "aws_session_token") p.credentials.session_token = value;
    return Status::Ok();
  }

  // Checks the profile being closed has both keys or neither.
  Status CloseProfile() {
    if (profiles_.empty()) return Status::Ok();
    const Profile& p = profiles_.back();
    bool has_id = p.settings.contains("aws_access_key_id");
    bool has_secret = p.settings.contains("aws_secret_access_key");
    if (has_id == has_secret) return Status::Ok();
    return Status::InvalidArgument(std::string(file_name_) + ":" + std::to_string(section_line_) + ": profile [" +
                                   p.name + "] has " +
                                   (has_id ? "aws_access_key_id without aws_secret_access_key"
                                           : "aws_secret_access_key without aws_access_key_id"));
  }

  std::string_view file_name_;
  int line_ = 0;
  int section_line_ = 0;
  std::vector<Profile> profiles_;
};

}  // namespace

Result<std::vector<Profile>> ParseCredentialsFile(std::string_view text, std::string_view file_name) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  Parser parser(file_name);
  for (std::string_view line : Split(text, '\n')) RETURN_IF_ERROR(parser.Line(line));
  return parser.Finish();
}

const Profile* FindProfile(const std::vector<Profile>& profiles, std::string_view name) {
  for (const Profile& p : profiles) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

Status CredentialStore::Add(const Credentials& credentials) {
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
    return Status::InvalidArgument("credential store: empty access key id or secret");
  }
  auto [it, inserted] = by_key_.emplace(credentials.access_key_id, credentials);
  if (!inserted && it->second.secret_access_key != credentials.secret_access_key) {
    return Status::InvalidArgument("credential store: access key id " + credentials.access_key_id +
                                   " appears twice with different secrets");
  }
  return Status::Ok();
}

Status CredentialStore::AddProfiles(const std::vector<Profile>& profiles) {
  for (const Profile& p : profiles) {
    if (p.credentials.access_key_id.empty() && p.credentials.secret_access_key.empty()) continue;
    RETURN_IF_ERROR(Add(p.credentials).WithContext("profile [" + p.name + "]"));
  }
  return Status::Ok();
}

const Credentials* CredentialStore::Find(std::string_view access_key_id) const {
  auto it = by_key_.find(access_key_id);
  return it == by_key_.end() ? nullptr : &it->second;
}

std::optional<std::string> CredentialStore::SecretFor(std::string_view access_key_id) const {
  const Credentials* c = Find(access_key_id);
  if (c == nullptr) return std::nullopt;
  return c->secret_access_key;
}

SecretLookup CredentialStore::AsLookup() const {
  return [this](std::string_view access_key_id) { return SecretFor(access_key_id); };
}

}  // namespace faasnet::s3
