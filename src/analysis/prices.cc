#include "analysis/prices.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

namespace faasnet::analysis {

const char* BillingRuleName(BillingRule rule) { return rule == BillingRule::k1ms ? "1ms" : "100ms"; }

Result<BillingRule> ParseBillingRule(std::string_view text) {
  if (text == "1ms") return BillingRule::k1ms;
  if (text == "100ms") return BillingRule::k100ms;
  return Status::InvalidArgument("billing rule '" + std::string(text) + "': expected 1ms or 100ms");
}

std::string BillingRuleCaption(BillingRule rule) {
  return rule == BillingRule::k1ms ? "1 ms billing (since Dec 2020)" : "100 ms billing (2019, the paper's)";
}

namespace {

std::string Where(const std::string& file, const YAML::Node& n, const std::string& key) {
  return file + ": line " + std::to_string(n.Mark().line + 1) + ": " + key;
}

Status Number(const YAML::Node& n, const std::string& file, const std::string& key, double* out) {
  std::string text = n.IsScalar() ? n.Scalar() : "";
  char* end = nullptr;
  double v = text.empty() ? NAN : std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(v) || v < 0) {
    return Status::InvalidArgument(Where(file, n, key) + ": not a non-negative number: '" + text + "'");
  }
  *out = v;
  return Status::Ok();
}

Status Walk(const YAML::Node& map, const std::string& prefix, const std::string& file, PriceSheet* p);

Status Set(const std::string& key, const YAML::Node& v, const std::string& file, PriceSheet* p) {
  // One table drives the numeric settings: a dotted key path and the field it sets.
  struct Field {
    const char* key;
    double PriceSheet::*num;
  };
  static const Field kNumbers[] = {
      {"gb_second_usd.x86_64", &PriceSheet::gb_second_usd_x86},
      {"gb_second_usd.arm64", &PriceSheet::gb_second_usd_arm},
      {"request_usd_per_million", &PriceSheet::request_usd_per_million},
      {"free_tier.requests_per_month", &PriceSheet::free_requests_per_month},
      {"free_tier.gb_seconds_per_month", &PriceSheet::free_gb_seconds_per_month},
      {"s3.get_usd_per_thousand", &PriceSheet::s3_get_usd_per_thousand},
      {"s3.put_usd_per_thousand", &PriceSheet::s3_put_usd_per_thousand},
      {"s3.transfer_usd_per_gb", &PriceSheet::s3_transfer_usd_per_gb},
  };
  for (const auto& f : kNumbers) {
    if (key == f.key) return Number(v, file, key, &(p->*f.num));
  }
  if (key == "name") {
    p->name = v.IsScalar() ? v.Scalar() : "";
    return Status::Ok();
  }
  if (key == "sources") {
    if (!v.IsSequence()) return Status::InvalidArgument(Where(file, v, key) + ": expected a list");
    for (const auto& s : v) p->sources.push_back(s.as<std::string>());
    return Status::Ok();
  }
  if (key == "default_billing") {
    auto rule = ParseBillingRule(v.IsScalar() ? v.Scalar() : "");
    if (!rule.ok()) return rule.status().WithContext(Where(file, v, key));
    p->default_billing = *rule;
    return Status::Ok();
  }
  if (key == "free_tier.enabled") {
    std::string s = v.IsScalar() ? v.Scalar() : "";
    if (s != "true" && s != "false") {
      return Status::InvalidArgument(Where(file, v, key) + ": expected true or false, not '" + s + "'");
    }
    p->free_tier = s == "true";
    return Status::Ok();
  }
  if (v.IsMap()) return Walk(v, key + ".", file, p);
  return Status::InvalidArgument(Where(file, v, key) + ": unknown setting (docs/formats/prices.md lists them)");
}

Status Walk(const YAML::Node& map, const std::string& prefix, const std::string& file, PriceSheet* p) {
  for (const auto& kv : map) {
    RETURN_IF_ERROR(Set(prefix + kv.first.as<std::string>(), kv.second, file, p));
  }
  return Status::Ok();
}

}  // namespace

Result<PriceSheet> ParsePriceSheet(std::string_view yaml_text, const std::string& file) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(file + ": line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  if (!root.IsMap()) return Status::InvalidArgument(file + ": expected a mapping of price settings");
  PriceSheet p;
  p.sources.clear();
  RETURN_IF_ERROR(Walk(root, "", file, &p));
  return p;
}

Result<PriceSheet> LoadPriceSheet(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::FromErrno(errno, "open price file", path);
  return ParsePriceSheet(std::string(std::istreambuf_iterator<char>(in), {}), path);
}

Result<PriceSheet> LoadDefaultPriceSheet() {
  if (const char* env = std::getenv("FAASNET_PRICES")) return LoadPriceSheet(env);
#ifdef FAASNET_SOURCE_DIR
  std::string shipped = std::string(FAASNET_SOURCE_DIR) + "/prices/lambda.yaml";
  if (std::filesystem::exists(shipped)) return LoadPriceSheet(shipped);
#endif
  return PriceSheet{};
}

double BilledMs(double duration_ms, BillingRule rule) {
  double unit = rule == BillingRule::k1ms ? 1.0 : 100.0;
  if (duration_ms <= 0) return unit;
  // Tolerate float noise: 300.0000001 ms is 300 ms, not 400.
  return std::ceil(duration_ms / unit - 1e-9) * unit;
}

double GbSeconds(double memory_mb, double billed_ms) { return memory_mb / 1024.0 * billed_ms / 1000.0; }

Cost InvocationCost(const PriceSheet& prices, double memory_mb, double billed_ms, Arch arch, int s3_gets, int s3_puts,
                    double s3_bytes) {
  Cost c;
  c.compute_usd = GbSeconds(memory_mb, billed_ms) * prices.GbSecondUsd(arch);
  c.request_usd = prices.request_usd_per_million / 1e6;
  c.s3_usd = s3_gets * prices.s3_get_usd_per_thousand / 1000 + s3_puts * prices.s3_put_usd_per_thousand / 1000 +
             s3_bytes / 1e9 * prices.s3_transfer_usd_per_gb;
  return c;
}

Cost ApplyFreeTier(const PriceSheet& prices, const Cost& cost, double gb_seconds, double requests, Arch arch) {
  if (!prices.free_tier) return cost;
  Cost c = cost;
  double free_gbs = std::min(gb_seconds, prices.free_gb_seconds_per_month);
  double free_req = std::min(requests, prices.free_requests_per_month);
  c.compute_usd = std::max(0.0, c.compute_usd - free_gbs * prices.GbSecondUsd(arch));
  c.request_usd = std::max(0.0, c.request_usd - free_req * prices.request_usd_per_million / 1e6);
  return c;
}

}  // namespace faasnet::analysis
