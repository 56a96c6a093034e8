#include "workload/response.h"

#include <nlohmann/json.hpp>

namespace faasnet::workload {
namespace {

using nlohmann::json;

template <typename T>
json OrNull(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

json ObjectJson(const ObjectTiming& o) {
  return {{"key", o.key},
          {"bytes", o.bytes},
          {"t_start_ms", o.t_start_ms},
          {"t_first_byte_ms", o.t_first_byte_ms},
          {"t_last_byte_ms", o.t_last_byte_ms},
          {"http_status", o.http_status},
          {"new_connections", o.new_connections},
          {"retries", o.retries}};
}

}  // namespace

double MegabytesPerSecond(uint64_t bytes, double elapsed_ms) {
  return elapsed_ms > 0 ? static_cast<double>(bytes) / elapsed_ms * 1000.0 / 1e6 : 0.0;
}

std::string ResponseJson(const Response& r) {
  json out = {{"action", ActionName(r.action)},
              {"ok", r.ok},
              {"error", r.error},
              {"bytes", r.bytes},
              {"elapsed_ms", r.elapsed_ms},
              {"mb_per_s", MegabytesPerSecond(r.bytes, r.elapsed_ms)},
              {"cpu", {{"user_ms", r.cpu.user_ms}, {"system_ms", r.cpu.system_ms}}},
              {"ids", {{"host_id", OrNull(r.ids.host_id)}, {"sandbox_id", OrNull(r.ids.sandbox_id)},
                       {"cgroup", r.ids.cgroup}}}};
  out["netdev"] = r.netdev ? json{{"rx_bytes", r.netdev->rx_bytes}, {"tx_bytes", r.netdev->tx_bytes}} : json(nullptr);
  if (!r.ok) out["error_class"] = r.error_class;
  switch (r.action) {
    case Action::kS3Get:
    case Action::kS3Put: {
      json objects = json::array();
      for (const ObjectTiming& o : r.objects) objects.push_back(ObjectJson(o));
      out["objects"] = std::move(objects);
      out["bucket"] = r.bucket;
      out["endpoint"] = r.endpoint;
      if (r.fetched) out["fetched"] = ObjectJson(*r.fetched);
      break;
    }
    case Action::kIperf: {
      json intervals = json::array();
      for (const IperfInterval& i : r.intervals) {
        intervals.push_back({{"t_s", i.t_s}, {"seconds", i.seconds}, {"bytes", i.bytes}, {"mb_per_s", i.mb_per_s},
                             {"retransmits", OrNull(i.retransmits)}});
      }
      out["intervals"] = std::move(intervals);
      out["retransmits"] = OrNull(r.retransmits);
      if (r.iperf) {
        out["direction"] = DirectionName(r.iperf->direction);
        out["duration_s"] = r.iperf->duration_s;
        out["interval_s"] = r.iperf->interval_s;
        out["host"] = r.iperf->host;
        out["port"] = r.iperf->port;
      }
      break;
    }
    case Action::kHostId:
      out["cgroup_lines"] = r.cgroup_lines;
      out["paper_host_key"] = OrNull(r.paper_host_key);
      break;
    case Action::kNoop:
      break;
  }
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace faasnet::workload
