#include "region/records.h"

#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>

#include <fmt/format.h>

namespace faasnet::region {

int64_t BilledMs(double duration_ms, int64_t granularity_ms) {
  auto units = static_cast<int64_t>(std::ceil(duration_ms / static_cast<double>(granularity_ms)));
  return std::max<int64_t>(1, units) * granularity_ms;
}

std::string InvocationRecord::ToJson() const {
  nlohmann::json j = {
      {"schema_version", kRecordSchemaVersion},
      {"request_id", request_id},
      {"function", function},
      {"memory_mb", memory_mb},
      {"cpus", cpus},
      {"host_id", host_id},
      {"sandbox_id", sandbox_id},
      {"isolation", isolation},
      {"oversubscribed", oversubscribed},
      {"cold", cold},
      {"init_duration_ms", init_duration_ms},
      {"duration_ms", duration_ms},
      {"billed_duration_ms_1ms", billed_duration_ms_1ms},
      {"billed_duration_ms_100ms", billed_duration_ms_100ms},
      {"max_memory_used_bytes", max_memory_used_bytes},
      {"cpu_time_ms", cpu_time_ms},
      {"cpu_throttled_ms", cpu_throttled_ms},
      {"cpu_nr_throttled", cpu_nr_throttled},
      {"net_rx_bytes", net_rx_bytes},
      {"net_tx_bytes", net_tx_bytes},
      {"error_type", error_type},
      {"error_message", error_message},
      {"start_unix_ms", start_unix_ms},
  };
  if (!network_policy.empty()) j["network_policy"] = network_policy;
  if (net_usage) j["net"] = net::ToJson(*net_usage);
  std::string line = j.dump();
  // The profile is already JSON: splice it in rather than parse it per record.
  if (!network_profile_json.empty()) line.insert(line.size() - 1, ",\"network_profile\":" + network_profile_json);
  return line;
}

std::string InvocationRecord::ReportLine() const {
  std::string line = fmt::format(
      "REPORT RequestId: {}\tDuration: {:.2f} ms\tBilled Duration: {} ms\tMemory Size: {} MB\tMax Memory Used: {} MB",
      request_id, duration_ms, billed_duration_ms_1ms, memory_mb, (max_memory_used_bytes + 999'999) / 1'000'000);
  if (cold) line += fmt::format("\tInit Duration: {:.2f} ms", init_duration_ms);
  return line;
}

Result<std::unique_ptr<RecordWriter>> RecordWriter::Open(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "a");
  if (!f) return Status::FromErrno(errno, "open records file", path);
  return std::unique_ptr<RecordWriter>(new RecordWriter(path, f));
}

RecordWriter::~RecordWriter() {
  if (f_) std::fclose(f_);
}

void RecordWriter::Write(const InvocationRecord& r) {
  std::string line = r.ToJson() + "\n";
  std::lock_guard<std::mutex> lock(mu_);
  std::fwrite(line.data(), 1, line.size(), f_);
  std::fflush(f_);
}

}  // namespace faasnet::region
