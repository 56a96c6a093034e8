#include "suite/scenario.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace faasnet::suite {
namespace {

enum class Kind { kInt, kNumber, kString, kBool, kIntList };

// Every experiment key: the one table behind parsing, validation and help.
struct KeyDef {
  const char* name;
  Kind kind;
  bool sweepable;
  double min, max;                       // numbers
  std::vector<std::string> choices;      // strings ({} = any)
  const char* help;
  const char* example;
};

const std::vector<KeyDef>& Keys() {
  static const std::vector<KeyDef> keys = {
      {"name", Kind::kString, false, 0, 0, {}, "the experiment's name (unique in the scenario)", "download"},
      {"description", Kind::kString, false, 0, 0, {}, "what it measures", "S3 download time vs memory"},
      {"workload", Kind::kString, true, 0, 0, {"probe", "boto3"},
       "the function: `probe` (native C++) or `boto3` (Python, the paper's)", "probe"},
      {"action", Kind::kString, true, 0, 0, {"s3-get", "s3-put", "iperf", "host-id", "noop"},
       "what the function does per invocation", "s3-get"},
      {"memory_mb", Kind::kInt, true, 128, 10240, {}, "the function's memory size (MB)", "[128, 256, 512]"},
      {"memory_mix", Kind::kIntList, true, 128, 10240, {},
       "co-located functions of these memory sizes, started together on one host (one invocation each)",
       "[128, 256, 512, 1024]"},
      {"chunk_mb", Kind::kNumber, true, 0.001, 10000, {}, "object size per s3 invocation (MB = 10^6 bytes)", "10"},
      {"concurrency", Kind::kInt, true, 1, 1000, {}, "workers pulling the job's chunks from one queue", "4"},
      {"chunks", Kind::kInt, true, 0, 100000, {},
       "chunks in the job (0: one invocation per worker per repetition)", "100"},
      {"colocated", Kind::kInt, true, 1, 1000, {},
       "N functions started together (barrier) on one host, one invocation each", "[1, 2, 4, 8]"},
      {"direction", Kind::kString, true, 0, 0, {"up", "down"}, "iperf: upload (function -> server) or download", "down"},
      {"duration_s", Kind::kInt, true, 1, 600, {}, "iperf: whole seconds per test", "10"},
      {"fetch", Kind::kBool, true, 0, 0, {}, "s3-put: download the object first (untimed), as the paper did", "true"},
      {"repetitions", Kind::kInt, false, 1, 100000, {}, "times each cell runs", "{quick: 3, full: 10}"},
      {"start", Kind::kString, false, 0, 0, {"warm", "cold"},
       "warm: sandboxes made before timing; cold: new sandboxes for every repetition", "warm"},
      {"timeout_s", Kind::kInt, false, 1, 900, {}, "function timeout; a cell is cut off after repetitions x this", "120"},
      {"profile", Kind::kString, true, 0, 0, {},
       "local region: network profile (profiles/*.yaml name or file)", "lambda-2019"},
      {"cpu_policy", Kind::kString, true, 0, 0, {"paper-2019", "lambda", "fixed"}, "local region: memory -> CPU",
       "paper-2019"},
      {"placement", Kind::kString, true, 0, 0, {"binpack", "spread", "random"}, "local region: placement",
       "binpack"},
      {"hosts", Kind::kInt, true, 1, 64, {}, "local region: emulated hosts (at least what the cell's memory needs)", "2"},
      {"host_vcpus", Kind::kNumber, true, 0.1, 256, {}, "local region: vCPUs per emulated host", "2"},
      {"host_memory_mb", Kind::kInt, true, 512, 1048576, {}, "local region: memory per emulated host (MB)", "3840"},
  };
  return keys;
}

const KeyDef* FindKey(std::string_view name) {
  for (const auto& k : Keys())
    if (name == k.name) return &k;
  return nullptr;
}

struct Ctx {
  std::string source;
  Size size;
  Status Error(const YAML::Node& n, std::string_view key, std::string_view what) const {
    return Status::InvalidArgument(source + ": line " + std::to_string(n.Mark().line + 1) + ": " + std::string(key) +
                                   ": " + std::string(what));
  }
};

// `{quick: x, full: y}` -> the value for the size.
YAML::Node Sized(const YAML::Node& n, Size size) {
  if (n.IsMap() && n.size() == 2 && n["quick"] && n["full"]) return n[size == Size::kQuick ? "quick" : "full"];
  return n;
}

Result<nlohmann::json> Scalar(const Ctx& c, const YAML::Node& n, const KeyDef& k) {
  if (!n.IsScalar()) return c.Error(n, k.name, "expected a single value");
  const std::string s = n.Scalar();
  try {
    switch (k.kind) {
      case Kind::kInt: {
        size_t used = 0;
        long long v = std::stoll(s, &used);
        if (used != s.size()) throw std::invalid_argument(s);
        if (v < k.min || v > k.max)
          return c.Error(n, k.name, s + " is outside [" + std::to_string(static_cast<long long>(k.min)) + ", " +
                                        std::to_string(static_cast<long long>(k.max)) + "]");
        return nlohmann::json(v);
      }
      case Kind::kNumber: {
        size_t used = 0;
        double v = std::stod(s, &used);
        if (used != s.size()) throw std::invalid_argument(s);
        if (v < k.min || v > k.max) return c.Error(n, k.name, s + " is out of range");
        return nlohmann::json(v);
      }
      case Kind::kBool:
        if (s == "true") return nlohmann::json(true);
        if (s == "false") return nlohmann::json(false);
        return c.Error(n, k.name, "'" + s + "' is not true or false");
      case Kind::kString:
        if (!k.choices.empty() && std::find(k.choices.begin(), k.choices.end(), s) == k.choices.end()) {
          std::string all;
          for (auto& ch : k.choices) all += (all.empty() ? "" : ", ") + ch;
          return c.Error(n, k.name, "'" + s + "' is not one of " + all);
        }
        return nlohmann::json(s);
      case Kind::kIntList:
        break;
    }
  } catch (const std::exception&) {
    return c.Error(n, k.name, "'" + s + "' is not a " + (k.kind == Kind::kInt ? "whole number" : "number"));
  }
  return c.Error(n, k.name, "expected a list");
}

Result<nlohmann::json> IntList(const Ctx& c, const YAML::Node& n, const KeyDef& k) {
  if (!n.IsSequence() || n.size() == 0) return c.Error(n, k.name, "expected a non-empty list of memory sizes");
  nlohmann::json out = nlohmann::json::array();
  KeyDef one = k;
  one.kind = Kind::kInt;
  for (const auto& e : n) {
    auto v = Scalar(c, Sized(e, c.size), one);
    if (!v.ok()) return v;
    out.push_back(*v);
  }
  return out;
}

// Parses one experiment's (or the defaults') keys into fixed/sweep.
Status ParseParams(const Ctx& c, const YAML::Node& map, Experiment* e, bool defaults) {
  for (const auto& kv : map) {
    std::string key = kv.first.as<std::string>();
    const KeyDef* k = FindKey(key);
    if (!k) return c.Error(kv.first, key, "unknown key (see docs/formats/scenario.md)");
    if (defaults && (key == "name" || key == "description")) return c.Error(kv.first, key, "not allowed in defaults");
    YAML::Node v = Sized(kv.second, c.size);
    if (key == "name") {
      e->name = v.as<std::string>();
      continue;
    }
    if (key == "description") {
      e->description = v.as<std::string>();
      continue;
    }
    bool list = k->kind == Kind::kIntList ? (v.IsSequence() && v.size() && Sized(v[0], c.size).IsSequence())
                                          : v.IsSequence();
    if (list) {
      if (!k->sweepable) return c.Error(v, key, "cannot be swept (give one value)");
      if (v.size() == 0) return c.Error(v, key, "an empty list sweeps nothing");
      nlohmann::json values = nlohmann::json::array();
      for (const auto& item : v) {
        auto one = k->kind == Kind::kIntList ? IntList(c, Sized(item, c.size), *k) : Scalar(c, Sized(item, c.size), *k);
        if (!one.ok()) return one.status();
        values.push_back(*one);
      }
      // A later definition (the experiment over the defaults) wins.
      std::erase_if(e->sweep, [&](auto& p) { return p.first == key; });
      e->fixed.erase(key);
      e->sweep.emplace_back(key, values);
    } else {
      auto one = k->kind == Kind::kIntList ? IntList(c, v, *k) : Scalar(c, v, *k);
      if (!one.ok()) return one.status();
      std::erase_if(e->sweep, [&](auto& p) { return p.first == key; });
      e->fixed[key] = *one;
    }
  }
  return Status::Ok();
}

std::string ValueText(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    std::string s;
    for (auto& x : v) s += (s.empty() ? "" : "+") + ValueText(x);
    return s;
  }
  if (v.is_number_float()) {
    std::ostringstream o;
    o << v.get<double>();
    return o.str();
  }
  return v.dump();
}

}  // namespace

const char* SizeName(Size s) { return s == Size::kQuick ? "quick" : "full"; }

Result<Size> ParseSize(std::string_view s) {
  if (s == "quick") return Size::kQuick;
  if (s == "full") return Size::kFull;
  return Status::InvalidArgument("--size '" + std::string(s) + "': expected quick or full");
}

Result<Scenario> Scenario::FromYaml(std::string_view text, Size size, std::string_view source_name) {
  Ctx c{std::string(source_name), size};
  Scenario s;
  s.file = std::string(source_name);
  s.text = std::string(text);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(c.source + ": line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  if (!root.IsMap()) return Status::InvalidArgument(c.source + ": a scenario is a YAML mapping");
  Experiment defaults;
  try {
    for (const auto& kv : root) {
      std::string key = kv.first.as<std::string>();
      const YAML::Node& v = kv.second;
      if (key == "name") s.name = v.as<std::string>();
      else if (key == "description") s.description = v.as<std::string>();
      else if (key == "how_to_read") s.how_to_read = v.as<std::string>();
      else if (key == "include") {
        if (!v.IsSequence()) return c.Error(v, key, "expected a list of scenario names");
        for (const auto& i : v) s.include.push_back(i.as<std::string>());
      } else if (key == "defaults") {
        if (!v.IsMap()) return c.Error(v, key, "expected a mapping of experiment keys");
        if (auto st = ParseParams(c, v, &defaults, true); !st.ok()) return st;
      } else if (key == "experiments") {
        if (!v.IsSequence() || v.size() == 0) return c.Error(v, key, "expected a non-empty list of experiments");
        std::set<std::string> names;
        for (const auto& en : v) {
          if (!en.IsMap()) return c.Error(en, key, "each experiment is a mapping");
          Experiment e = defaults;
          if (auto st = ParseParams(c, en, &e, false); !st.ok()) return st;
          if (e.name.empty()) return c.Error(en, "name", "every experiment needs a name");
          if (!names.insert(e.name).second) return c.Error(en, "name", "'" + e.name + "' is used twice");
          s.experiments.push_back(std::move(e));
        }
      } else {
        return c.Error(kv.first, key,
                       "unknown key (a scenario has name, description, how_to_read, include, defaults, experiments)");
      }
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(c.source + ": line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  if (s.name.empty()) return Status::InvalidArgument(c.source + ": name: missing");
  if (s.include.empty() == s.experiments.empty())
    return Status::InvalidArgument(c.source + ": a scenario has either experiments or include (not " +
                                   (s.include.empty() ? "neither" : "both") + ")");
  if (auto cells = s.Cells(); !cells.ok()) return cells.status();
  return s;
}

Result<Scenario> Scenario::FromFile(const std::string& path, Size size) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("scenario file " + path + ": cannot be read");
  std::stringstream ss;
  ss << in.rdbuf();
  return FromYaml(ss.str(), size, path);
}

Result<std::vector<Cell>> Scenario::Cells() const {
  std::vector<Cell> cells;
  for (const auto& e : experiments) {
    // Cartesian product, the first key varying slowest.
    size_t total = 1;
    for (const auto& sw : e.sweep) total *= sw.second.size();
    if (total > 100000) return Status::InvalidArgument(file + ": experiment " + e.name + ": more than 100000 cells");
    for (size_t n = 0; n < total; ++n) {
      std::vector<size_t> idx(e.sweep.size(), 0);
      for (size_t i = e.sweep.size(), rest = n; i-- > 0;) {
        idx[i] = rest % e.sweep[i].second.size();
        rest /= e.sweep[i].second.size();
      }
      nlohmann::json p = e.fixed;
      std::string swept;
      for (size_t i = 0; i < e.sweep.size(); ++i) {
        const auto& [k, values] = e.sweep[i];
        p[k] = values[idx[i]];
        swept += (swept.empty() ? "" : ",") + k + "=" + ValueText(values[idx[i]]);
      }
      Cell cell;
      cell.scenario = name;
      cell.experiment = e.name;
      cell.id = name + "/" + e.name + "/" + (swept.empty() ? "base" : swept);
      cell.workload = p.value("workload", "probe");
      cell.action = p.value("action", "s3-get");
      cell.chunk_mb = p.value("chunk_mb", 10.0);
      cell.repetitions = p.value("repetitions", 1);
      cell.cold = p.value("start", "warm") == "cold";
      cell.timeout_s = p.value("timeout_s", 300);
      cell.profile = p.value("profile", "");
      cell.cpu_policy = p.value("cpu_policy", "");
      cell.placement = p.value("placement", "");
      cell.hosts = p.value("hosts", 0);
      cell.host_vcpus = p.value("host_vcpus", 0.0);
      cell.host_memory_mb = p.value("host_memory_mb", 0);
      std::string where = file + ": experiment " + e.name + ": cell " + cell.id + ": ";
      if (p.contains("memory_mix")) {
        if (p.contains("colocated") || p.contains("concurrency") || p.contains("chunks"))
          return Status::InvalidArgument(where + "memory_mix sets the co-located functions; drop colocated/concurrency/chunks");
        for (auto& m : p["memory_mix"]) cell.memories.push_back(m.get<int>());
        cell.concurrency = static_cast<int>(cell.memories.size());
        cell.colocated = true;
      } else {
        cell.memories = {p.value("memory_mb", 1024)};
        if (p.contains("colocated")) {
          if (p.contains("concurrency") || p.contains("chunks"))
            return Status::InvalidArgument(where + "colocated N runs N functions once each; drop concurrency/chunks");
          cell.concurrency = p["colocated"].get<int>();
          cell.colocated = true;
        } else {
          cell.concurrency = p.value("concurrency", 1);
          cell.chunks = p.value("chunks", 0);
        }
      }
      if (cell.workload == "boto3" && cell.action == "iperf")
        return Status::InvalidArgument(where + "the boto3 workload has no iperf action (use workload: probe)");
      if (cell.action == "iperf" && !p.contains("direction")) p["direction"] = "down";
      if (cell.action == "iperf" && !p.contains("duration_s")) p["duration_s"] = 10;
      if (cell.action == "iperf" && p["duration_s"].get<double>() + 5 > cell.timeout_s)
        return Status::InvalidArgument(where + "timeout_s must exceed duration_s by 5 s");
      p["workload"] = cell.workload;
      p["action"] = cell.action;
      p["concurrency"] = cell.concurrency;
      if (!p.contains("memory_mix")) p["memory_mb"] = cell.memories[0];
      p.erase("repetitions");
      p.erase("timeout_s");
      cell.params = std::move(p);
      cells.push_back(std::move(cell));
    }
  }
  return cells;
}

std::vector<std::string> DefaultScenarioDirs() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("FAASNET_SCENARIOS"); env && *env) dirs.emplace_back(env);
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) dirs.push_back((exe.parent_path().parent_path() / "scenarios").string());
  dirs.emplace_back("scenarios");
  return dirs;
}

namespace {
Status LoadInto(const std::string& ref, const std::vector<std::string>& dirs, Size size, int depth,
                std::set<std::string>* seen, std::vector<Scenario>* out) {
  if (depth > 8) return Status::InvalidArgument("scenario " + ref + ": includes nest deeper than 8 (a cycle?)");
  std::string path;
  if (ref.find('/') != std::string::npos || ref.ends_with(".yaml")) {
    path = ref;
  } else {
    for (const auto& d : dirs)
      if (std::filesystem::exists(d + "/" + ref + ".yaml")) {
        path = d + "/" + ref + ".yaml";
        break;
      }
    if (path.empty()) {
      std::string where;
      for (auto& d : dirs) where += (where.empty() ? "" : ", ") + d;
      return Status::NotFound("scenario '" + ref + "': no " + ref + ".yaml in " + where);
    }
  }
  auto s = Scenario::FromFile(path, size);
  if (!s.ok()) return s.status();
  if (!s->include.empty()) {
    for (const auto& inc : s->include)
      if (auto st = LoadInto(inc, dirs, size, depth + 1, seen, out); !st.ok())
        return st.WithContext(path + ": include");
    return Status::Ok();
  }
  if (seen->insert(s->name).second) out->push_back(std::move(*s));
  return Status::Ok();
}
}  // namespace

Result<std::vector<Scenario>> LoadScenarios(const std::vector<std::string>& refs, const std::vector<std::string>& dirs,
                                            Size size) {
  std::vector<Scenario> out;
  std::set<std::string> seen;
  for (const auto& r : refs)
    if (auto st = LoadInto(r, dirs, size, 0, &seen, &out); !st.ok()) return st;
  return out;
}

std::string ScenarioKeysHelp() {
  std::string out;
  for (const auto& k : Keys()) {
    out += std::string("  ") + k.name + (k.sweepable ? " (sweepable)" : "") + ": " + k.help;
    if (!k.choices.empty()) {
      out += " [";
      for (size_t i = 0; i < k.choices.size(); ++i) out += (i ? "|" : "") + k.choices[i];
      out += "]";
    }
    out += "; e.g. " + std::string(k.example) + "\n";
  }
  return out;
}

}  // namespace faasnet::suite
