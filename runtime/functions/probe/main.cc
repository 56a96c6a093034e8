// probe: the native benchmark workload (built as functions/probe/bootstrap, `provided` runtime).
// Actions s3-get, s3-put, iperf, host-id, noop; the logic is faasnet_workload's Probe
// (src/workload/probe.h), the events and responses are in runtime/README.md.
// An event that cannot run is a function error (errorType "InvalidEvent"); a failed transfer or
// test is a response with "ok": false and its error.
#include "runtime/loop.h"
#include "workload/probe.h"

int main() {
  faasnet::workload::Probe probe(faasnet::workload::SystemEnvironment());
  return faasnet::runtime::RunLoop([&probe](const faasnet::runtime::Invocation& invocation) {
    auto response = probe.Handle(invocation.payload);
    if (!response.ok()) {
      const bool bad_event = response.status().code() == faasnet::Status::Code::kInvalidArgument;
      return faasnet::runtime::HandlerResult::Failure(bad_event ? "InvalidEvent" : "ProbeError",
                                                      response.status().message());
    }
    return faasnet::runtime::HandlerResult::Success(std::move(*response));
  });
}
