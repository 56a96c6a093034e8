// A workload's answer to one event, and its JSON as docs/formats/results.md ("Workload responses")
// defines it. The native `probe` builds a Response; runtime/functions/boto3/app.py writes the same
// JSON by hand and tests/clients/test_workloads.py checks both against one list of fields.
//
// Common fields: action, ok, error (and error_class when !ok), bytes, elapsed_ms, mb_per_s, netdev
// (bytes on the sandbox's non-loopback interfaces during the handler; null when /proc/net/dev cannot
// be read), cpu (the process's user and system CPU time during the handler), ids. For s3-put, netdev
// and cpu cover the timed upload only (generating or fetching the body is not the client's transfer
// cost). Times are ms on the steady clock since the handler started. MB = 10^6 bytes.
//
// Thread-safety: values; ResponseJson is pure.
#ifndef FAASNET_WORKLOAD_RESPONSE_H_
#define FAASNET_WORKLOAD_RESPONSE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "workload/event.h"
#include "workload/iperf.h"
#include "workload/proc.h"

namespace faasnet::workload {

// One object moved by s3-get or s3-put.
struct ObjectTiming {
  std::string key;
  uint64_t bytes = 0;
  double t_start_ms = 0;       // the request began (before connecting, when a connection was needed)
  double t_first_byte_ms = 0;  // GET: first body byte arrived; PUT: first response byte (the body was sent)
  double t_last_byte_ms = 0;   // GET: last body byte arrived; PUT: the response is complete
  int http_status = 0;
  int new_connections = 0;  // 0: the request went on a kept-alive connection
  int retries = 0;
};

struct Ids {
  std::optional<std::string> host_id;     // $FAASNET_HOST_ID
  std::optional<std::string> sandbox_id;  // $FAASNET_SANDBOX_ID
  std::string cgroup;                     // the first line of /proc/self/cgroup
};

struct Response {
  Action action = Action::kNoop;
  bool ok = true;
  std::string error;        // empty when ok
  std::string error_class;  // s3client::ErrorClassName, "iperf", ...; empty when ok
  uint64_t bytes = 0;
  double elapsed_ms = 0;
  std::optional<NetDevCounters> netdev;
  CpuUsage cpu;
  Ids ids;

  // s3-get, s3-put
  std::vector<ObjectTiming> objects;
  std::string bucket;
  std::string endpoint;
  // s3-put with fetch: the untimed download of the source
  std::optional<ObjectTiming> fetched;

  // iperf
  std::optional<IperfEvent> iperf;  // what was run (host and port resolved)
  std::vector<IperfInterval> intervals;
  std::optional<int64_t> retransmits;

  // host-id
  std::vector<std::string> cgroup_lines;
  std::optional<std::string> paper_host_key;  // empty key (no cgroup to tell hosts by) -> null
};

// bytes / elapsed_ms * 1000 / 10^6; 0 when elapsed_ms <= 0.
double MegabytesPerSecond(uint64_t bytes, double elapsed_ms);

// The response as one line of JSON (invalid UTF-8 replaced). Fields that do not belong to the
// action are left out.
std::string ResponseJson(const Response& response);

}  // namespace faasnet::workload

#endif  // FAASNET_WORKLOAD_RESPONSE_H_
