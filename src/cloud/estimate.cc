#include "cloud/estimate.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace faasnet::cloud {

CostEstimate Estimate(const std::vector<suite::Cell>& cells) {
  CostEstimate e;
  for (const auto& c : cells) {
    long per_rep = c.chunks > 0 ? c.chunks : c.concurrency;
    long n = per_rep * c.repetitions;
    double mb = *std::max_element(c.memories.begin(), c.memories.end());
    double seconds = 0.05;
    if (c.action == "s3-get" || c.action == "s3-put") {
      double rate = std::min(85.0, 10.0 * mb / 128.0);
      seconds = c.chunk_mb / rate + 0.05;
      if (c.action == "s3-put" && c.params.value("fetch", false)) seconds *= 2;
    } else if (c.action == "iperf") {
      seconds = c.params.value("duration_s", 10.0) + 1;
    }
    double warm = c.cold ? 0 : static_cast<double>(c.concurrency);  // warm-up invocations
    double cold_starts = static_cast<double>(c.concurrency) * (c.cold ? c.repetitions : 1);
    e.invocations += n + static_cast<long>(warm);
    e.gb_seconds += mb / 1024.0 * (static_cast<double>(n) * seconds + warm * 0.35 + cold_starts * 1.0);
    long puts = c.action == "s3-put" ? n : 0;
    long gets = c.action == "s3-get" ? n : (c.params.value("fetch", false) ? n : 0);
    e.s3_usd += static_cast<double>(puts) * kUsdPerS3Put + static_cast<double>(gets) * kUsdPerS3Get;
    // The data set's uploads.
    if (gets) e.s3_usd += static_cast<double>(std::max<long>(per_rep, 1)) * kUsdPerS3Put;
  }
  e.lambda_usd = e.gb_seconds * kUsdPerGbSecondX86;
  e.requests_usd = static_cast<double>(e.invocations) * kUsdPerRequest;
  return e;
}

std::string CostEstimate::ToString() const {
  std::ostringstream o;
  o.setf(std::ios::fixed);
  o.precision(4);
  o << "$" << total() << " (Lambda " << gb_seconds << " GB-s = $" << lambda_usd << ", " << invocations
    << " requests = $" << requests_usd << ", S3 requests $" << s3_usd << ")";
  return o.str();
}

}  // namespace faasnet::cloud
