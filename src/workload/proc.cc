#include "workload/proc.h"

#include <sys/resource.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "base/strings.h"

namespace faasnet::workload {
namespace {

// Splits on runs of spaces and tabs.
std::vector<std::string_view> Fields(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

bool ParseU64(std::string_view s, uint64_t* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

size_t Depth(std::string_view path) {
  size_t n = 0;
  for (std::string_view seg : Split(path, '/')) n += !seg.empty();
  return n;
}

double Ms(const timeval& tv) { return tv.tv_sec * 1000.0 + tv.tv_usec / 1000.0; }

class SystemEnv final : public Environment {
 public:
  std::optional<std::string> GetEnv(std::string_view name) const override {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  }
  Result<std::string> ReadFile(const std::string& path) const override {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::FromErrno(errno, "open", path);
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return Status::IoError("read " + path + ": failed");
    return text.str();
  }
  CpuUsage Cpu() const override {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return {Ms(u.ru_utime), Ms(u.ru_stime)};
  }
};

}  // namespace

Result<NetDevCounters> ParseNetDev(std::string_view text) {
  NetDevCounters out;
  int line_no = 0;
  for (std::string_view line : Split(text, '\n')) {
    ++line_no;
    if (line_no <= 2 || Trim(line).empty()) continue;  // the two header lines
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos)
      return Status::InvalidArgument("/proc/net/dev line " + std::to_string(line_no) + ": no ':' after the name");
    std::string_view name = Trim(line.substr(0, colon));
    std::vector<std::string_view> f = Fields(line.substr(colon + 1));
    uint64_t rx = 0, tx = 0;
    if (f.size() < 16 || !ParseU64(f[0], &rx) || !ParseU64(f[8], &tx))
      return Status::InvalidArgument("/proc/net/dev line " + std::to_string(line_no) + " (" + std::string(name) +
                                     "): expected 16 counters");
    if (name == "lo") continue;
    out.rx_bytes += rx;
    out.tx_bytes += tx;
    ++out.interfaces;
  }
  return out;
}

std::vector<CgroupLine> ParseCgroup(std::string_view text) {
  std::vector<CgroupLine> out;
  for (std::string_view line : Split(text, '\n')) {
    if (Trim(line).empty()) continue;
    CgroupLine c;
    c.text = std::string(line);
    const size_t a = line.find(':');
    const size_t b = a == std::string_view::npos ? a : line.find(':', a + 1);
    if (b != std::string_view::npos) {
      c.hierarchy_id = std::string(line.substr(0, a));
      c.controllers = std::string(line.substr(a + 1, b - a - 1));
      c.path = std::string(line.substr(b + 1));
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::string PaperHostKey(const std::vector<CgroupLine>& lines) {
  for (const CgroupLine& c : lines) {
    for (std::string_view seg : Split(c.path, '/')) {
      if (seg.starts_with("sandbox-root")) return std::string(seg);
    }
  }
  const CgroupLine* deepest = nullptr;
  for (const CgroupLine& c : lines) {
    if (deepest == nullptr || Depth(c.path) > Depth(deepest->path)) deepest = &c;
  }
  // A sandbox's own cgroup under a parent that is not the root: otherwise the parent tells no host apart.
  if (deepest == nullptr || Depth(deepest->path) < 2) return "";
  std::string_view p = deepest->path;
  while (p.size() > 1 && p.back() == '/') p.remove_suffix(1);
  const size_t slash = p.rfind('/');
  std::string_view parent = p.substr(0, slash == std::string_view::npos ? 0 : slash);
  return std::string(parent);
}

Environment& SystemEnvironment() {
  static SystemEnv env;
  return env;
}

}  // namespace faasnet::workload
