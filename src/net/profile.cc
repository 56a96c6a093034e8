#include "net/profile.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/units.h"
#include "net/builtin_profiles.h"

namespace faasnet::net {

namespace {

// A field's value as text; InvalidArgument for a mapping or a list.
Result<std::string> Scalar(const YAML::Node& n) {
  if (!n.IsScalar()) return Status::InvalidArgument("expected a single value");
  return n.as<std::string>();
}

Status Rate(const YAML::Node& n, uint64_t* out) {
  ASSIGN_OR_RETURN(std::string t, Scalar(n));
  ASSIGN_OR_RETURN(*out, ParseRateBps(t));
  return Status::Ok();
}

Status Size(const YAML::Node& n, uint64_t* out) {
  ASSIGN_OR_RETURN(std::string t, Scalar(n));
  ASSIGN_OR_RETURN(*out, ParseBytes(t));
  return Status::Ok();
}

// "3.75GB", "3840MB", or a bare number of MB.
Status MemoryMb(const YAML::Node& n, int* out) {
  ASSIGN_OR_RETURN(std::string t, Scalar(n));
  char* end = nullptr;
  double v = std::strtod(t.c_str(), &end);
  if (end != t.c_str() && *end == '\0') {
    if (v < 0 || v > 1e9) return Status::InvalidArgument("'" + t + "' MB is out of range");
    *out = static_cast<int>(std::llround(v));
    return Status::Ok();
  }
  ASSIGN_OR_RETURN(uint64_t bytes, ParseBytes(t));
  *out = static_cast<int>(bytes / kMB);
  return Status::Ok();
}

// "250us", "0", "none".
Status Latency(const YAML::Node& n, std::chrono::nanoseconds* out) {
  ASSIGN_OR_RETURN(std::string t, Scalar(n));
  if (t == "0" || t == "none") {
    *out = std::chrono::nanoseconds(0);
    return Status::Ok();
  }
  ASSIGN_OR_RETURN(*out, ParseDuration(t));
  return Status::Ok();
}

struct Field {
  const char* key;      // dotted path
  const char* example;  // for the help text
  const char* help;
  std::function<Status(const YAML::Node&, NetworkProfile*)> parse;
};

const std::vector<Field>& Fields() {
  static const std::vector<Field> kFields = {
      {"name", "lambda-2019", "the profile's name, recorded in results",
       [](const YAML::Node& n, NetworkProfile* p) -> Status {
         ASSIGN_OR_RETURN(p->name, Scalar(n));
         return Status::Ok();
       }},
      {"description", "\"...\"", "one paragraph: what this profile emulates",
       [](const YAML::Node& n, NetworkProfile* p) -> Status {
         ASSIGN_OR_RETURN(p->description, Scalar(n));
         return Status::Ok();
       }},
      {"sources", "[\"PAPER.md Fig 2\", ...]", "where the numbers come from (a list)",
       [](const YAML::Node& n, NetworkProfile* p) -> Status {
         if (!n.IsSequence()) return Status::InvalidArgument("expected a list of strings");
         for (const auto& s : n) {
           ASSIGN_OR_RETURN(std::string t, Scalar(s));
           p->sources.push_back(t);
         }
         return Status::Ok();
       }},
      {"cpu_policy", "paper-2019", "the region's CPU policy this profile goes with: paper-2019, lambda or fixed",
       [](const YAML::Node& n, NetworkProfile* p) -> Status {
         ASSIGN_OR_RETURN(std::string t, Scalar(n));
         if (t != "paper-2019" && t != "lambda" && t != "fixed") {
           return Status::InvalidArgument("'" + t + "' (known: paper-2019, lambda, fixed)");
         }
         p->cpu_policy = t;
         return Status::Ok();
       }},
      {"policy", "proportional", "none, shared, fair, proportional, capped or token-bucket",
       [](const YAML::Node& n, NetworkProfile* p) -> Status {
         ASSIGN_OR_RETURN(std::string t, Scalar(n));
         ASSIGN_OR_RETURN(p->policy.kind, ParsePolicyKind(t));
         return Status::Ok();
       }},
      {"nic", "586Mbit", "the host NIC both ways (HTB rate: Ethernet frames; TCP goodput <= 0.956 x)",
       [](const YAML::Node& n, NetworkProfile* p) -> Status {
         RETURN_IF_ERROR(Rate(n, &p->nic.upload_bps));
         p->nic.download_bps = p->nic.upload_bps;
         return Status::Ok();
       }},
      {"nic.upload", "586Mbit", "the host NIC, sandbox -> region core",
       [](const YAML::Node& n, NetworkProfile* p) { return Rate(n, &p->nic.upload_bps); }},
      {"nic.download", "586Mbit", "the host NIC, region core -> sandbox",
       [](const YAML::Node& n, NetworkProfile* p) { return Rate(n, &p->nic.download_bps); }},
      {"host_memory", "3.75GB", "memory the guaranteed rates are divided over (0: the active sandboxes' sum)",
       [](const YAML::Node& n, NetworkProfile* p) { return MemoryMb(n, &p->policy.host_memory_mb); }},
      {"weight_unit", "128MB", "memory that counts as weight 1 (quanta, fair slots)",
       [](const YAML::Node& n, NetworkProfile* p) { return MemoryMb(n, &p->policy.weight_unit_mb); }},
      {"quantum_per_weight", "96KiB", "HTB quantum per unit of weight (above one 64 KB GSO packet)",
       [](const YAML::Node& n, NetworkProfile* p) -> Status {
         uint64_t v = 0;
         RETURN_IF_ERROR(Size(n, &v));
         if (v > 0xFFFFFFFFull) return Status::InvalidArgument("too large");
         p->policy.quantum_bytes_per_weight = static_cast<uint32_t>(v);
         return Status::Ok();
       }},
      {"burst_window", "4ms", "burst/cburst of every class = this long at its rate",
       [](const YAML::Node& n, NetworkProfile* p) -> Status {
         std::chrono::nanoseconds d{0};
         ASSIGN_OR_RETURN(std::string t, Scalar(n));
         ASSIGN_OR_RETURN(d, ParseDuration(t));
         p->policy.burst_window_us = static_cast<uint32_t>(d.count() / 1000);
         return Status::Ok();
       }},
      {"capped_rate_per_gb", "500Mbit", "capped: the cap per GB of memory (default: NIC x memory / host_memory)",
       [](const YAML::Node& n, NetworkProfile* p) { return Rate(n, &p->policy.capped_bps_per_gb); }},
      {"token_bucket.sustained_rate", "680Mbit", "token-bucket: the bucket's refill rate, per sandbox and direction",
       [](const YAML::Node& n, NetworkProfile* p) { return Rate(n, &p->policy.token_bucket.sustained_rate_bps); }},
      {"token_bucket.bucket", "8.5MB", "token-bucket: the refilling bucket (default 100 ms of the sustained rate)",
       [](const YAML::Node& n, NetworkProfile* p) { return Size(n, &p->policy.token_bucket.bucket_bytes); }},
      {"token_bucket.one_time_burst", "300MB", "token-bucket: bytes at the burst rate first, never replenished",
       [](const YAML::Node& n, NetworkProfile* p) { return Size(n, &p->policy.token_bucket.one_time_burst_bytes); }},
      {"token_bucket.burst_rate", "10Gbit", "token-bucket: the ceil during the one-time burst (default: the NIC)",
       [](const YAML::Node& n, NetworkProfile* p) { return Rate(n, &p->policy.token_bucket.burst_rate_bps); }},
      {"link_latency", "250us", "one-way latency host <-> core (needs netem; otherwise the store's first byte)",
       [](const YAML::Node& n, NetworkProfile* p) { return Latency(n, &p->link_latency); }},
      {"store.first_byte_latency", "lognormal:median=20ms,sigma=0.4",
       "store Behavior::first_byte_latency (store/behavior.h syntax)",
       [](const YAML::Node& n, NetworkProfile* p) -> Status {
         ASSIGN_OR_RETURN(std::string t, Scalar(n));
         p->store.first_byte_latency = t == "none" ? "" : t;
         return Status::Ok();
       }},
      {"store.connection_rate", "90MB/s", "store Behavior::connection_rate_bytes_per_s: per-connection cap",
       [](const YAML::Node& n, NetworkProfile* p) -> Status {
         uint64_t bps = 0;
         RETURN_IF_ERROR(Rate(n, &bps));
         p->store.connection_rate_bytes_per_s = bps / 8;
         return Status::Ok();
       }},
      {"store.request_rate", "5500/s", "store Behavior::request_rate_per_s: 503 SlowDown above it",
       [](const YAML::Node& n, NetworkProfile* p) -> Status {
         ASSIGN_OR_RETURN(std::string t, Scalar(n));
         std::string v = t.size() > 2 && t.substr(t.size() - 2) == "/s" ? t.substr(0, t.size() - 2) : t;
         char* end = nullptr;
         double r = std::strtod(v.c_str(), &end);
         if (v.empty() || end != v.c_str() + v.size() || r < 0) {
           return Status::InvalidArgument("'" + t + "' is not a rate like 100/s");
         }
         p->store.request_rate_per_s = r;
         return Status::Ok();
       }},
      {"store.tls", "true", "functions reach the store over https (S3 is https; clients pay TLS under their CPU quota)",
       [](const YAML::Node& n, NetworkProfile* p) -> Status {
         ASSIGN_OR_RETURN(std::string t, Scalar(n));
         if (t != "true" && t != "false") return Status::InvalidArgument("'" + t + "' is not true or false");
         p->store.tls = t == "true";
         return Status::Ok();
       }},
      {"store.request_burst", "5500", "store Behavior::request_burst: the SlowDown bucket",
       [](const YAML::Node& n, NetworkProfile* p) -> Status {
         ASSIGN_OR_RETURN(std::string t, Scalar(n));
         char* end = nullptr;
         double r = std::strtod(t.c_str(), &end);
         if (t.empty() || end != t.c_str() + t.size() || r < 0)
           return Status::InvalidArgument("'" + t + "' is not a number");
         p->store.request_burst = r;
         return Status::Ok();
       }},
  };
  return kFields;
}

const Field* FindField(const std::string& key) {
  for (const auto& f : Fields()) {
    if (key == f.key) return &f;
  }
  return nullptr;
}

bool IsSection(const std::string& key) {
  std::string prefix = key + ".";
  for (const auto& f : Fields()) {
    if (std::string(f.key).rfind(prefix, 0) == 0) return true;
  }
  return false;
}

std::string Line(const YAML::Node& n) { return "line " + std::to_string(n.Mark().line + 1); }

Status ParseMap(const YAML::Node& map, const std::string& prefix, const std::string& src, NetworkProfile* p) {
  for (const auto& kv : map) {
    std::string name = kv.first.as<std::string>();
    std::string key = prefix.empty() ? name : prefix + "." + name;
    const YAML::Node& value = kv.second;
    if (IsSection(key) && value.IsMap()) {
      RETURN_IF_ERROR(ParseMap(value, key, src, p));
      continue;
    }
    const Field* f = FindField(key);
    if (f == nullptr) {
      std::string known;
      for (const auto& x : Fields()) {
        std::string k = x.key;
        if ((prefix.empty() && k.find('.') == std::string::npos) ||
            (!prefix.empty() && k.rfind(prefix + ".", 0) == 0)) {
          known += (known.empty() ? "" : ", ") + k;
        }
      }
      if (prefix.empty()) known += ", token_bucket, store";
      return Status::InvalidArgument(src + ": " + Line(kv.first) + ": " + key + ": unknown setting (known: " + known +
                                     ")");
    }
    Status st;
    try {
      st = f->parse(value, p);
    } catch (const YAML::Exception& e) {
      st = Status::InvalidArgument(e.what());
    }
    if (!st.ok()) return Status::InvalidArgument(src + ": " + Line(value) + ": " + key + ": " + st.message());
  }
  return Status::Ok();
}

}  // namespace

std::string StoreKnobs::ToBehaviorYaml() const {
  if (!active() && request_burst == 0) return "";
  std::ostringstream y;
  y << "default:\n";
  if (!first_byte_latency.empty()) y << "  first_byte_latency: \"" << first_byte_latency << "\"\n";
  if (connection_rate_bytes_per_s) y << "  connection_rate: " << connection_rate_bytes_per_s << "B/s\n";
  if (request_rate_per_s != 0) y << "  request_rate: " << request_rate_per_s << "/s\n";
  if (request_burst != 0) y << "  request_burst: " << request_burst << "\n";
  return y.str();
}

Result<NetworkProfile> NetworkProfile::FromYaml(std::string_view text, std::string_view source_name) {
  NetworkProfile p;
  std::string src(source_name);
  try {
    YAML::Node root = YAML::Load(std::string(text));
    if (!root.IsMap())
      return Status::InvalidArgument(src + ": expected a mapping of settings (see profiles/README.md)");
    RETURN_IF_ERROR(ParseMap(root, "", src, &p));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(src + ": line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  RETURN_IF_ERROR(p.Validate().WithContext(src));
  return p;
}

Result<NetworkProfile> NetworkProfile::WithOverrides(std::string_view overrides, std::string_view source_name) const {
  NetworkProfile p = *this;
  std::string src(source_name);
  try {
    YAML::Node root = YAML::Load(std::string(overrides));
    if (root.IsNull()) return p;
    if (!root.IsMap()) return Status::InvalidArgument(src + ": expected a mapping of profile settings");
    RETURN_IF_ERROR(ParseMap(root, "", src, &p));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(src + ": line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  RETURN_IF_ERROR(p.Validate().WithContext(src));
  return p;
}

std::vector<std::string> BuiltinProfileNames() {
  std::vector<std::string> names;
  for (const auto& b : BuiltinProfiles()) names.emplace_back(b.name);
  return names;
}

Result<NetworkProfile> LoadProfile(const std::string& ref) {
  for (const auto& b : BuiltinProfiles()) {
    if (ref == b.name) {
      std::string src = "builtin:" + ref;
      ASSIGN_OR_RETURN(NetworkProfile p, NetworkProfile::FromYaml(b.text, src));
      p.file = src;
      return p;
    }
  }
  std::error_code ec;
  if (!std::filesystem::exists(ref, ec)) {
    std::string known;
    for (const auto& n : BuiltinProfileNames()) known += (known.empty() ? "" : ", ") + n;
    return Status::NotFound("network profile '" + ref + "': neither a shipped profile (" + known +
                            ") nor an existing file");
  }
  return NetworkProfile::FromFile(ref);
}

Result<NetworkProfile> NetworkProfile::FromFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::FromErrno(errno, "open network profile", path);
  std::stringstream ss;
  ss << in.rdbuf();
  ASSIGN_OR_RETURN(NetworkProfile p, FromYaml(ss.str(), path));
  p.file = path;
  return p;
}

Status NetworkProfile::Validate() const {
  if (name.empty()) return Status::InvalidArgument("name: missing (every profile names itself)");
  RETURN_IF_ERROR(policy.Validate());
  if (policy.kind != PolicyKind::kNone && (nic.upload_bps == 0 || nic.download_bps == 0)) {
    return Status::InvalidArgument(std::string("nic: policy ") + PolicyKindName(policy.kind) +
                                   " needs the NIC capacity both ways (nic: RATE, or nic.upload and nic.download)");
  }
  if (link_latency.count() < 0 || link_latency > std::chrono::seconds(10)) {
    return Status::InvalidArgument("link_latency: must be within 0 .. 10 s");
  }
  return Status::Ok();
}

nlohmann::json NetworkProfile::ToJson() const {
  nlohmann::json j = {{"name", name},
                      {"file", file},
                      {"sources", sources},
                      {"cpu_policy", cpu_policy},
                      {"nic_upload_bps", nic.upload_bps},
                      {"nic_download_bps", nic.download_bps},
                      {"shaping", net::ToJson(policy)},
                      {"link_latency_us", std::chrono::duration<double, std::micro>(link_latency).count()}};
  j["store"] = {{"first_byte_latency", store.first_byte_latency},
                {"connection_rate_bytes_per_s", store.connection_rate_bytes_per_s},
                {"request_rate_per_s", store.request_rate_per_s},
                {"request_burst", store.request_burst},
                {"tls", store.tls}};
  return j;
}

std::string ProfileHelp() {
  std::string out;
  for (const auto& f : Fields()) {
    std::string line = std::string("  ") + f.key;
    line.resize(std::max<size_t>(line.size() + 1, 32), ' ');
    out += line + f.help + " (e.g. " + f.example + ")\n";
  }
  return out;
}

nlohmann::json ResolvedProfile::ToJson() const {
  nlohmann::json j = profile.ToJson();
  j["effective_store"] = {{"first_byte_latency", store.first_byte_latency},
                          {"connection_rate_bytes_per_s", store.connection_rate_bytes_per_s},
                          {"request_rate_per_s", store.request_rate_per_s},
                          {"request_burst", store.request_burst},
                {"tls", store.tls}};
  j["link_latency_applied"] = link_latency_applied;
  j["notes"] = notes;
  return j;
}

Result<ResolvedProfile> Resolve(const NetworkProfile& profile, const sys::TcSupport& support) {
  ResolvedProfile r;
  r.profile = profile;
  r.store = profile.store;
  std::string what = "network profile " + profile.name;
  if (profile.policy.kind != PolicyKind::kNone) {
    std::string missing;
    for (const char* kind : {"htb", "u32"}) {
      if (!support.Has(kind)) missing += missing.empty() ? kind : std::string(" ") + kind;
    }
    if (!missing.empty()) {
      return Status::FailedPrecondition(what + ": policy " + PolicyKindName(profile.policy.kind) + " needs tc " +
                                        missing + ", which this kernel lacks (" + support.Summary() +
                                        "); use a profile with policy none");
    }
  }
  if (profile.link_latency.count() > 0) {
    char lat[32];
    std::snprintf(lat, sizeof lat, "%gms", std::chrono::duration<double, std::milli>(profile.link_latency).count());
    std::string why =
        support.Has("netem") ? "netem is present but faasnet does not drive it" : "netem is missing on this kernel";
    if (r.store.first_byte_latency.empty()) {
      char rtt[32];
      std::snprintf(rtt, sizeof rtt, "%gms",
                    2 * std::chrono::duration<double, std::milli>(profile.link_latency).count());
      r.store.first_byte_latency = rtt;
    }
    r.notes.push_back("link_latency " + std::string(lat) + ": not available (" + why +
                      "): using store-side first-byte latency " + r.store.first_byte_latency);
  }
  return r;
}

}  // namespace faasnet::net
