#include "topology.h"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sys/process.h"

namespace faasnet::net::testing {

namespace {

constexpr int kPortBase = 5201;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

Result<std::unique_ptr<Topology>> Topology::Build(const std::string& prefix, int sandboxes) {
  std::unique_ptr<Topology> t(new Topology());
  ASSIGN_OR_RETURN(t->core_, sys::NetNamespace::Create(prefix + "-core"));
  ASSIGN_OR_RETURN(t->host_, sys::NetNamespace::Create(prefix + "-host"));
  ASSIGN_OR_RETURN(t->core_nl_, sys::OpenNetlink(t->core_));
  ASSIGN_OR_RETURN(t->host_nl_, sys::OpenNetlink(t->host_));
  ASSIGN_OR_RETURN(t->core_tc_, sys::OpenTrafficControl(t->core_));
  ASSIGN_OR_RETURN(t->host_tc_, sys::OpenTrafficControl(t->host_));
  RETURN_IF_ERROR(t->core_nl_->SetUp("lo", true));
  RETURN_IF_ERROR(t->host_nl_->SetUp("lo", true));
  RETURN_IF_ERROR(t->host_nl_->CreateBridge("fnbr0").status());
  RETURN_IF_ERROR(t->host_nl_->AddAddress("fnbr0", "10.100.0.1/16"));
  sys::VethSpec up;
  up.name = "up0";
  up.peer_name = "c0";
  up.peer_netns_fd = t->core_.fd();
  up.master = "fnbr0";
  RETURN_IF_ERROR(t->host_nl_->CreateVeth(up).status());
  RETURN_IF_ERROR(t->core_nl_->SetUp("c0", true));
  RETURN_IF_ERROR(t->core_nl_->AddAddress("c0", std::string(kCoreIp) + "/16"));
  for (int i = 0; i < sandboxes; ++i) {
    ASSIGN_OR_RETURN(sys::NetNamespace ns, sys::NetNamespace::Create(prefix + "-s" + std::to_string(i)));
    ASSIGN_OR_RETURN(auto nl, sys::OpenNetlink(ns));
    sys::VethSpec v;
    v.name = "v" + std::to_string(i);
    v.peer_name = "eth0";
    v.peer_netns_fd = ns.fd();
    v.master = "fnbr0";
    RETURN_IF_ERROR(t->host_nl_->CreateVeth(v).status());
    RETURN_IF_ERROR(nl->SetUp("lo", true));
    RETURN_IF_ERROR(nl->SetUp("eth0", true));
    RETURN_IF_ERROR(nl->AddAddress("eth0", SandboxIp(i) + "/16"));
    t->sandboxes_.push_back(std::move(ns));
  }
  return t;
}

Topology::~Topology() {
  host_tc_.reset();
  core_tc_.reset();
  host_nl_.reset();
  core_nl_.reset();
  for (auto& s : sandboxes_) (void)s.Destroy();
  (void)host_.Destroy();
  (void)core_.Destroy();
}

Result<std::vector<FlowResult>> RunFlows(Topology& topo, const std::vector<FlowSpec>& flows,
                                         const std::string& net_flow_path) {
  char dir_template[] = "/tmp/faasnet-net-flows-XXXXXX";
  if (::mkdtemp(dir_template) == nullptr) return Status::FromErrno(errno, "mkdtemp", dir_template);
  std::string dir = dir_template;
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } cleanup{dir};

  struct Running {
    sys::Process recv, send;
    std::string recv_out, send_out;
  };
  std::vector<Running> running(flows.size());
  double longest = 0;
  for (size_t i = 0; i < flows.size(); ++i) {
    const FlowSpec& f = flows[i];
    longest = std::max(longest, f.seconds);
    bool down = f.direction == Direction::kDownload;
    std::string ip = down ? Topology::SandboxIp(f.sandbox) : kCoreIp;
    int port = down ? kPortBase : kPortBase + f.sandbox;
    std::string addr = ip + ":" + std::to_string(port);
    char secs[32], recv_secs[32];
    std::snprintf(secs, sizeof secs, "%.3f", f.seconds);
    std::snprintf(recv_secs, sizeof recv_secs, "%.3f", f.seconds + 4.0);
    sys::SpawnOptions r;
    r.argv = {net_flow_path, "recv", "--listen", addr, "--seconds", recv_secs};
    r.netns = down ? &topo.sandbox(f.sandbox) : &topo.core();
    running[i].recv_out = dir + "/recv" + std::to_string(i);
    r.stdout_path = running[i].recv_out;
    r.stderr_path = dir + "/recv" + std::to_string(i) + ".err";
    ASSIGN_OR_RETURN(running[i].recv, sys::Process::Spawn(r));
  }
  for (size_t i = 0; i < flows.size(); ++i) {
    const FlowSpec& f = flows[i];
    bool down = f.direction == Direction::kDownload;
    std::string ip = down ? Topology::SandboxIp(f.sandbox) : kCoreIp;
    int port = down ? kPortBase : kPortBase + f.sandbox;
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.3f", f.seconds);
    sys::SpawnOptions s;
    s.argv = {net_flow_path,           "send",      "--to", ip + ":" + std::to_string(port), "--bytes",
              std::to_string(f.bytes), "--seconds", secs};
    if (!f.cc.empty()) {
      s.argv.push_back("--cc");
      s.argv.push_back(f.cc);
    }
    s.netns = down ? &topo.core() : &topo.sandbox(f.sandbox);
    running[i].send_out = dir + "/send" + std::to_string(i);
    s.stdout_path = running[i].send_out;
    s.stderr_path = dir + "/send" + std::to_string(i) + ".err";
    ASSIGN_OR_RETURN(running[i].send, sys::Process::Spawn(s));
  }
  auto limit = std::chrono::milliseconds(static_cast<int64_t>((longest + 8.0) * 1000));
  std::vector<FlowResult> out(flows.size());
  for (size_t i = 0; i < flows.size(); ++i) {
    out[i].spec = flows[i];
    for (auto* p : {&running[i].send, &running[i].recv}) {
      auto st = p->Wait(limit);
      if (!st.ok()) return st.status();
      if (!st->has_value()) {
        (void)p->KillAndWait();
        out[i].error += "timed out; ";
      } else if (!(*st)->success()) {
        out[i].error += (*st)->ToString() + "; ";
      }
    }
    auto recv = nlohmann::json::parse(ReadAll(running[i].recv_out), nullptr, false);
    auto send = nlohmann::json::parse(ReadAll(running[i].send_out), nullptr, false);
    if (recv.is_discarded() || send.is_discarded()) {
      out[i].error += "no JSON from net_flow; ";
      continue;
    }
    if (recv.contains("error")) out[i].error += "recv: " + recv["error"].get<std::string>() + "; ";
    if (send.contains("error")) out[i].error += "send: " + send["error"].get<std::string>() + "; ";
    out[i].bytes = recv.value("bytes", uint64_t{0});
    out[i].first_ns = recv.value("first_ns", int64_t{0});
    out[i].last_ns = recv.value("last_ns", int64_t{0});
    if (recv.contains("samples")) {
      for (const auto& s : recv["samples"]) out[i].samples.emplace_back(s[0].get<int64_t>(), s[1].get<uint64_t>());
    }
  }
  return out;
}

double BytesAt(const FlowResult& f, int64_t t) {
  if (f.samples.empty() || t <= f.samples.front().first)
    return f.samples.empty() ? 0.0 : static_cast<double>(f.samples.front().second);
  for (size_t i = 1; i < f.samples.size(); ++i) {
    if (t <= f.samples[i].first) {
      auto [t0, b0] = f.samples[i - 1];
      auto [t1, b1] = f.samples[i];
      double frac = t1 > t0 ? static_cast<double>(t - t0) / static_cast<double>(t1 - t0) : 1.0;
      return static_cast<double>(b0) + frac * (static_cast<double>(b1) - static_cast<double>(b0));
    }
  }
  return static_cast<double>(f.samples.back().second);
}

Window CommonWindow(const std::vector<FlowResult>& flows, double warmup_s, double trim_end_s) {
  Window w;
  if (flows.empty()) return w;
  int64_t start = 0, end = INT64_MAX;
  for (const auto& f : flows) {
    start = std::max(start, f.first_ns);
    end = std::min(end, f.last_ns);
  }
  start += static_cast<int64_t>(warmup_s * 1e9);
  end -= static_cast<int64_t>(trim_end_s * 1e9);
  if (end <= start) return w;
  w.seconds = static_cast<double>(end - start) / 1e9;
  for (const auto& f : flows) {
    double b = BytesAt(f, end) - BytesAt(f, start);
    w.goodput_bps.push_back(b * 8.0 / w.seconds);
    w.aggregate_bps += w.goodput_bps.back();
  }
  return w;
}

double Jain(const std::vector<double>& x) {
  double s = 0, s2 = 0;
  for (double v : x) {
    s += v;
    s2 += v * v;
  }
  return s2 > 0 ? s * s / (static_cast<double>(x.size()) * s2) : 0.0;
}

}  // namespace faasnet::net::testing
