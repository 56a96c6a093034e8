// The iperf3 client of the `probe` workload: libiperf (Debian's libiperf-dev, iperf3's own library)
// runs one TCP test against an iperf3 server, and its JSON report (iperf3 -J) becomes per-interval
// samples. The paper ran the iperf3 client inside the function the same way: upload by default,
// download with -R.
//
// Ownership: RunIperfClient owns its libiperf test for the call. Thread-safety: libiperf keeps
// global state (i_errno, signal handlers), so run one test at a time per process; ParseIperfJson is pure.
#ifndef FAASNET_WORKLOAD_IPERF_H_
#define FAASNET_WORKLOAD_IPERF_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "workload/event.h"

namespace faasnet::workload {

struct IperfOptions {
  std::string host;  // the server's address or name
  int port = 5201;
  Direction direction = Direction::kUp;
  int duration_s = 10;
  double interval_s = 1.0;  // reporting interval of the samples
  int connect_timeout_ms = 5'000;
};

// One reporting interval, as the function saw it (bytes it sent for up, received for down).
struct IperfInterval {
  double t_s = 0;        // the interval's start, seconds since the test began
  double seconds = 0;    // its length
  uint64_t bytes = 0;
  double mb_per_s = 0;   // bytes / seconds / 10^6
  std::optional<int64_t> retransmits;  // TCP retransmits in the interval (sender side only)
};

struct IperfResult {
  std::vector<IperfInterval> intervals;
  uint64_t bytes = 0;      // received by the receiving side over the whole test
  double seconds = 0;      // the receiver's test length
  std::optional<int64_t> retransmits;  // the sender's total; absent when iperf3 does not report it
  std::string json;        // iperf3's whole JSON report
};

// Parses iperf3's JSON report (-J). Errors: InvalidArgument "iperf3 report: ..." when it is not
// JSON, carries an "error", or has no end.sum_received; an interval without a "sum" is skipped.
Result<IperfResult> ParseIperfJson(std::string_view json_text);

// Runs one test. Errors: InvalidArgument for bad options; Unavailable "iperf3 HOST:PORT: <libiperf's
// message>" when the test fails (server unreachable or busy, connection lost).
Result<IperfResult> RunIperfClient(const IperfOptions& options);

}  // namespace faasnet::workload

#endif  // FAASNET_WORKLOAD_IPERF_H_
