#include "s3/names.h"

#include <string>

#include "base/strings.h"

namespace faasnet::s3 {

namespace {

bool IsLowerOrDigit(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// Four dot-separated decimal groups of 1..3 digits, like 192.168.5.4.
bool LooksLikeIpv4(std::string_view s) {
  auto groups = Split(s, '.');
  if (groups.size() != 4) return false;
  for (auto g : groups) {
    if (g.empty() || g.size() > 3) return false;
    for (char c : g) {
      if (c < '0' || c > '9') return false;
    }
  }
  return true;
}

S3Error BadBucket(std::string_view name, std::string_view why) {
  return S3Error::InvalidBucketName("The specified bucket is not valid: \"" + std::string(name) + "\" " +
                                    std::string(why) + ".");
}

}  // namespace

S3Error ValidateBucketName(std::string_view name) {
  if (name.size() < 3 || name.size() > 63) return BadBucket(name, "must be 3 to 63 characters long");
  for (char c : name) {
    if (!IsLowerOrDigit(c) && c != '.' && c != '-') {
      return BadBucket(name, "may contain only lower-case letters, digits, '.' and '-'");
    }
  }
  if (!IsLowerOrDigit(name.front()) || !IsLowerOrDigit(name.back())) {
    return BadBucket(name, "must begin and end with a letter or digit");
  }
  if (name.find("..") != std::string_view::npos) return BadBucket(name, "must not contain \"..\"");
  if (LooksLikeIpv4(name)) return BadBucket(name, "must not be formatted as an IP address");
  for (std::string_view prefix : {"xn--", "sthree-", "amzn-s3-demo-"}) {
    if (name.starts_with(prefix)) return BadBucket(name, "must not start with \"" + std::string(prefix) + "\"");
  }
  for (std::string_view suffix : {"-s3alias", "--ol-s3"}) {
    if (name.ends_with(suffix)) return BadBucket(name, "must not end with \"" + std::string(suffix) + "\"");
  }
  return S3Error::Ok();
}

S3Error ValidateObjectKey(std::string_view key) {
  if (key.empty()) return S3Error::InvalidArgument("Object key must not be empty");
  if (key.size() > kMaxKeyBytes) return S3Error::KeyTooLongError();
  if (!IsValidUtf8(key)) return S3Error::InvalidArgument("Object key is not valid UTF-8");
  if (key.find('\0') != std::string_view::npos) return S3Error::InvalidArgument("Object key contains NUL");
  if (key.front() == '/') return S3Error::InvalidArgument("Object key must not start with '/'");
  for (std::string_view segment : Split(key, '/')) {
    if (segment == "." || segment == "..") {
      return S3Error::InvalidArgument("Object key must not contain a \".\" or \"..\" path segment");
    }
  }
  return S3Error::Ok();
}

}  // namespace faasnet::s3
