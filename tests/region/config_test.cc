#include "region/config.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "region/placement.h"
#include "region/records.h"

namespace faasnet::region {
namespace {

TEST(CpuPolicyTest, PaperLambdaFixed) {
  CpuPolicy p;
  EXPECT_NEAR(p.CpusFor(128, 2), 0.0851, 1e-3);  // the paper's 128 MB -> 0.085 CPU
  EXPECT_NEAR(p.CpusFor(3008, 2), 2.0, 1e-9);
  p.kind = CpuPolicy::Kind::kLambda;
  EXPECT_NEAR(p.CpusFor(1769, 2), 1.0, 1e-9);
  EXPECT_NEAR(p.CpusFor(10240, 2), 5.79, 0.01);
  EXPECT_NEAR(p.CpusFor(20000, 2), 6.0, 1e-9);
  p.cpu_scale = 0.5;
  EXPECT_NEAR(p.CpusFor(1769, 2), 0.5, 1e-9);
  p.kind = CpuPolicy::Kind::kFixed;
  p.fixed_cpus = 1.5;
  p.cpu_scale = 1;
  EXPECT_EQ(p.CpusFor(128, 2), 1.5);
}

TEST(RegionConfigTest, DefaultMirrorsThePaper) {
  RegionConfig c;
  EXPECT_TRUE(c.Validate().ok());
  ASSERT_EQ(c.hosts.size(), 1u);
  EXPECT_EQ(c.hosts[0].vcpus, 2);
  EXPECT_EQ(c.hosts[0].memory_mb, 3840);
  EXPECT_EQ(c.cpu.kind, CpuPolicy::Kind::kPaper2019);
}

TEST(RegionConfigTest, ParsesAFullFile) {
  auto c = RegionConfig::FromYaml(R"(
# three c3.large-like hosts
name: lab
hosts: {count: 3, vcpus: 2, memory: 3.75GB}
cpu_policy: lambda
cpu_scale: 0.5
placement: random
placement_seed: 7
isolation: none
idle_timeout: 30s
function_concurrency: 10
)");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->name, "lab");
  ASSERT_EQ(c->hosts.size(), 3u);
  EXPECT_EQ(c->hosts[2].id, "h2");
  EXPECT_EQ(c->hosts[1].memory_mb, 3750);
  EXPECT_EQ(c->cpu.kind, CpuPolicy::Kind::kLambda);
  EXPECT_EQ(c->placement, Placement::kRandom);
  EXPECT_EQ(c->isolation, Isolation::kNone);
  EXPECT_EQ(c->idle_timeout, std::chrono::seconds(30));
  EXPECT_EQ(c->function_concurrency, 10);
  auto list = RegionConfig::FromYaml("hosts:\n  - {id: big, vcpus: 4, memory: 8192}\n  - {vcpus: 1, memory: 1024}\n");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ(list->hosts[0].id, "big");
  EXPECT_EQ(list->hosts[1].id, "h1");
}

TEST(RegionConfigTest, ErrorsNameLineAndField) {
  auto bad = RegionConfig::FromYaml("hosts: {count: 2}\nplacment: spread\n", "r.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("r.yaml: placment (line 2): unknown setting"), std::string::npos)
      << bad.status().message();
  auto policy = RegionConfig::FromYaml("cpu_policy: docker\n");
  ASSERT_FALSE(policy.ok());
  EXPECT_NE(policy.status().message().find("known: paper-2019, lambda, fixed"), std::string::npos);
  EXPECT_FALSE(RegionConfig::FromYaml("hosts: {count: 0}\n").ok());
  EXPECT_FALSE(RegionConfig::FromYaml("hosts: [{id: a}, {id: a}]\n").ok());
  EXPECT_FALSE(RegionConfig::FromYaml("hosts: {vcpus: many}\n").ok());
  EXPECT_FALSE(RegionConfig::FromYaml("idle_timeout: 30\n").ok());
  EXPECT_FALSE(RegionConfig::FromYaml("name: has space\n").ok());
  EXPECT_FALSE(RegionConfig::FromYaml("[").ok());
}

std::vector<HostLoad> Hosts() {
  return {{"h0", 1000, 0, 0}, {"h1", 1000, 0, 0}, {"h2", 1000, 0, 0}};
}

TEST(PlacementTest, BinpackFillsHostsInOrder) {
  Placer p(Placement::kBinpack, 1);
  auto hosts = Hosts();
  std::vector<size_t> picks;
  for (int i = 0; i < 9; ++i) {
    auto h = p.Pick(hosts, 256);
    ASSERT_TRUE(h);
    hosts[*h].used_mb += 256;
    hosts[*h].sandboxes++;
    picks.push_back(*h);
  }
  EXPECT_EQ(picks, (std::vector<size_t>{0, 0, 0, 1, 1, 1, 2, 2, 2}));
  EXPECT_FALSE(p.Pick(hosts, 256));  // 232 MB free everywhere
  EXPECT_TRUE(p.Pick(hosts, 128));
}

TEST(PlacementTest, SpreadBalancesAndPinningIsHonoured) {
  Placer p(Placement::kSpread, 1);
  auto hosts = Hosts();
  std::vector<size_t> picks;
  for (int i = 0; i < 6; ++i) {
    auto h = p.Pick(hosts, 128);
    hosts[*h].used_mb += 128;
    hosts[*h].sandboxes++;
    picks.push_back(*h);
  }
  EXPECT_EQ(picks, (std::vector<size_t>{0, 1, 2, 0, 1, 2}));
  EXPECT_EQ(*p.Pick(hosts, 128, "h2"), 2u);
  EXPECT_FALSE(p.Pick(hosts, 128, "nope"));
  EXPECT_FALSE(p.Pick(hosts, 5000, "h1"));
}

TEST(PlacementTest, RandomIsSeededAndFits) {
  auto run = [](uint64_t seed) {
    Placer p(Placement::kRandom, seed);
    auto hosts = Hosts();
    std::vector<size_t> picks;
    for (int i = 0; i < 20; ++i) {
      auto h = p.Pick(hosts, 128);
      if (!h) break;
      hosts[*h].used_mb += 128;
      picks.push_back(*h);
    }
    return picks;
  };
  EXPECT_EQ(run(42), run(42));
  EXPECT_NE(run(42), run(43));
  EXPECT_EQ(run(42).size(), 20u);
}

TEST(RecordsTest, BillingRulesAndReportLine) {
  EXPECT_EQ(BilledMs(0.2, 1), 1);
  EXPECT_EQ(BilledMs(12.01, 1), 13);
  EXPECT_EQ(BilledMs(12.01, 100), 100);
  EXPECT_EQ(BilledMs(100.0, 100), 100);
  EXPECT_EQ(BilledMs(100.5, 100), 200);
  InvocationRecord r;
  r.request_id = "abc";
  r.duration_ms = 12.345;
  r.billed_duration_ms_1ms = 13;
  r.memory_mb = 128;
  r.max_memory_used_bytes = 20'500'000;
  r.cold = true;
  r.init_duration_ms = 4.5;
  EXPECT_EQ(r.ReportLine(),
            "REPORT RequestId: abc\tDuration: 12.35 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\t"
            "Max Memory Used: 21 MB\tInit Duration: 4.50 ms");
  EXPECT_NE(r.ToJson().find("\"billed_duration_ms_100ms\""), std::string::npos);
}

TEST(RegionNetworkConfigTest, DefaultIsTheUnlimitedProfile) {
  auto c = RegionConfig::FromYaml("name: a\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->network.profile.name, "unlimited");
  EXPECT_EQ(c->network.profile.policy.kind, net::PolicyKind::kNone);
  EXPECT_EQ(c->network.profile.file, "builtin:unlimited");
  EXPECT_TRUE(c->network.iperf_ports.empty());
  auto empty = RegionConfig::FromYaml("");  // no settings at all: Load() gives the default
  ASSERT_TRUE(empty.ok());
  auto loaded = empty->network.Load();
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->name, "unlimited");
}

TEST(RegionNetworkConfigTest, ProfileWithOverridesAndIperfPorts) {
  auto c = RegionConfig::FromYaml(R"(
network:
  profile: lambda-2019
  nic: 80Mbit
  store: {request_rate: 100/s}
  iperf_ports: 5201-5203
)");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const net::NetworkProfile& p = c->network.profile;
  EXPECT_EQ(p.name, "lambda-2019");
  EXPECT_EQ(p.policy.kind, net::PolicyKind::kShared);
  EXPECT_EQ(p.nic.upload_bps, 80'000'000u);
  EXPECT_EQ(p.nic.download_bps, 80'000'000u);
  EXPECT_EQ(p.store.request_rate_per_s, 100);
  EXPECT_EQ(p.store.connection_rate_bytes_per_s, 90'000'000u);  // kept from the profile
  EXPECT_EQ(c->network.iperf_ports, (std::vector<uint16_t>{5201, 5202, 5203}));

  auto list = RegionConfig::FromYaml("network: {profile: proportional, iperf_ports: [7000, 7002]}");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ(list->network.iperf_ports, (std::vector<uint16_t>{7000, 7002}));
  EXPECT_EQ(list->network.profile.policy.kind, net::PolicyKind::kProportional);
}

TEST(RegionNetworkConfigTest, TheProfilesCpuPolicyUnlessTheFileSetsOne) {
  auto from_profile = RegionConfig::FromYaml("network: {profile: lambda-today}");
  ASSERT_TRUE(from_profile.ok()) << from_profile.status().ToString();
  EXPECT_EQ(from_profile->cpu.kind, CpuPolicy::Kind::kLambda);
  auto from_file = RegionConfig::FromYaml("cpu_policy: fixed\nnetwork: {profile: lambda-today}");
  ASSERT_TRUE(from_file.ok());
  EXPECT_EQ(from_file->cpu.kind, CpuPolicy::Kind::kFixed);
}

TEST(RegionNetworkConfigTest, ErrorsNameTheProblem) {
  auto unknown = RegionConfig::FromYaml("network: {profile: lambda-2042}");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("lambda-2042"), std::string::npos);
  EXPECT_NE(unknown.status().message().find("lambda-2019"), std::string::npos);  // lists the shipped ones
  auto bad_override = RegionConfig::FromYaml("network: {profile: lambda-2019, nic: 10Gbt}");
  ASSERT_FALSE(bad_override.ok());
  EXPECT_NE(bad_override.status().message().find("nic"), std::string::npos);
  auto bad_setting = RegionConfig::FromYaml("network: {profile: unlimited, nix: 1}");
  ASSERT_FALSE(bad_setting.ok());
  EXPECT_NE(bad_setting.status().message().find("nix"), std::string::npos);
  EXPECT_FALSE(RegionConfig::FromYaml("network: {iperf_ports: 5300-5200}").ok());
  EXPECT_FALSE(RegionConfig::FromYaml("network: {iperf_ports: [70000]}").ok());
  EXPECT_FALSE(RegionConfig::FromYaml("network: {iperf_ports: abc}").ok());
  EXPECT_FALSE(RegionConfig::FromYaml("hosts: [{id: core}]").ok());
}

TEST(RegionNetworkConfigTest, TheExampleFileParses) {
  auto c = RegionConfig::FromFile(FAASNET_SOURCE_DIR "/examples/region-paper.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->network.profile.name, "lambda-2019");
  EXPECT_EQ(c->network.iperf_ports.size(), 4u);
}

TEST(RecordsTest, NetworkFieldsWhenTheRegionHasANetwork) {
  InvocationRecord r;
  r.request_id = "abc";
  auto plain = nlohmann::json::parse(r.ToJson());
  EXPECT_FALSE(plain.contains("net"));
  EXPECT_FALSE(plain.contains("network_profile"));
  r.network_policy = "fair";
  net::SandboxNetUsage u;
  u.per_sandbox = true;
  u.download_bytes = 1234;
  u.upload_drops = 2;
  r.net_usage = u;
  r.network_profile_json = R"({"name":"lambda-2019","notes":[]})";
  auto j = nlohmann::json::parse(r.ToJson());
  EXPECT_EQ(j.at("network_policy"), "fair");
  EXPECT_EQ(j.at("network_profile").at("name"), "lambda-2019");
  EXPECT_EQ(j.at("net").at("download_bytes"), 1234);
  EXPECT_EQ(j.at("net").at("upload_shaper_drops"), 2);
  EXPECT_EQ(j.at("request_id"), "abc");
}

}  // namespace
}  // namespace faasnet::region
