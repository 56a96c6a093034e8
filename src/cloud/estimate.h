// What a run will cost on AWS, before anything is created: invocations per
// cell from the scenarios, a duration per invocation from a deliberately
// pessimistic throughput model, Lambda's x86 first-tier price and request
// fee, and S3's request fees (PAPER.md "AWS Lambda facts"; S3: $0.005 per
// 1,000 PUT, $0.0004 per 1,000 GET, us-east-1). Transfer inside a region is
// free; storage for an hour is noise and left out.
//
// The throughput model (pessimistic on purpose: an estimate should not
// surprise upwards): S3 at min(85, 10 x memory / 128) MB/s, iperf takes its
// duration + 1 s, everything else 50 ms; plus one cold start of 1 s per
// function and cell.
//
// Thread-safety: pure functions.
#ifndef FAASNET_CLOUD_ESTIMATE_H_
#define FAASNET_CLOUD_ESTIMATE_H_

#include <string>
#include <vector>

#include "suite/scenario.h"

namespace faasnet::cloud {

struct CostEstimate {
  double lambda_usd = 0, requests_usd = 0, s3_usd = 0;
  double gb_seconds = 0;
  long invocations = 0;
  double total() const { return lambda_usd + requests_usd + s3_usd; }
  std::string ToString() const;
};

inline constexpr double kUsdPerGbSecondX86 = 0.0000166667;
inline constexpr double kUsdPerRequest = 0.20 / 1e6;
inline constexpr double kUsdPerS3Put = 0.005 / 1000;
inline constexpr double kUsdPerS3Get = 0.0004 / 1000;

CostEstimate Estimate(const std::vector<suite::Cell>& cells);

}  // namespace faasnet::cloud

#endif  // FAASNET_CLOUD_ESTIMATE_H_
