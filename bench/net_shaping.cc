// net_shaping: the shaping benchmark's driver (bench/shaping.sh runs it).
//
// Builds a region-like topology in namespaces of its own (core, one host with
// a bridge, 26 sandboxes; tests/net/topology.h), then for each section
// applies a policy with net::Shaper, runs real TCP flows with net_flow
// processes and prints a table of measured vs configured figures:
//   accuracy      one flow through one class, 10 Mbit/s .. 5 Gbit/s, both ways:
//                 goodput / header-adjusted rate (rate x 1448/1514)
//   fair          N = 2, 4, 8, 16, 26 downloads: Jain's index, aggregate / NIC goodput
//   proportional  128/256/512/1024 MB, all active and subsets: each share vs
//                 its memory-proportional share of what is in use
//   token-bucket  one download: burst bytes (class counter at the switch, and
//                 as received) vs configured, sustained rate vs configured
//   shared        N = 1 .. 26 downloads: aggregate (constant?) and per flow
// Every flow is bounded in bytes and seconds; everything lives in the
// benchmark's namespaces, which are removed at exit.
//
// Usage: net_shaping [--only SECTION[,SECTION]] [--download-via core|ifb]
//                    [--seconds S] [--cc bbr|cubic] [--quantum-per-weight BYTES]
//                    [--json FILE]
// Exit status: 0 (figures printed, whether or not they meet the targets),
// 1 on usage errors, 2 when the set-up fails.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/strings.h"
#include "net/policy.h"
#include "net/shaper.h"
#include "net/token_bucket.h"
#include "tests/net/topology.h"

namespace faasnet::net {
namespace {

using testing::CommonWindow;
using testing::FlowResult;
using testing::FlowSpec;
using testing::Jain;
using testing::kGoodputPerRate;
using testing::Topology;

constexpr double kMbit = 1e6;

struct Config {
  std::set<std::string> only;
  bool ifb = false;
  double seconds = 3.0;
  std::string json_path;
  std::string cc;                   // the senders' TCP congestion control ("" = the default, bbr here)
  uint32_t quantum_per_weight = 0;  // proportional: override PolicyParams' default (bytes)
};

struct RunResult {
  std::vector<FlowResult> flows;
  std::vector<BurstEvent> events;
  uint64_t drops = 0;  // shaper drops in the flows' direction (root qdisc)
};

class Bench {
 public:
  Bench(Topology* topo, Config cfg) : topo_(topo), cfg_(std::move(cfg)) {}

  // One policy, sandboxes 0..memories.size()-1 with these memories, one flow
  // each in `dir` for `seconds` (bounded by `bytes`).
  Result<RunResult> Run(const PolicyParams& policy, uint64_t nic_bps, const std::vector<int>& memories, Direction dir,
                        double seconds, uint64_t bytes = ~0ull, bool controller = false) {
    std::optional<IngressIfb> ifb;
    ShapedLink download = topo_->download_link();
    if (cfg_.ifb) {
      ASSIGN_OR_RETURN(IngressIfb made, IngressIfb::Create(topo_->host_nl(), topo_->host_tc(), "up0", "ifb0"));
      ifb.emplace(std::move(made));
      download = ifb->link();
    }
    Shaper::Options o;
    o.host = "bench";
    o.policy = policy;
    o.nic = NicCapacity{nic_bps, nic_bps};
    o.upload = topo_->upload_link();
    o.download = download;
    ASSIGN_OR_RETURN(auto shaper, Shaper::Create(o));
    for (size_t i = 0; i < memories.size(); ++i) {
      RETURN_IF_ERROR(
          shaper->AddSandbox("s" + std::to_string(i), Topology::SandboxIp(static_cast<int>(i)), memories[i]));
    }
    RETURN_IF_ERROR(shaper->Verify());
    std::unique_ptr<TokenBucketController> ctl;
    if (controller) {
      ctl = std::make_unique<TokenBucketController>(shaper.get());
      RETURN_IF_ERROR(ctl->Start());
    }
    std::vector<FlowSpec> flows;
    for (size_t i = 0; i < memories.size(); ++i) {
      flows.push_back(FlowSpec{dir, static_cast<int>(i), bytes, seconds, cfg_.cc});
    }
    RunResult r;
    ASSIGN_OR_RETURN(r.flows, RunFlows(*topo_, flows, FAASNET_NET_FLOW));
    if (ctl) {
      ctl->Stop();
      r.events = ctl->events();
    }
    for (const auto& f : r.flows) {
      if (!f.error.empty()) return Status::Internal("flow to/from s" + std::to_string(f.spec.sandbox) + ": " + f.error);
    }
    ASSIGN_OR_RETURN(sys::TcStats root, shaper->ReadRootStats(dir));
    r.drops = root.drops;
    RETURN_IF_ERROR(shaper->Teardown());
    return r;
  }

  bool Want(const std::string& section) const { return cfg_.only.empty() || cfg_.only.count(section); }
  nlohmann::json& Json() { return json_; }

  Status Accuracy() {
    std::printf(
        "\n== accuracy: one flow through one class (fair, 1 sandbox, NIC = rate); goodput / (rate x 1448/1514)\n");
    std::printf("%-12s %-9s %14s %14s %8s %8s %12s\n", "rate", "direction", "expected_Mbps", "goodput_Mbps", "ratio",
                ">=0.98", "shaper_drops");
    for (double rate : {10 * kMbit, 100 * kMbit, 1000 * kMbit, 2000 * kMbit, 5000 * kMbit}) {
      for (Direction d : kDirections) {
        PolicyParams p;
        p.kind = PolicyKind::kFair;
        ASSIGN_OR_RETURN(RunResult r, Run(p, static_cast<uint64_t>(rate), {128}, d, std::min(cfg_.seconds, 2.5)));
        auto w = CommonWindow(r.flows, 0.4);
        double expected = rate * kGoodputPerRate;
        double ratio = w.goodput_bps[0] / expected;
        std::printf("%-12s %-9s %14.2f %14.2f %8.4f %8s %12llu\n",
                    (std::to_string(static_cast<int>(rate / kMbit)) + "Mbit").c_str(), DirectionName(d),
                    expected / kMbit, w.goodput_bps[0] / kMbit, ratio, ratio >= 0.98 ? "yes" : "NO",
                    static_cast<unsigned long long>(r.drops));
        json_["accuracy"].push_back(
            {{"rate_bps", rate}, {"direction", DirectionName(d)}, {"goodput_bps", w.goodput_bps[0]}, {"ratio", ratio}});
      }
    }
    return Status::Ok();
  }

  Status Fair() {
    const double nic = 1000 * kMbit;
    std::printf("\n== fair: N co-located downloads, NIC 1 Gbit/s (goodput ceiling %.1f Mbit/s)\n",
                nic * kGoodputPerRate / kMbit);
    std::printf("%-4s %8s %14s %10s %14s %14s %12s %s\n", "N", "jain", "aggregate_Mbps", "agg/nic", "min_flow_Mbps",
                "max_flow_Mbps", "shaper_drops", "targets(jain>=0.99, agg within 3%)");
    for (int n : {2, 4, 8, 16, 26}) {
      PolicyParams p;
      p.kind = PolicyKind::kFair;
      p.host_memory_mb = 3840;
      ASSIGN_OR_RETURN(RunResult r, Run(p, static_cast<uint64_t>(nic), std::vector<int>(n, 128), Direction::kDownload,
                                        cfg_.seconds));
      auto w = CommonWindow(r.flows, 0.6);
      double j = Jain(w.goodput_bps);
      double agg = w.aggregate_bps / (nic * kGoodputPerRate);
      auto [mn, mx] = std::minmax_element(w.goodput_bps.begin(), w.goodput_bps.end());
      std::printf("%-4d %8.4f %14.1f %10.4f %14.1f %14.1f %12llu %s\n", n, j, w.aggregate_bps / kMbit, agg, *mn / kMbit,
                  *mx / kMbit, static_cast<unsigned long long>(r.drops),
                  j >= 0.99 && std::abs(agg - 1) <= 0.03 ? "yes" : "NO");
      json_["fair"].push_back({{"n", n},
                               {"jain", j},
                               {"aggregate_bps", w.aggregate_bps},
                               {"aggregate_over_nic", agg},
                               {"window_s", w.seconds}});
    }
    return Status::Ok();
  }

  Status Proportional() {
    const double nic = 1000 * kMbit;
    std::printf(
        "\n== proportional: downloads, NIC 1 Gbit/s, host memory 3840 MB, quantum %u B per 128 MB; share = flow / "
        "sum of flows\n",
        cfg_.quantum_per_weight ? cfg_.quantum_per_weight : PolicyParams{}.quantum_bytes_per_weight);
    std::printf("%-22s %-40s %-40s %10s %s\n", "active (MB)", "share measured", "share expected", "max_err",
                "within 3%");
    std::vector<std::vector<int>> sets = {{128, 256, 512, 1024}, {128, 1024}, {256, 512}, {128, 512, 1024}, {128, 256}};
    for (const auto& mem : sets) {
      PolicyParams p;
      p.kind = PolicyKind::kProportional;
      p.host_memory_mb = 3840;
      if (cfg_.quantum_per_weight) p.quantum_bytes_per_weight = cfg_.quantum_per_weight;
      ASSIGN_OR_RETURN(RunResult r, Run(p, static_cast<uint64_t>(nic), mem, Direction::kDownload, cfg_.seconds));
      auto w = CommonWindow(r.flows, 0.6);
      double total_mem = 0;
      for (int m : mem) total_mem += m;
      std::string active, got, want;
      double max_err = 0;
      nlohmann::json row = {{"memories_mb", mem}, {"aggregate_bps", w.aggregate_bps}};
      for (size_t i = 0; i < mem.size(); ++i) {
        double share = w.goodput_bps[i] / w.aggregate_bps;
        double expected = mem[i] / total_mem;
        max_err = std::max(max_err, std::abs(share - expected) / expected);
        char b[32];
        active += (i ? "/" : "") + std::to_string(mem[i]);
        std::snprintf(b, sizeof b, "%s%.3f", i ? " " : "", share);
        got += b;
        std::snprintf(b, sizeof b, "%s%.3f", i ? " " : "", expected);
        want += b;
        row["share"].push_back(share);
        row["expected"].push_back(expected);
      }
      row["max_rel_err"] = max_err;
      std::printf("%-22s %-40s %-40s %10.4f %s   (aggregate %.1f Mbit/s)\n", active.c_str(), got.c_str(), want.c_str(),
                  max_err, max_err <= 0.03 ? "yes" : "NO", w.aggregate_bps / kMbit);
      json_["proportional"].push_back(row);
    }
    return Status::Ok();
  }

  Status TokenBucket() {
    std::printf(
        "\n== token-bucket: one download; burst at the burst rate, then sustained (controller polls class counters)\n");
    std::printf("%-36s %12s %12s %9s %12s %9s %11s %14s %9s %s\n", "setting", "burst_cfg_MB", "burst_ctr_MB", "ctr_err",
                "burst_rcv_MB", "rcv_err", "burst_Mbps", "sustained_Mbps", "sust/cfg", "targets(5%, 3%)");
    struct Case {
      const char* name;
      uint64_t nic, sustained, burst_rate, burst_bytes;
      double seconds;
    };
    std::vector<Case> cases = {
        {"1G NIC, 200M sustained, 50 MB", static_cast<uint64_t>(1000 * kMbit), static_cast<uint64_t>(200 * kMbit),
         static_cast<uint64_t>(1000 * kMbit), 50'000'000, 2.5},
        {"lambda-today: 680M after 300 MB@5G", static_cast<uint64_t>(5000 * kMbit), static_cast<uint64_t>(680 * kMbit),
         static_cast<uint64_t>(5000 * kMbit), 300'000'000, 3.0},
        {"lambda-today: 680M after 300 MB@10G", static_cast<uint64_t>(10000 * kMbit),
         static_cast<uint64_t>(680 * kMbit), static_cast<uint64_t>(10000 * kMbit), 300'000'000, 3.0},
    };
    for (const auto& c : cases) {
      PolicyParams p;
      p.kind = PolicyKind::kTokenBucket;
      p.token_bucket.sustained_rate_bps = c.sustained;
      p.token_bucket.burst_rate_bps = c.burst_rate;
      p.token_bucket.one_time_burst_bytes = c.burst_bytes;
      ASSIGN_OR_RETURN(RunResult r, Run(p, c.nic, {128}, Direction::kDownload, c.seconds, ~0ull, true));
      const FlowResult& f = r.flows[0];
      if (r.events.empty()) return Status::Internal("token-bucket: the controller never switched");
      const BurstEvent& e = r.events[0];
      int64_t switch_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(e.at.time_since_epoch()).count();
      double received_at_switch = testing::BytesAt(f, switch_ns);
      // Sustained: from 0.3 s after the switch to 0.1 s before the end.
      int64_t from = switch_ns + 300'000'000, to = f.last_ns - 100'000'000;
      double sustained =
          to > from ? (testing::BytesAt(f, to) - testing::BytesAt(f, from)) * 8.0 / ((to - from) / 1e9) : 0;
      double expected = static_cast<double>(c.sustained) * kGoodputPerRate;
      double ctr_err = (static_cast<double>(e.bytes_at_switch) - static_cast<double>(c.burst_bytes)) /
                       static_cast<double>(c.burst_bytes);
      double sust_ratio = sustained / expected;
      // What arrived by the switch, against the burst's payload (frames carry 1448 of 1514 bytes).
      double rcv_err = received_at_switch / (static_cast<double>(c.burst_bytes) * kGoodputPerRate) - 1;
      double burst_rate = received_at_switch * 8.0 / ((switch_ns - f.first_ns) / 1e9);
      std::printf(
          "%-36s %12.2f %12.2f %+9.4f %12.2f %+9.4f %11.0f %14.1f %9.4f %s\n", c.name, c.burst_bytes / 1e6,
          e.bytes_at_switch / 1e6, ctr_err, received_at_switch / 1e6, rcv_err, burst_rate / kMbit, sustained / kMbit,
          sust_ratio,
          std::abs(ctr_err) <= 0.05 && std::abs(rcv_err) <= 0.05 && std::abs(sust_ratio - 1) <= 0.03 ? "yes" : "NO");
      json_["token_bucket"].push_back({{"case", c.name},
                                       {"burst_configured_bytes", c.burst_bytes},
                                       {"burst_counter_bytes", e.bytes_at_switch},
                                       {"burst_received_bytes", received_at_switch},
                                       {"burst_received_err", rcv_err},
                                       {"burst_goodput_bps", burst_rate},
                                       {"switch_after_ms", std::chrono::duration<double, std::milli>(e.after).count()},
                                       {"sustained_goodput_bps", sustained},
                                       {"sustained_ratio", sust_ratio}});
    }
    return Status::Ok();
  }

  Status Shared() {
    const double nic = 586 * kMbit;  // lambda-2019's host NIC
    std::printf(
        "\n== shared: N co-located downloads in one FIFO at 586 Mbit/s (lambda-2019); aggregate should stay "
        "constant\n");
    std::printf("%-4s %14s %12s %16s %16s %8s\n", "N", "aggregate_Mbps", "agg/agg(N=1)", "median_flow_MBps",
                "min..max_MBps", "jain");
    double first = 0;
    for (int n : {1, 2, 4, 8, 16, 26}) {
      PolicyParams p;
      p.kind = PolicyKind::kShared;
      ASSIGN_OR_RETURN(RunResult r, Run(p, static_cast<uint64_t>(nic), std::vector<int>(n, 128), Direction::kDownload,
                                        cfg_.seconds));
      auto w = CommonWindow(r.flows, 0.6);
      if (n == 1) first = w.aggregate_bps;
      std::vector<double> v = w.goodput_bps;
      std::sort(v.begin(), v.end());
      double median = v[v.size() / 2];
      std::printf("%-4d %14.1f %12.4f %16.2f %7.2f..%-8.2f %8.3f\n", n, w.aggregate_bps / kMbit,
                  w.aggregate_bps / first, median / 8e6, v.front() / 8e6, v.back() / 8e6, Jain(w.goodput_bps));
      json_["shared"].push_back(
          {{"n", n}, {"aggregate_bps", w.aggregate_bps}, {"median_flow_bps", median}, {"jain", Jain(w.goodput_bps)}});
    }
    return Status::Ok();
  }

 private:
  Topology* topo_;
  Config cfg_;
  nlohmann::json json_;
};

int Main(int argc, char** argv) {
  Config cfg;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--only") {
      std::string list = next();
      for (auto s : Split(list, ',')) cfg.only.insert(std::string(s));
    } else if (a == "--download-via") {
      std::string v = next();
      if (v != "core" && v != "ifb") return 1;
      cfg.ifb = v == "ifb";
    } else if (a == "--seconds") {
      cfg.seconds = std::atof(next().c_str());
    } else if (a == "--quantum-per-weight") {
      cfg.quantum_per_weight = static_cast<uint32_t>(std::atoi(next().c_str()));
    } else if (a == "--cc") {
      cfg.cc = next();
    } else if (a == "--json") {
      cfg.json_path = next();
    } else {
      std::fprintf(stderr,
                   "usage: net_shaping [--only accuracy,fair,proportional,token-bucket,shared] "
                   "[--download-via core|ifb] [--seconds S] [--cc bbr|cubic] [--quantum-per-weight BYTES] "
                   "[--json FILE]\n");
      return 1;
    }
  }
  if (cfg.seconds < 1 || cfg.seconds > 30) cfg.seconds = 3;
  if (::geteuid() != 0) {
    std::fprintf(stderr, "net_shaping: needs root (namespaces, veth, tc)\n");
    return 2;
  }
  std::string prefix = "faasnet-bnet" + std::to_string(::getpid());
  auto topo = Topology::Build(prefix, 26);
  if (!topo.ok()) {
    std::fprintf(stderr, "net_shaping: set-up: %s\n", topo.status().ToString().c_str());
    return 2;
  }
  std::printf("tcp congestion control: %s\n", cfg.cc.empty() ? "default" : cfg.cc.c_str());
  std::printf("topology: namespaces %s-{core,host,s0..s25}; downloads shaped on %s; flows %.1f s (accuracy 2.5 s)\n",
              prefix.c_str(), cfg.ifb ? "an ifb on the host uplink's ingress" : "the core side of the uplink",
              cfg.seconds);
  Bench bench(topo->get(), cfg);
  struct Section {
    const char* name;
    Status (Bench::*run)();
  };
  const Section sections[] = {{"accuracy", &Bench::Accuracy},
                              {"fair", &Bench::Fair},
                              {"proportional", &Bench::Proportional},
                              {"token-bucket", &Bench::TokenBucket},
                              {"shared", &Bench::Shared}};
  int rc = 0;
  for (const auto& s : sections) {
    if (!bench.Want(s.name)) continue;
    Status st = (bench.*s.run)();
    std::fflush(stdout);
    if (!st.ok()) {
      std::fprintf(stderr, "net_shaping: %s: %s\n", s.name, st.ToString().c_str());
      rc = 2;
    }
  }
  if (!cfg.json_path.empty()) {
    bench.Json()["download_via"] = cfg.ifb ? "ifb" : "core";
    std::ofstream(cfg.json_path) << bench.Json().dump(2) << "\n";
  }
  return rc;
}

}  // namespace
}  // namespace faasnet::net

int main(int argc, char** argv) { return faasnet::net::Main(argc, argv); }
