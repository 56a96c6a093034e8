#include "store/metrics.h"

#include <fmt/format.h>

namespace faasnet::store {

void Metrics::Record(const std::string& operation, int status, uint64_t bytes_in, uint64_t bytes_out,
                     double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{operation, status}];
  bytes_in_ += bytes_in;
  bytes_out_ += bytes_out;
  Histogram& h = latency_[operation];
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++h.counts[i];
  }
  ++h.count;
  h.sum += seconds;
}

std::string Metrics::Render() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  out += "# HELP faasnet_s3_requests_total S3 requests by operation and HTTP status.\n";
  out += "# TYPE faasnet_s3_requests_total counter\n";
  for (const auto& [k, v] : requests_) {
    out += fmt::format("faasnet_s3_requests_total{{operation=\"{}\",status=\"{}\"}} {}\n", k.first, k.second, v);
  }
  out += "# HELP faasnet_s3_received_bytes_total Request body bytes received.\n";
  out += "# TYPE faasnet_s3_received_bytes_total counter\n";
  out += fmt::format("faasnet_s3_received_bytes_total {}\n", bytes_in_);
  out += "# HELP faasnet_s3_sent_bytes_total Response body bytes sent.\n";
  out += "# TYPE faasnet_s3_sent_bytes_total counter\n";
  out += fmt::format("faasnet_s3_sent_bytes_total {}\n", bytes_out_);
  out += "# HELP faasnet_s3_request_duration_seconds Time from request head to response end.\n";
  out += "# TYPE faasnet_s3_request_duration_seconds histogram\n";
  for (const auto& [op, h] : latency_) {
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      out += fmt::format("faasnet_s3_request_duration_seconds_bucket{{operation=\"{}\",le=\"{}\"}} {}\n", op,
                         kBuckets[i], h.counts[i]);
    }
    out += fmt::format("faasnet_s3_request_duration_seconds_bucket{{operation=\"{}\",le=\"+Inf\"}} {}\n", op, h.count);
    out += fmt::format("faasnet_s3_request_duration_seconds_sum{{operation=\"{}\"}} {}\n", op, h.sum);
    out += fmt::format("faasnet_s3_request_duration_seconds_count{{operation=\"{}\"}} {}\n", op, h.count);
  }
  return out;
}

}  // namespace faasnet::store
