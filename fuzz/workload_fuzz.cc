// Fuzzes what a workload parses from outside: the event (any invoker's payload), /proc/net/dev,
// /proc/self/cgroup and iperf3's JSON report. The first byte picks the parser; none may crash,
// throw or hang, and a parsed event must render a response.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "workload/event.h"
#include "workload/iperf.h"
#include "workload/proc.h"
#include "workload/response.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  using namespace faasnet::workload;
  switch (data[0] % 4) {
    case 0: {
      auto event = ParseEvent(text);
      if (event.ok()) {
        Response r;
        r.action = event->action;
        if (event->action == Action::kIperf) r.iperf = event->iperf;
        (void)ResponseJson(r);
      }
      break;
    }
    case 1:
      (void)ParseNetDev(text);
      break;
    case 2:
      (void)PaperHostKey(ParseCgroup(text));
      break;
    default:
      (void)ParseIperfJson(text);
      break;
  }
  return 0;
}
