#include "store/behavior.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "base/strings.h"
#include "base/units.h"

namespace faasnet::store {

namespace {

Result<std::chrono::nanoseconds> Dur(std::string_view s) { return ParseDuration(Trim(s)); }

}  // namespace

Result<LatencySpec> LatencySpec::Parse(std::string_view text) {
  text = Trim(text);
  LatencySpec spec;
  if (text.empty() || text == "none" || text == "0") return spec;
  auto fail = [&](const std::string& why) {
    return Status::InvalidArgument("latency '" + std::string(text) + "': " + why +
                                   " (expected e.g. 20ms, uniform:10ms,30ms or lognormal:median=20ms,sigma=0.5)");
  };
  if (text.rfind("uniform:", 0) == 0) {
    auto parts = Split(text.substr(8), ',');
    if (parts.size() != 2) return fail("uniform needs two durations");
    auto lo = Dur(parts[0]);
    auto hi = Dur(parts[1]);
    if (!lo.ok()) return fail(lo.status().message());
    if (!hi.ok()) return fail(hi.status().message());
    if (*hi < *lo) return fail("the high end is below the low end");
    spec.kind = Kind::kUniform;
    spec.a = *lo;
    spec.b = *hi;
    return spec;
  }
  if (text.rfind("lognormal:", 0) == 0) {
    spec.kind = Kind::kLognormal;
    bool have_median = false;
    for (auto part : Split(text.substr(10), ',')) {
      auto kv = Split(part, '=');
      if (kv.size() != 2) return fail("expected name=value pairs");
      auto name = Trim(kv[0]);
      if (name == "median") {
        auto d = Dur(kv[1]);
        if (!d.ok()) return fail(d.status().message());
        spec.a = *d;
        have_median = true;
      } else if (name == "sigma") {
        char* end = nullptr;
        std::string v(Trim(kv[1]));
        spec.sigma = std::strtod(v.c_str(), &end);
        if (end != v.c_str() + v.size() || spec.sigma < 0 || spec.sigma > 5) return fail("sigma must be in [0, 5]");
      } else {
        return fail("unknown parameter '" + std::string(name) + "'");
      }
    }
    if (!have_median) return fail("lognormal needs median=");
    return spec;
  }
  auto d = Dur(text);
  if (!d.ok()) return fail(d.status().message());
  spec.kind = Kind::kFixed;
  spec.a = *d;
  return spec;
}

std::string LatencySpec::ToString() const {
  auto ms = [](std::chrono::nanoseconds d) { return std::to_string(d.count() / 1e6) + "ms"; };
  switch (kind) {
    case Kind::kNone: return "none";
    case Kind::kFixed: return ms(a);
    case Kind::kUniform: return "uniform:" + ms(a) + "," + ms(b);
    case Kind::kLognormal: return "lognormal:median=" + ms(a) + ",sigma=" + std::to_string(sigma);
  }
  return "none";
}

std::chrono::nanoseconds LatencySpec::Sample(std::mt19937_64& rng) const {
  switch (kind) {
    case Kind::kNone: return std::chrono::nanoseconds(0);
    case Kind::kFixed: return a;
    case Kind::kUniform: {
      std::uniform_int_distribution<int64_t> d(a.count(), b.count());
      return std::chrono::nanoseconds(d(rng));
    }
    case Kind::kLognormal: {
      std::lognormal_distribution<double> d(std::log(static_cast<double>(a.count())), sigma);
      // Capped at 100x the median: a delay is a model, not a hang.
      double v = std::min(d(rng), 100.0 * static_cast<double>(a.count()));
      return std::chrono::nanoseconds(static_cast<int64_t>(v));
    }
  }
  return std::chrono::nanoseconds(0);
}

namespace {

Status ParseBehavior(const YAML::Node& node, const std::string& where, Behavior* out) {
  if (!node.IsMap()) return Status::InvalidArgument(where + ": expected a mapping");
  for (const auto& kv : node) {
    std::string name = kv.first.as<std::string>();
    std::string value = kv.second.as<std::string>();
    std::string at = where + "." + name + " (line " + std::to_string(kv.first.Mark().line + 1) + ")";
    if (name == "first_byte_latency") {
      auto spec = LatencySpec::Parse(value);
      if (!spec.ok()) return spec.status().WithContext(at);
      out->first_byte_latency = *spec;
    } else if (name == "connection_rate") {
      auto bps = ParseRateBps(value);
      if (!bps.ok()) return bps.status().WithContext(at);
      out->connection_rate_bytes_per_s = *bps / 8;
    } else if (name == "request_rate") {
      std::string v = value;
      if (v.size() > 2 && v.substr(v.size() - 2) == "/s") v.resize(v.size() - 2);
      char* end = nullptr;
      out->request_rate_per_s = std::strtod(v.c_str(), &end);
      if (end != v.c_str() + v.size() || out->request_rate_per_s < 0) {
        return Status::InvalidArgument(at + ": '" + value + "' is not a rate like 100/s");
      }
    } else if (name == "request_burst") {
      out->request_burst = kv.second.as<double>();
    } else {
      return Status::InvalidArgument(at + ": unknown setting (known: first_byte_latency, connection_rate, "
                                          "request_rate, request_burst)");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<BehaviorConfig> BehaviorConfig::FromYaml(std::string_view text, std::string_view source_name) {
  BehaviorConfig cfg;
  std::string src(source_name);
  try {
    YAML::Node root = YAML::Load(std::string(text));
    if (root.IsNull()) return cfg;
    if (!root.IsMap()) return Status::InvalidArgument(src + ": expected a mapping with 'default' and/or 'buckets'");
    for (const auto& kv : root) {
      std::string name = kv.first.as<std::string>();
      if (name == "default") {
        RETURN_IF_ERROR(ParseBehavior(kv.second, src + ": default", &cfg.store_default));
      } else if (name == "buckets") {
        if (!kv.second.IsMap()) return Status::InvalidArgument(src + ": buckets: expected a mapping of bucket names");
        for (const auto& b : kv.second) {
          Behavior bh = cfg.store_default;
          std::string bucket = b.first.as<std::string>();
          RETURN_IF_ERROR(ParseBehavior(b.second, src + ": buckets." + bucket, &bh));
          cfg.buckets[bucket] = bh;
        }
      } else {
        return Status::InvalidArgument(src + ": line " + std::to_string(kv.first.Mark().line + 1) +
                                       ": unknown section '" + name + "' (known: default, buckets)");
      }
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(src + ": " + e.what());
  }
  return cfg;
}

Result<BehaviorConfig> BehaviorConfig::FromFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::FromErrno(errno, "open behavior file", path);
  std::stringstream ss;
  ss << in.rdbuf();
  return FromYaml(ss.str(), path);
}

const Behavior& BehaviorConfig::For(const std::string& bucket) const {
  auto it = buckets.find(bucket);
  return it == buckets.end() ? store_default : it->second;
}

RateLimiter::RateLimiter(double rate_per_s, double burst)
    : rate_(rate_per_s), burst_(burst > 0 ? burst : std::max(1.0, rate_per_s)), tokens_(burst_),
      last_(std::chrono::steady_clock::now()) {}

bool RateLimiter::TryAcquire() {
  std::lock_guard<std::mutex> lock(mu_);
  auto now = std::chrono::steady_clock::now();
  tokens_ = std::min(burst_, tokens_ + rate_ * std::chrono::duration<double>(now - last_).count());
  last_ = now;
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

}  // namespace faasnet::store
