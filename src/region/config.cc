#include "region/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "base/units.h"

namespace faasnet::region {

double CpuPolicy::CpusFor(int memory_mb, double host_vcpus) const {
  double cpus = 0;
  switch (kind) {
    case Kind::kPaper2019: cpus = host_vcpus * memory_mb / 3008.0; break;
    case Kind::kLambda: cpus = std::min(6.0, memory_mb / 1769.0); break;
    case Kind::kFixed: cpus = fixed_cpus; break;
  }
  return cpus * cpu_scale;
}

const char* CpuPolicy::KindName(Kind k) {
  switch (k) {
    case Kind::kPaper2019: return "paper-2019";
    case Kind::kLambda: return "lambda";
    case Kind::kFixed: return "fixed";
  }
  return "?";
}

const char* PlacementName(Placement p) {
  switch (p) {
    case Placement::kBinpack: return "binpack";
    case Placement::kSpread: return "spread";
    case Placement::kRandom: return "random";
  }
  return "?";
}

std::optional<CpuPolicy::Kind> CpuPolicy::ParseKind(std::string_view name) {
  for (Kind k : {Kind::kPaper2019, Kind::kLambda, Kind::kFixed})
    if (name == KindName(k)) return k;
  return std::nullopt;
}

std::optional<Placement> ParsePlacement(std::string_view name) {
  for (Placement p : {Placement::kBinpack, Placement::kSpread, Placement::kRandom})
    if (name == PlacementName(p)) return p;
  return std::nullopt;
}

const char* IsolationName(Isolation i) { return i == Isolation::kFull ? "full" : "none"; }

double RegionConfig::total_vcpus() const {
  double v = 0;
  for (const auto& h : hosts) v += h.vcpus;
  return v;
}

namespace {

std::string At(const YAML::Node& n, const std::string& where) {
  return where + " (line " + std::to_string(n.Mark().line + 1) + ")";
}

template <typename T>
Status Get(const YAML::Node& n, const std::string& where, T* out) {
  try {
    *out = n.as<T>();
    return Status::Ok();
  } catch (const YAML::Exception&) {
    return Status::InvalidArgument(At(n, where) + ": '" + n.as<std::string>("") + "' is not a valid value");
  }
}

Status ParseDurationField(const YAML::Node& n, const std::string& where, std::chrono::milliseconds* out) {
  auto d = ParseDuration(n.as<std::string>(""));
  if (!d.ok()) return d.status().WithContext(At(n, where));
  *out = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
  return Status::Ok();
}

Status ParseMemory(const YAML::Node& n, const std::string& where, int* out) {
  // "3.75GB", "3840MB" or a bare number of MB.
  std::string text = n.as<std::string>("");
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() && *end == '\0') {
    *out = static_cast<int>(v);
    return Status::Ok();
  }
  auto bytes = ParseBytes(text);
  if (!bytes.ok()) return bytes.status().WithContext(At(n, where));
  *out = static_cast<int>(*bytes / kMB);
  return Status::Ok();
}

Status ParseHosts(const YAML::Node& node, RegionConfig* cfg) {
  // Either {count, vcpus, memory} or a list of {id, vcpus, memory}.
  cfg->hosts.clear();
  if (node.IsMap()) {
    int count = 1;
    HostSpec spec;
    for (const auto& kv : node) {
      std::string k = kv.first.as<std::string>();
      std::string where = "hosts." + k;
      if (k == "count") {
        RETURN_IF_ERROR(Get(kv.second, where, &count));
      } else if (k == "vcpus") {
        RETURN_IF_ERROR(Get(kv.second, where, &spec.vcpus));
      } else if (k == "memory") {
        RETURN_IF_ERROR(ParseMemory(kv.second, where, &spec.memory_mb));
      } else {
        return Status::InvalidArgument(At(kv.first, where) + ": unknown field (known: count, vcpus, memory)");
      }
    }
    if (count < 1 || count > 50) return Status::InvalidArgument(At(node, "hosts.count") + ": must be 1..50");
    for (int i = 0; i < count; ++i) {
      spec.id = "h" + std::to_string(i);
      cfg->hosts.push_back(spec);
    }
    return Status::Ok();
  }
  if (!node.IsSequence()) return Status::InvalidArgument(At(node, "hosts") + ": expected a mapping or a list");
  int i = 0;
  for (const auto& h : node) {
    HostSpec spec;
    spec.id = "h" + std::to_string(i++);
    for (const auto& kv : h) {
      std::string k = kv.first.as<std::string>();
      std::string where = "hosts[" + std::to_string(i - 1) + "]." + k;
      if (k == "id") {
        spec.id = kv.second.as<std::string>();
      } else if (k == "vcpus") {
        RETURN_IF_ERROR(Get(kv.second, where, &spec.vcpus));
      } else if (k == "memory") {
        RETURN_IF_ERROR(ParseMemory(kv.second, where, &spec.memory_mb));
      } else {
        return Status::InvalidArgument(At(kv.first, where) + ": unknown field (known: id, vcpus, memory)");
      }
    }
    cfg->hosts.push_back(spec);
  }
  return Status::Ok();
}

// network: {profile: NAME|FILE, iperf_ports: [5201, ...] or "5201-5204", ...profile settings}
Status ParseNetwork(const YAML::Node& node, NetworkConfig* net) {
  if (!node.IsMap()) return Status::InvalidArgument(At(node, "network") + ": expected a mapping");
  YAML::Node overrides(YAML::NodeType::Map);
  for (const auto& kv : node) {
    std::string k = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (k == "profile") {
      net->profile_ref = v.as<std::string>();
    } else if (k == "iperf_ports") {
      net->iperf_ports.clear();
      auto add = [&](int port) -> Status {
        if (port < 1 || port > 65535) return Status::InvalidArgument(At(v, "network.iperf_ports") + ": port out of range");
        net->iperf_ports.push_back(static_cast<uint16_t>(port));
        return Status::Ok();
      };
      if (v.IsSequence()) {
        for (const auto& p : v) {
          int port = 0;
          RETURN_IF_ERROR(Get(p, "network.iperf_ports", &port));
          RETURN_IF_ERROR(add(port));
        }
      } else {
        std::string t = v.as<std::string>("");
        int lo = 0, hi = 0, used = 0;
        bool ok = std::sscanf(t.c_str(), "%d-%d%n", &lo, &hi, &used) == 2 && used == static_cast<int>(t.size());
        if (!ok && std::sscanf(t.c_str(), "%d%n", &lo, &used) == 1 && used == static_cast<int>(t.size())) {
          hi = lo;
          ok = true;
        }
        if (!ok || hi < lo || hi - lo >= 256) {
          return Status::InvalidArgument(At(v, "network.iperf_ports") + ": '" + t +
                                         "' (a list of ports, or a range like 5201-5204, at most 256)");
        }
        for (int port = lo; port <= hi; ++port) RETURN_IF_ERROR(add(port));
      }
    } else {
      overrides[k] = v;
    }
  }
  if (overrides.size() > 0) {
    YAML::Emitter out;
    out << overrides;
    net->overrides_yaml = out.c_str();
  }
  auto loaded = net->Load();
  if (!loaded.ok()) return loaded.status().WithContext(At(node, "network"));
  net->profile = std::move(*loaded);
  return Status::Ok();
}

}  // namespace

Result<net::NetworkProfile> NetworkConfig::Load() const {
  ASSIGN_OR_RETURN(net::NetworkProfile p, net::LoadProfile(profile_ref));
  if (overrides_yaml.empty()) return p;
  return p.WithOverrides(overrides_yaml, "network overrides of profile " + p.name);
}

Result<RegionConfig> RegionConfig::FromYaml(std::string_view text, std::string_view source_name) {
  RegionConfig cfg;
  std::string src(source_name);
  try {
    YAML::Node root = YAML::Load(std::string(text));
    if (root.IsNull()) return cfg;
    if (!root.IsMap()) return Status::InvalidArgument(src + ": expected a mapping of settings");
    bool cpu_policy_set = false;
    bool network_set = false;
    for (const auto& kv : root) {
      std::string k = kv.first.as<std::string>();
      const YAML::Node& v = kv.second;
      Status st;
      if (k == "name") {
        cfg.name = v.as<std::string>();
      } else if (k == "aws_region") {
        cfg.aws_region = v.as<std::string>();
      } else if (k == "hosts") {
        st = ParseHosts(v, &cfg);
      } else if (k == "network") {
        network_set = true;
        st = ParseNetwork(v, &cfg.network);
      } else if (k == "cpu_policy") {
        cpu_policy_set = true;
        std::string p = v.as<std::string>();
        if (auto kind = CpuPolicy::ParseKind(p)) {
          cfg.cpu.kind = *kind;
        } else {
          st = Status::InvalidArgument(At(v, k) + ": '" + p + "' (known: paper-2019, lambda, fixed)");
        }
      } else if (k == "fixed_cpus") {
        st = Get(v, k, &cfg.cpu.fixed_cpus);
      } else if (k == "cpu_scale") {
        st = Get(v, k, &cfg.cpu.cpu_scale);
      } else if (k == "placement") {
        std::string p = v.as<std::string>();
        if (auto placement = ParsePlacement(p)) {
          cfg.placement = *placement;
        } else {
          st = Status::InvalidArgument(At(v, k) + ": '" + p + "' (known: binpack, spread, random)");
        }
      } else if (k == "placement_seed") {
        st = Get(v, k, &cfg.placement_seed);
      } else if (k == "isolation") {
        std::string p = v.as<std::string>();
        if (p == "full") {
          cfg.isolation = Isolation::kFull;
        } else if (p == "none") {
          cfg.isolation = Isolation::kNone;
        } else {
          st = Status::InvalidArgument(At(v, k) + ": '" + p + "' (known: full, none)");
        }
      } else if (k == "cpu_period") {
        std::chrono::milliseconds d;
        st = ParseDurationField(v, k, &d);
        cfg.cpu_period_us = static_cast<int>(d.count() * 1000);
      } else if (k == "pids_limit") {
        st = Get(v, k, &cfg.pids_limit);
      } else if (k == "idle_timeout") {
        st = ParseDurationField(v, k, &cfg.idle_timeout);
      } else if (k == "region_concurrency") {
        st = Get(v, k, &cfg.region_concurrency);
      } else if (k == "function_concurrency") {
        st = Get(v, k, &cfg.function_concurrency);
      } else {
        st = Status::InvalidArgument(At(kv.first, k) +
                                     ": unknown setting (known: name, aws_region, hosts, cpu_policy, fixed_cpus, "
                                     "cpu_scale, placement, placement_seed, isolation, cpu_period, pids_limit, "
                                     "idle_timeout, region_concurrency, function_concurrency, network)");
      }
      if (!st.ok()) return st.WithContext(src);
    }
    if (!network_set) {
      auto loaded = cfg.network.Load();
      if (!loaded.ok()) return loaded.status().WithContext(src);
      cfg.network.profile = std::move(*loaded);
    }
    // The profile's CPU policy, unless the file chose one.
    const std::string& pcpu = cfg.network.profile.cpu_policy;
    if (!cpu_policy_set && !pcpu.empty()) {
      cfg.cpu.kind = pcpu == "lambda" ? CpuPolicy::Kind::kLambda
                     : pcpu == "fixed" ? CpuPolicy::Kind::kFixed
                                       : CpuPolicy::Kind::kPaper2019;
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(src + ": " + e.what());
  }
  RETURN_IF_ERROR(cfg.Validate().WithContext(src));
  return cfg;
}

Result<RegionConfig> RegionConfig::FromFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::FromErrno(errno, "open region config", path);
  std::stringstream ss;
  ss << in.rdbuf();
  return FromYaml(ss.str(), path);
}

Status RegionConfig::Validate() const {
  if (name.empty() || name.size() > 16 ||
      !std::all_of(name.begin(), name.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); })) {
    return Status::InvalidArgument("name '" + name + "' must be 1-16 letters or digits");
  }
  if (hosts.empty()) return Status::InvalidArgument("hosts: at least one host is needed");
  std::set<std::string> ids;
  for (const auto& h : hosts) {
    if (!ids.insert(h.id).second) return Status::InvalidArgument("hosts: duplicate id '" + h.id + "'");
    if (h.id.empty() || h.id.size() > 6) return Status::InvalidArgument("hosts: id '" + h.id + "' must be 1-6 characters");
    if (h.id == "core") return Status::InvalidArgument("hosts: id 'core' names the region core's namespace");
    if (h.vcpus <= 0 || h.vcpus > 256) return Status::InvalidArgument("hosts." + h.id + ".vcpus must be in (0, 256]");
    if (h.memory_mb < 128) return Status::InvalidArgument("hosts." + h.id + ".memory must be at least 128 MB");
  }
  if (cpu.cpu_scale <= 0) return Status::InvalidArgument("cpu_scale must be > 0");
  if (cpu.kind == CpuPolicy::Kind::kFixed && cpu.fixed_cpus <= 0) {
    return Status::InvalidArgument("fixed_cpus must be > 0");
  }
  if (cpu_period_us < 1000 || cpu_period_us > 1'000'000) return Status::InvalidArgument("cpu_period must be 1ms..1s");
  if (pids_limit < 1) return Status::InvalidArgument("pids_limit must be >= 1");
  if (region_concurrency < 1) return Status::InvalidArgument("region_concurrency must be >= 1");
  if (function_concurrency < 0) return Status::InvalidArgument("function_concurrency must be >= 0");
  return Status::Ok();
}

}  // namespace faasnet::region
