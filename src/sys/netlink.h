// Links, addresses and routes over rtnetlink (libnl-route-3), one network
// namespace per NetlinkOps object.
//
// What for: building a sandbox's network without running `ip`: a veth pair
// whose far end is moved into the sandbox's namespace and named there, the
// host bridge it is enslaved to, addresses, a default route, and the link
// counters that become per-invocation bytes. Every mutation is read back
// (link exists with the requested name, master, MTU and up flag; address and
// route present) and fails with a Status naming the operation, the link and
// the namespace, e.g. "create veth v12 (peer eth0 in netns faasnet-s12) in
// netns faasnet-h1: Object exists".
//
// Namespaces: a NetlinkOps acts in the namespace its socket was opened in
// (OpenNetlink(ns) enters `ns` on the calling thread just long enough to open
// the socket). A veth's peer can be placed in another namespace by fd.
//
// Test seam: callers take a NetlinkOps&; fake_netlink.h has an in-memory
// implementation with failure injection.
//
// Ownership: a NetlinkOps owns its socket; links it creates belong to the
// namespace (deleted with it), not to the object.
// Thread-safety: one NetlinkOps per thread (a netlink socket carries request
// state); open one per thread when needed (~20 us).
#ifndef FAASNET_SYS_NETLINK_H_
#define FAASNET_SYS_NETLINK_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace faasnet::sys {

class NetNamespace;

struct LinkInfo {
  int ifindex = 0;
  std::string name;
  std::string kind;  // "veth", "bridge", "ifb", ... ("" for lo and physical NICs)
  uint32_t mtu = 0;
  bool up = false;         // administratively up (IFF_UP)
  bool running = false;    // carrier and up (IFF_RUNNING)
  int master_ifindex = 0;  // the bridge it is enslaved to, 0 for none
};

// Interface counters as the kernel reports them (64-bit). On a host-side veth
// rx is what the sandbox sent and tx what it received.
struct LinkStats {
  uint64_t rx_bytes = 0, tx_bytes = 0;
  uint64_t rx_packets = 0, tx_packets = 0;
  uint64_t rx_dropped = 0, tx_dropped = 0;
  uint64_t rx_errors = 0, tx_errors = 0;
};

struct VethSpec {
  std::string name;        // created in the NetlinkOps's namespace (<= 15 chars)
  std::string peer_name;   // the other end's name in its namespace (<= 15 chars)
  int peer_netns_fd = -1;  // namespace for the peer (NetNamespace::fd()); -1: same namespace
  std::string master;      // bridge to enslave `name` to at creation; "" for none
  uint32_t mtu = 0;        // both ends; 0: kernel default (1500)
  bool up = true;          // set `name` up (in the creation request)
  // Also set the peer up. The kernel cannot do it in the creation request (a
  // veth refuses to open before its peer is linked: ENOTCONN), so this opens a
  // short-lived socket in the peer's namespace (~30 us). Leave it false when
  // the caller configures the peer through a NetlinkOps there anyway.
  bool peer_up = false;
  // The peer's MAC address; empty: random (the kernel's). A fixed MAC per IP
  // address keeps neighbour caches right when an address is reused.
  std::vector<uint8_t> peer_mac;
};

struct RouteSpec {
  std::string dst = "default";  // "default" or an IPv4 CIDR ("10.200.0.0/16")
  std::string gateway;          // IPv4 address; "" for an on-link route
  std::string dev;              // output link; "" to let the kernel pick by gateway
};

class NetlinkOps {
 public:
  virtual ~NetlinkOps() = default;

  // The namespace's name for messages ("" when opened in the current one).
  virtual const std::string& netns_name() const = 0;

  // Creates the veth pair in one request (peer moved and named in its
  // namespace, `name` enslaved and up as asked). Returns the ifindex of
  // `name`. AlreadyExists when a link of that name exists.
  virtual Result<int> CreateVeth(const VethSpec& spec) = 0;
  // Creates a bridge (STP off, so ports forward at once) with a fixed MAC
  // address (so that it does not change as ports come and go) and sets it
  // up. Returns its ifindex.
  virtual Result<int> CreateBridge(std::string_view name, uint32_t mtu = 0) = 0;
  // Creates an ifb device (for ingress shaping) and sets it up. Returns its ifindex.
  virtual Result<int> CreateIfb(std::string_view name) = 0;
  // Enslaves `link` to bridge `master` ("" releases it).
  virtual Status SetMaster(std::string_view link, std::string_view master) = 0;
  virtual Status SetUp(std::string_view link, bool up) = 0;
  virtual Status SetMtu(std::string_view link, uint32_t mtu) = 0;
  // Adds an IPv4 address in CIDR form ("10.200.1.2/24") to `link`.
  virtual Status AddAddress(std::string_view link, std::string_view cidr) = 0;
  // The IPv4 addresses on `link`, CIDR form.
  virtual Result<std::vector<std::string>> Addresses(std::string_view link) = 0;
  virtual Status AddRoute(const RouteSpec& route) = 0;
  // Deletes a link (a veth takes its peer with it). OK when it does not exist.
  // Deleting a namespace is much cheaper than deleting its veths one by one.
  virtual Status DeleteLink(std::string_view link) = 0;

  // NotFound when no such link.
  virtual Result<LinkInfo> GetLink(std::string_view name) = 0;
  virtual Result<LinkInfo> GetLinkByIndex(int ifindex) = 0;
  virtual Result<std::vector<LinkInfo>> ListLinks() = 0;
  virtual Result<LinkStats> ReadStats(std::string_view name) = 0;
  virtual Result<LinkStats> ReadStatsByIndex(int ifindex) = 0;
};

// A libnl-backed NetlinkOps whose socket lives in `ns`.
Result<std::unique_ptr<NetlinkOps>> OpenNetlink(const NetNamespace& ns);
// A libnl-backed NetlinkOps in the calling thread's current namespace. Tests
// must not use it to change the root namespace.
Result<std::unique_ptr<NetlinkOps>> OpenNetlinkHere();

// Interface name rules: 1..15 characters, no '/', ':' or whitespace.
bool IsValidIfName(std::string_view name);

}  // namespace faasnet::sys

#endif  // FAASNET_SYS_NETLINK_H_
