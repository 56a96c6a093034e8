// Test support: an in-memory NetlinkOps for unit tests of callers (sandbox,
// region, net). It keeps links, addresses and routes of ONE namespace,
// applies the same validation as the real implementation (interface names,
// CIDR syntax, existing masters, duplicate names), logs every call, lets a
// test set link counters, and fails chosen operations on demand.
//
// A veth's peer is not created anywhere (the fake cannot follow a namespace
// fd); the spec is kept in veths() so tests can assert on it. With
// peer_netns_fd == -1 both ends appear in this fake, as in the kernel.
//
// Part of faasnet_sys_fakes (link it from tests only).
// Thread-safety: like the real one, one object per thread.
#ifndef FAASNET_SYS_FAKE_NETLINK_H_
#define FAASNET_SYS_FAKE_NETLINK_H_

#include <map>
#include <string>
#include <vector>

#include "sys/netlink.h"

namespace faasnet::sys {

class FakeNetlink final : public NetlinkOps {
 public:
  explicit FakeNetlink(std::string netns_name = "fake");

  // The next call of operation `op` ("CreateVeth", "AddAddress", ...) fails
  // with `status` (once).
  void FailNext(const std::string& op, Status status) { failures_[op] = std::move(status); }
  void SetStats(const std::string& link, const LinkStats& stats) { stats_[link] = stats; }
  // "CreateVeth v1 eth0", "AddAddress eth0 10.0.0.2/24", ... in call order.
  const std::vector<std::string>& calls() const { return calls_; }
  const std::vector<VethSpec>& veths() const { return veths_; }
  const std::vector<RouteSpec>& routes() const { return routes_; }

  const std::string& netns_name() const override { return netns_; }
  Result<int> CreateVeth(const VethSpec& spec) override;
  Result<int> CreateBridge(std::string_view name, uint32_t mtu = 0) override;
  Result<int> CreateIfb(std::string_view name) override;
  Status SetMaster(std::string_view link, std::string_view master) override;
  Status SetUp(std::string_view link, bool up) override;
  Status SetMtu(std::string_view link, uint32_t mtu) override;
  Status AddAddress(std::string_view link, std::string_view cidr) override;
  Result<std::vector<std::string>> Addresses(std::string_view link) override;
  Status AddRoute(const RouteSpec& route) override;
  Status DeleteLink(std::string_view link) override;
  Result<LinkInfo> GetLink(std::string_view name) override;
  Result<LinkInfo> GetLinkByIndex(int ifindex) override;
  Result<std::vector<LinkInfo>> ListLinks() override;
  Result<LinkStats> ReadStats(std::string_view name) override;
  Result<LinkStats> ReadStatsByIndex(int ifindex) override;

 private:
  Status Begin(const std::string& op, const std::string& args);
  Result<int> AddLink(const std::string& name, const std::string& kind, uint32_t mtu, bool up, int master);
  LinkInfo* Find(std::string_view name);

  std::string netns_;
  int next_index_ = 2;  // 1 is lo
  std::map<std::string, LinkInfo> links_;
  std::map<std::string, std::vector<std::string>> addresses_;
  std::map<std::string, LinkStats> stats_;
  std::map<std::string, Status> failures_;
  std::vector<std::string> calls_;
  std::vector<VethSpec> veths_;
  std::vector<RouteSpec> routes_;
};

}  // namespace faasnet::sys

#endif  // FAASNET_SYS_FAKE_NETLINK_H_
