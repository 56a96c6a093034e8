// Probe: the logic of the native `probe` workload (runtime/functions/probe/main.cc is its thin main).
// One object serves every invocation of a function instance, so its S3 connection stays alive
// between warm invocations, as an SDK client created at init would.
//
//   Probe probe(SystemEnvironment());
//   Result<std::string> json = probe.Handle(invocation.payload);
//
// What each action does (event fields: workload/event.h; response: workload/response.h):
//   s3-get   downloads each key in turn on one connection, body bytes counted and dropped (never held:
//            a 200 MB object needs no 200 MB of memory); timings from the S3 client's own clock
//   s3-put   uploads `bytes` of generated data (generated before the clock starts), or fetches
//            `source_key` first (untimed) and uploads its bytes; one PutObject, as boto3's put_object
//   iperf    one libiperf TCP test (workload/iperf.h) against $FAASNET_IPERF_HOST:first of
//            $FAASNET_IPERF_PORTS unless the event names them
//   host-id  /proc/self/cgroup, the paper's key derived from it, and faasnet's own ids
//   noop     only the common fields
//
// Settings from the environment: AWS_ENDPOINT_URL_S3 (else FAASNET_S3_ENDPOINT, else AWS), AWS_CA_BUNDLE, AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION; FAASNET_IPERF_HOST, FAASNET_IPERF_PORTS;
// FAASNET_HOST_ID, FAASNET_SANDBOX_ID.
//
// Ownership: borrows the Environment (it must outlive the Probe); owns its S3 clients.
// Thread-safety: one thread at a time (the Runtime API hands out one event at a time).
#ifndef FAASNET_WORKLOAD_PROBE_H_
#define FAASNET_WORKLOAD_PROBE_H_

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "s3client/client.h"
#include "workload/event.h"
#include "workload/proc.h"
#include "workload/response.h"

namespace faasnet::workload {

// Where S3 requests go: the event's endpoint, else $AWS_ENDPOINT_URL_S3, else $FAASNET_S3_ENDPOINT
// (all path-style, as the local store wants), else AWS's regional endpoint
// https://s3.$AWS_REGION.amazonaws.com (us-east-1 when unset) with virtual-hosted names, as in a
// real Lambda function.
struct S3Target {
  std::string endpoint;
  bool path_style = true;
};
S3Target ResolveS3Endpoint(const std::string& event_endpoint, const Environment& env);

class Probe {
 public:
  explicit Probe(Environment& env);
  ~Probe();
  Probe(const Probe&) = delete;
  Probe& operator=(const Probe&) = delete;

  // Runs one event. Success: the response JSON, whose "ok" is false when a transfer or test failed
  // (a result row with its error: the run goes on). Error: InvalidArgument for an event that cannot
  // run (ParseEvent's errors, no iperf3 host configured, a malformed endpoint URL);
  // the function reports it as a function error.
  Result<std::string> Handle(std::string_view payload);

  // The same on a parsed event, before rendering.
  Result<Response> Run(const Event& event);

 private:
  // The client for the event's endpoint (or the environment's), created on first use and kept.
  Result<s3client::Client*> S3(const std::string& event_endpoint, std::string* endpoint_used);

  Environment& env_;
  std::map<std::string, std::unique_ptr<s3client::Client>, std::less<>> clients_;  // by endpoint
};

}  // namespace faasnet::workload

#endif  // FAASNET_WORKLOAD_PROBE_H_
