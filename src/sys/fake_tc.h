// Test support: an in-memory TrafficControl that records the configuration a
// caller builds (qdiscs, HTB classes, u32 filters, ingress redirects) so that
// unit tests of shaping policies can assert on it, with the real
// implementation's validation and defaults (bursts from RecommendedBurstBytes,
// ceil = rate when 0, classes need their parent, filters need their qdisc),
// settable counters and failure injection.
//
// Part of faasnet_sys_fakes (link it from tests only).
// Thread-safety: one object per thread.
#ifndef FAASNET_SYS_FAKE_TC_H_
#define FAASNET_SYS_FAKE_TC_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "sys/tc.h"

namespace faasnet::sys {

class FakeTrafficControl final : public TrafficControl {
 public:
  struct Qdisc {
    std::string kind;  // "htb", "tbf", "ingress"
    uint32_t handle = 0;
    uint32_t parent = 0;
    HtbQdiscSpec htb;  // when kind == "htb"
    TbfSpec tbf;       // when kind == "tbf"
  };
  using Key = std::pair<std::string, uint32_t>;  // (dev, handle or classid)

  explicit FakeTrafficControl(std::string netns_name = "fake") : netns_(std::move(netns_name)) {}

  // The next call of `op` ("SetHtbClass", "AddU32Filter", ...) fails with `status`.
  void FailNext(const std::string& op, Status status) { failures_[op] = std::move(status); }
  void SetClassStats(const std::string& dev, uint32_t classid, const TcStats& s) { class_stats_[{dev, classid}] = s; }
  void SetQdiscStats(const std::string& dev, uint32_t handle, const TcStats& s) { qdisc_stats_[{dev, handle}] = s; }

  const std::map<Key, Qdisc>& qdiscs() const { return qdiscs_; }
  // Classes as the real one would send them (defaults filled in).
  const std::map<Key, HtbClassSpec>& classes() const { return classes_; }
  const std::vector<U32FilterSpec>& filters() const { return filters_; }
  // (dev, ifb) pairs.
  const std::vector<std::pair<std::string, std::string>>& redirects() const { return redirects_; }
  const std::vector<std::string>& calls() const { return calls_; }

  const std::string& netns_name() const override { return netns_; }
  Status AddHtbQdisc(const HtbQdiscSpec& spec) override;
  Status SetHtbClass(const HtbClassSpec& spec) override;
  Result<HtbClassSpec> GetHtbClass(std::string_view dev, uint32_t classid) override;
  Status DeleteClass(std::string_view dev, uint32_t classid) override;
  Status AddTbfQdisc(const TbfSpec& spec) override;
  Status AddU32Filter(const U32FilterSpec& spec) override;
  Status DeleteFilter(std::string_view dev, uint32_t parent, uint16_t prio) override;
  Status AddIngressRedirect(std::string_view dev, std::string_view ifb_dev) override;
  Status DeleteRootQdisc(std::string_view dev) override;
  Status DeleteIngressQdisc(std::string_view dev) override;
  Result<TcStats> ReadClassStats(std::string_view dev, uint32_t classid) override;
  Result<TcStats> ReadQdiscStats(std::string_view dev, uint32_t handle) override;

 private:
  Status Begin(const std::string& op, const std::string& args);
  bool HasQdiscOrClass(const std::string& dev, uint32_t handle) const;

  std::string netns_;
  std::map<Key, Qdisc> qdiscs_;
  std::map<Key, HtbClassSpec> classes_;
  std::vector<U32FilterSpec> filters_;
  std::vector<std::pair<std::string, std::string>> redirects_;
  std::map<Key, TcStats> class_stats_, qdisc_stats_;
  std::map<std::string, Status> failures_;
  std::vector<std::string> calls_;
};

}  // namespace faasnet::sys

#endif  // FAASNET_SYS_FAKE_TC_H_
