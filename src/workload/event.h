// The benchmark workloads' event: what one invocation of `probe` (native) or `boto3` (Python) is asked
// to do. The event is a JSON object {"action": ..., ...}; the fields of each action are listed below
// and in runtime/README.md. Both workloads accept the same events and answer the same response shape
// (docs/formats/results.md, "Workload responses").
//
//   {"action": "s3-get", "bucket": "b", "keys": ["k1", "k2"], "endpoint"?: "http://..."}
//   {"action": "s3-put", "bucket": "b", "key": "k", "bytes": 10000000 | "10MB", "seed"?: 1, "endpoint"?}
//   {"action": "s3-put", "bucket": "b", "key": "k", "fetch": true, "source_key": "chunk", "endpoint"?}
//        ("bytes" may come along with fetch, as the suite sends the chunk size; the source's size wins)
//   {"action": "iperf", "direction": "up" | "down", "duration_s": 10, "interval_s"?: 1.0, "host"?, "port"?}
//   {"action": "host-id"}
//   {"action": "noop", "sleep_ms"?: 300}   (sleeping keeps a sandbox busy: warm-ups of N sandboxes)
//
// Parsing is strict: a field the action does not know is an error (a typo would otherwise silently
// run the default), so a bad event fails at once with a message that names the field.
//
// Thread-safety: values; ParseEvent is pure.
#ifndef FAASNET_WORKLOAD_EVENT_H_
#define FAASNET_WORKLOAD_EVENT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace faasnet::workload {

enum class Action { kS3Get, kS3Put, kIperf, kHostId, kNoop };
// "s3-get", "s3-put", "iperf", "host-id", "noop".
const char* ActionName(Action action);

// iperf3 direction as the function sees it: up = the function sends (iperf3's default), down = it
// receives (iperf3 -R).
enum class Direction { kUp, kDown };
const char* DirectionName(Direction direction);  // "up", "down"

// Limits that keep a bad event from asking for the impossible.
inline constexpr size_t kMaxKeys = 10'000;
inline constexpr uint64_t kMaxPutBytes = uint64_t{4} << 30;  // generated bodies are held in memory
inline constexpr int kMaxDurationS = 900;                   // Lambda's longest timeout
inline constexpr int64_t kMaxSleepMs = kMaxDurationS * 1000;

struct S3GetEvent {
  std::string bucket;
  std::vector<std::string> keys;  // at least one; downloaded in order, one connection
  std::string endpoint;           // empty: ResolveS3Endpoint's choice (workload/probe.h)
};

struct S3PutEvent {
  std::string bucket;
  std::string key;
  std::string endpoint;  // as S3GetEvent
  // Generated body: `bytes` of the data set's chunk (dataset/reviews.h) `seed`, chunk index 0.
  uint64_t bytes = 0;
  uint64_t seed = 1;
  // Fetch-then-upload (the paper's upload workload): GET source_key first (untimed), PUT its bytes.
  bool fetch = false;
  std::string source_key;
};

struct IperfEvent {
  Direction direction = Direction::kUp;
  int duration_s = 10;
  double interval_s = 1.0;  // sample length, 0.1 to 60 s (iperf3 -i); 0.1 s shows a token bucket's quanta
  std::string host;  // empty: $FAASNET_IPERF_HOST
  int port = 0;      // 0: the first of $FAASNET_IPERF_PORTS (comma-separated)
};

struct Event {
  Action action = Action::kNoop;
  S3GetEvent s3_get;  // set for kS3Get
  S3PutEvent s3_put;  // set for kS3Put
  IperfEvent iperf;   // set for kIperf
  int64_t sleep_ms = 0;  // kNoop: sleep this long before answering
};

// Parses an event. An empty payload is {"action": "noop"}. Errors (InvalidArgument, "event: ..."):
// not JSON, not an object, no or an unknown action, a missing or mistyped field, a field the action
// does not take, a value outside its limits.
Result<Event> ParseEvent(std::string_view json_text);

}  // namespace faasnet::workload

#endif  // FAASNET_WORKLOAD_EVENT_H_
