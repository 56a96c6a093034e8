#include "base/units.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <string>

#include "base/strings.h"

namespace faasnet {

namespace {

struct Suffix {
  const char* name;
  double factor;
};

// Splits "10.5MB/s" into 10.5 and "mb/s" (lower-cased, spaces dropped).
Status SplitNumber(std::string_view text, double* number, std::string* suffix) {
  std::string t;
  for (char c : text) {
    if (!std::isspace(static_cast<unsigned char>(c))) t += c;
  }
  size_t i = 0;
  while (i < t.size() && (std::isdigit(static_cast<unsigned char>(t[i])) || t[i] == '.')) ++i;
  if (i == 0) return Status::InvalidArgument("'" + std::string(text) + "' does not start with a number");
  std::string num = t.substr(0, i);
  if (num.find('.') != num.rfind('.')) return Status::InvalidArgument("'" + std::string(text) + "' is not a number");
  char* end = nullptr;
  *number = std::strtod(num.c_str(), &end);
  if (end != num.c_str() + num.size() || !std::isfinite(*number)) {
    return Status::InvalidArgument("'" + std::string(text) + "' is not a number");
  }
  *suffix = ToLower(t.substr(i));
  return Status::Ok();
}

Result<double> Scale(std::string_view text, double number, const std::string& suffix,
                     std::initializer_list<Suffix> table, const char* what) {
  for (const auto& s : table) {
    if (suffix == s.name) return number * s.factor;
  }
  return Status::InvalidArgument("'" + std::string(text) + "': unknown " + what + " unit '" + suffix + "'");
}

}  // namespace

Result<uint64_t> ParseBytes(std::string_view text) {
  double n;
  std::string suffix;
  RETURN_IF_ERROR(SplitNumber(text, &n, &suffix));
  ASSIGN_OR_RETURN(double v, Scale(text, n, suffix,
                                   {{"", 1}, {"b", 1}, {"k", 1e3}, {"kb", 1e3}, {"m", 1e6}, {"mb", 1e6},
                                    {"g", 1e9}, {"gb", 1e9}, {"t", 1e12}, {"tb", 1e12},
                                    {"kib", 1024.0}, {"mib", 1048576.0}, {"gib", 1073741824.0},
                                    {"tib", 1099511627776.0}},
                                   "size"));
  if (v > 1.8e19) return Status::InvalidArgument("'" + std::string(text) + "' is too large");
  if (v != std::floor(v)) return Status::InvalidArgument("'" + std::string(text) + "' is not a whole number of bytes");
  return static_cast<uint64_t>(v);
}

Result<uint64_t> ParseRateBps(std::string_view text) {
  double n;
  std::string suffix;
  RETURN_IF_ERROR(SplitNumber(text, &n, &suffix));
  if (suffix.empty()) {
    return Status::InvalidArgument("'" + std::string(text) + "': say the unit of the rate (e.g. 10Mbit or 70MB/s)");
  }
  ASSIGN_OR_RETURN(double v, Scale(text, n, suffix,
                                   {{"bit", 1}, {"bps", 1}, {"bit/s", 1},
                                    {"kbit", 1e3}, {"kbps", 1e3}, {"kbit/s", 1e3},
                                    {"mbit", 1e6}, {"mbps", 1e6}, {"mbit/s", 1e6},
                                    {"gbit", 1e9}, {"gbps", 1e9}, {"gbit/s", 1e9},
                                    {"b/s", 8}, {"kb/s", 8e3}, {"mb/s", 8e6}, {"gb/s", 8e9},
                                    {"kib/s", 8 * 1024.0}, {"mib/s", 8 * 1048576.0},
                                    {"gib/s", 8 * 1073741824.0}},
                                   "rate"));
  if (v > 1.8e19) return Status::InvalidArgument("'" + std::string(text) + "' is too large");
  return static_cast<uint64_t>(std::llround(v));
}

Result<std::chrono::nanoseconds> ParseDuration(std::string_view text) {
  double n;
  std::string suffix;
  RETURN_IF_ERROR(SplitNumber(text, &n, &suffix));
  if (suffix.empty()) {
    return Status::InvalidArgument("'" + std::string(text) + "': say the unit of the duration (e.g. 100ms or 30s)");
  }
  ASSIGN_OR_RETURN(double v, Scale(text, n, suffix,
                                   {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9},
                                    {"min", 60e9}, {"h", 3600e9}},
                                   "duration"));
  if (v > 9.2e18) return Status::InvalidArgument("'" + std::string(text) + "' is too long");
  return std::chrono::nanoseconds(static_cast<int64_t>(std::llround(v)));
}

std::string FormatBytes(uint64_t bytes) {
  char buf[32];
  double b = static_cast<double>(bytes);
  if (bytes < kKB) {
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  } else if (bytes < kMB) {
    std::snprintf(buf, sizeof buf, "%.3g kB", b / 1e3);
  } else if (bytes < kGB) {
    std::snprintf(buf, sizeof buf, "%.3g MB", b / 1e6);
  } else {
    std::snprintf(buf, sizeof buf, "%.3g GB", b / 1e9);
  }
  return buf;
}

std::string FormatByteRate(double bytes_per_second) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB/s", bytes_per_second / 1e6);
  return buf;
}

}  // namespace faasnet
