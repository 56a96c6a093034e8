// The cost model: Lambda's prices as a commented file (prices/lambda.yaml,
// docs/formats/prices.md) and the billing rules applied to measured results.
//
// AWS bills an invocation for its configured memory (GB = 1024 MB) times its
// billed duration, the run time rounded up to 100 ms (until Nov 2020, the
// paper's rule) or to 1 ms (since Dec 2020), plus a request fee. The paper's
// *normalized cost* is a job's sum of memory_mb x billed duration divided by
// the same sum for a reference cell; prices cancel out of it, the rounding
// rule does not. The free tier is off unless the price file enables it.
//
// Thread-safety: plain values and pure functions.
#ifndef FAASNET_ANALYSIS_PRICES_H_
#define FAASNET_ANALYSIS_PRICES_H_

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace faasnet::analysis {

enum class BillingRule { k1ms, k100ms };
// "1ms" / "100ms".
const char* BillingRuleName(BillingRule rule);
// Accepts "1ms" and "100ms"; anything else is InvalidArgument.
Result<BillingRule> ParseBillingRule(std::string_view text);
// "1 ms billing (since Dec 2020)" / "100 ms billing (2019, the paper's)": written on cost figures.
std::string BillingRuleCaption(BillingRule rule);

enum class Arch { kX86, kArm };

struct PriceSheet {
  std::string name = "aws-lambda-us-east-1";
  std::vector<std::string> sources;
  double gb_second_usd_x86 = 0.0000166667;
  double gb_second_usd_arm = 0.0000133334;
  double request_usd_per_million = 0.20;
  BillingRule default_billing = BillingRule::k100ms;
  bool free_tier = false;
  double free_requests_per_month = 1e6;
  double free_gb_seconds_per_month = 400000;
  double s3_get_usd_per_thousand = 0;  // 0 = not priced
  double s3_put_usd_per_thousand = 0;
  double s3_transfer_usd_per_gb = 0;

  double GbSecondUsd(Arch arch) const { return arch == Arch::kArm ? gb_second_usd_arm : gb_second_usd_x86; }
};

// Parses a price file's text; errors name `file`, the line and the field
// ("prices/x.yaml: line 12: gb_second_usd.x86_64: not a number: 'abc'").
// Unknown keys are errors (a typo must not silently price at zero).
Result<PriceSheet> ParsePriceSheet(std::string_view yaml_text, const std::string& file);
// Reads and parses `path`.
Result<PriceSheet> LoadPriceSheet(const std::string& path);
// The shipped prices/lambda.yaml: $FAASNET_PRICES when set, else the source
// tree's copy; the built-in defaults (identical numbers) when neither exists.
Result<PriceSheet> LoadDefaultPriceSheet();

// `duration_ms` rounded up to the rule's granularity (a 0 ms run bills one unit).
double BilledMs(double duration_ms, BillingRule rule);
// GB-seconds of one invocation: memory_mb / 1024 x billed_ms / 1000.
double GbSeconds(double memory_mb, double billed_ms);

// What one invocation or a set of them costs, in USD.
struct Cost {
  double compute_usd = 0;
  double request_usd = 0;
  double s3_usd = 0;
  double total() const { return compute_usd + request_usd + s3_usd; }
  Cost& operator+=(const Cost& o) {
    compute_usd += o.compute_usd;
    request_usd += o.request_usd;
    s3_usd += o.s3_usd;
    return *this;
  }
};

// One invocation: memory x already-billed duration, one request, and
// `s3_gets`/`s3_puts` requests moving `s3_bytes` when the sheet prices S3.
Cost InvocationCost(const PriceSheet& prices, double memory_mb, double billed_ms, Arch arch = Arch::kX86,
                    int s3_gets = 0, int s3_puts = 0, double s3_bytes = 0);

// A job's total after the free tier (when enabled, assuming the job is the
// month's only use): compute and request charges reduced by the free allowance.
Cost ApplyFreeTier(const PriceSheet& prices, const Cost& cost, double gb_seconds, double requests, Arch arch);

}  // namespace faasnet::analysis

#endif  // FAASNET_ANALYSIS_PRICES_H_
