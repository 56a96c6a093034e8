#include "workload/iperf.h"

#include <iperf_api.h>

#include <memory>
#include <nlohmann/json.hpp>

namespace faasnet::workload {
namespace {

using nlohmann::json;

std::optional<int64_t> OptionalInt(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int64_t>();
}

double Number(const json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_number() ? it->get<double>() : 0.0;
}

uint64_t Count(const json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_number() && it->get<double>() > 0 ? it->get<uint64_t>() : 0;
}

struct TestDeleter {
  void operator()(iperf_test* t) const { iperf_free_test(t); }
};

}  // namespace

Result<IperfResult> ParseIperfJson(std::string_view json_text) {
  json report = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (report.is_discarded() || !report.is_object()) return Status::InvalidArgument("iperf3 report: not a JSON object");
  if (auto e = report.find("error"); e != report.end() && e->is_string())
    return Status::InvalidArgument("iperf3 report: " + e->get<std::string>());
  IperfResult out;
  if (auto intervals = report.find("intervals"); intervals != report.end() && intervals->is_array()) {
    for (const json& i : *intervals) {
      if (!i.is_object() || !i.contains("sum") || !i["sum"].is_object()) continue;
      const json& sum = i["sum"];
      IperfInterval s;
      s.t_s = Number(sum, "start");
      s.seconds = Number(sum, "seconds");
      s.bytes = Count(sum, "bytes");
      s.mb_per_s = s.seconds > 0 ? static_cast<double>(s.bytes) / s.seconds / 1e6 : 0.0;
      s.retransmits = OptionalInt(sum, "retransmits");
      out.intervals.push_back(s);
    }
  }
  auto end = report.find("end");
  if (end == report.end() || !end->is_object() || !end->contains("sum_received") ||
      !(*end)["sum_received"].is_object())
    return Status::InvalidArgument("iperf3 report: no end.sum_received (the test did not finish)");
  out.bytes = Count((*end)["sum_received"], "bytes");
  out.seconds = Number((*end)["sum_received"], "seconds");
  if (auto sent = end->find("sum_sent"); sent != end->end() && sent->is_object())
    out.retransmits = OptionalInt(*sent, "retransmits");
  out.json = std::string(json_text);
  return out;
}

Result<IperfResult> RunIperfClient(const IperfOptions& o) {
  const std::string target = "iperf3 " + o.host + ":" + std::to_string(o.port);
  if (o.host.empty()) return Status::InvalidArgument("iperf3: no server host");
  if (o.port < 1 || o.port > 65535 || o.duration_s < 1 || o.interval_s <= 0)
    return Status::InvalidArgument(target + ": bad port, duration or interval");
  std::unique_ptr<iperf_test, TestDeleter> test(iperf_new_test());
  if (!test || iperf_defaults(test.get()) < 0) return Status::Internal(target + ": libiperf could not set up a test");
  iperf_test* t = test.get();
  iperf_set_test_role(t, 'c');
  iperf_set_test_server_hostname(t, o.host.c_str());
  iperf_set_test_server_port(t, o.port);
  iperf_set_test_duration(t, o.duration_s);
  iperf_set_test_reporter_interval(t, o.interval_s);
  iperf_set_test_stats_interval(t, o.interval_s);
  iperf_set_test_reverse(t, o.direction == Direction::kDown ? 1 : 0);
  iperf_set_test_connect_timeout(t, o.connect_timeout_ms);
  iperf_set_test_json_output(t, 1);
  // libiperf prints its JSON report to its outfile (stdout) as well; the function's log need not carry
  // it. iperf_run_client opens the log file itself; iperf_free_test does not close it.
  iperf_set_test_logfile(t, "/dev/null");
  const int rc = iperf_run_client(t);
  const char* report = iperf_get_test_json_output_string(t);
  std::string text = report != nullptr ? report : "";
  iperf_close_logfile(t);
  if (rc < 0) {
    std::string why = iperf_strerror(i_errno);
    auto parsed = ParseIperfJson(text);  // the report's "error" is often clearer
    if (!parsed.ok() && !text.empty()) why = parsed.status().message().substr(std::string("iperf3 report: ").size());
    return Status::Unavailable(target + ": " + why);
  }
  auto parsed = ParseIperfJson(text);
  if (!parsed.ok()) return Status::Unavailable(target + ": " + parsed.status().message());
  return parsed;
}

}  // namespace faasnet::workload
