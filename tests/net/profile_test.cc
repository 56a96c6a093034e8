// Network profiles: every shipped file parses, cites its sources and hands
// the store a valid behaviour file; errors name file, line and field;
// Resolve reports what this kernel lacks.
#include "net/profile.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#ifdef FAASNET_HAVE_STORE
#include "store/behavior.h"
#endif

namespace faasnet::net {
namespace {

constexpr uint64_t kMbit = 1'000'000;

sys::TcSupport ReferenceMachine() {
  sys::TcSupport s;
  for (const char* q : {"htb", "tbf", "pfifo", "ingress", "clsact"}) s.qdiscs[q] = true;
  for (const char* q : {"netem", "fq", "fq_codel", "sfq", "cake"}) s.qdiscs[q] = false;
  s.filters["u32"] = true;
  s.filters["flower"] = false;
  s.actions["mirred"] = true;
  return s;
}

std::string Profile(const std::string& name) { return std::string(FAASNET_PROFILES_DIR) + "/" + name + ".yaml"; }

TEST(ProfileTest, EveryShippedProfileParsesAndCitesItsSources) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(FAASNET_PROFILES_DIR)) {
    if (e.path().extension() != ".yaml") continue;
    ++n;
    auto p = NetworkProfile::FromFile(e.path().string());
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_EQ(p->name + ".yaml", e.path().filename().string()) << "a profile is named after its file";
    EXPECT_FALSE(p->sources.empty()) << p->name;
    EXPECT_FALSE(p->description.empty()) << p->name;
    EXPECT_FALSE(p->cpu_policy.empty()) << p->name;
    EXPECT_EQ(p->file, e.path().string());
    auto r = Resolve(*p, ReferenceMachine());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
#ifdef FAASNET_HAVE_STORE
    // The store section is a valid store behaviour file, by the store's own parser.
    std::string yaml = r->store.ToBehaviorYaml();
    if (!yaml.empty()) {
      auto b = store::BehaviorConfig::FromYaml(yaml, p->name);
      ASSERT_TRUE(b.ok()) << b.status().ToString() << "\n" << yaml;
      EXPECT_EQ(b->store_default.connection_rate_bytes_per_s, r->store.connection_rate_bytes_per_s);
      EXPECT_DOUBLE_EQ(b->store_default.request_rate_per_s, r->store.request_rate_per_s);
      EXPECT_EQ(b->store_default.first_byte_latency.kind == store::LatencySpec::Kind::kNone,
                r->store.first_byte_latency.empty());
    }
#endif
  }
  EXPECT_EQ(n, 5);
}

TEST(ProfileTest, Lambda2019IsASharedNicOf70MBpsGoodput) {
  auto p = NetworkProfile::FromFile(Profile("lambda-2019"));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->policy.kind, PolicyKind::kShared);
  EXPECT_EQ(p->cpu_policy, "paper-2019");
  EXPECT_EQ(p->nic.upload_bps, 586 * kMbit);
  EXPECT_EQ(p->nic.download_bps, 586 * kMbit);
  EXPECT_NEAR(p->nic.download_bps * 1448.0 / 1514.0 / 8 / 1e6, 70.0, 0.1) << "MB/s of goodput";
  EXPECT_EQ(p->store.connection_rate_bytes_per_s, 90'000'000u);
  EXPECT_DOUBLE_EQ(p->store.request_rate_per_s, 5500);
}

TEST(ProfileTest, LambdaTodayIsAMemoryIndependentTokenBucket) {
  auto p = NetworkProfile::FromFile(Profile("lambda-today"));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->policy.kind, PolicyKind::kTokenBucket);
  EXPECT_EQ(p->cpu_policy, "lambda");
  const auto& tb = p->policy.token_bucket;
  EXPECT_EQ(tb.sustained_rate_bps, 680 * kMbit);
  EXPECT_NEAR(tb.sustained_rate_bps * 1448.0 / 1514.0 / 1e9, 0.65, 0.01) << "Gbit/s of goodput";
  EXPECT_EQ(tb.one_time_burst_bytes, 300'000'000u);
  EXPECT_EQ(tb.bucket_bytes, 8'500'000u);
  EXPECT_EQ(tb.burst_rate_bps, 10'000 * kMbit);
  // Memory does not matter: a 128 MB and a 10 GB function get the same class.
  auto plan = PlanShaping(p->policy, p->nic,
                          {SandboxNet{"a", "10.100.0.10", 128, 0, {}}, SandboxNet{"b", "10.100.0.11", 10240, 1, {}}});
  ASSERT_TRUE(plan.ok());
  const auto& s = plan->of(Direction::kDownload).sandboxes;
  EXPECT_EQ(s[0].cls.rate_bps, s[1].cls.rate_bps);
  EXPECT_EQ(s[0].cls.ceil_bps, s[1].cls.ceil_bps);
}

TEST(ProfileTest, ProportionalDiffersFromLambda2019OnlyInThePolicy) {
  auto a = NetworkProfile::FromFile(Profile("proportional"));
  auto b = NetworkProfile::FromFile(Profile("lambda-2019"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->policy.kind, PolicyKind::kProportional);
  EXPECT_EQ(a->policy.host_memory_mb, 3750);
  EXPECT_EQ(a->nic.download_bps, b->nic.download_bps);
  EXPECT_EQ(a->cpu_policy, b->cpu_policy);
  EXPECT_EQ(a->store.connection_rate_bytes_per_s, b->store.connection_rate_bytes_per_s);
  // fair is proportional's control: the same host, equal weights.
  auto f = NetworkProfile::FromFile(Profile("fair"));
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->policy.kind, PolicyKind::kFair);
  EXPECT_EQ(f->nic.download_bps, b->nic.download_bps);
  EXPECT_EQ(f->cpu_policy, b->cpu_policy);
  auto u = NetworkProfile::FromFile(Profile("unlimited"));
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->policy.kind, PolicyKind::kNone);
  EXPECT_FALSE(u->store.active());
  EXPECT_EQ(u->store.ToBehaviorYaml(), "");
}

TEST(ProfileTest, ShippedProfilesAreCompiledInAndMatchTheirFiles) {
  std::vector<std::string> names = BuiltinProfileNames();
  EXPECT_EQ(names, (std::vector<std::string>{"fair", "lambda-2019", "lambda-today", "proportional", "unlimited"}));
  for (const auto& name : names) {
    auto builtin = LoadProfile(name);
    auto file = NetworkProfile::FromFile(Profile(name));
    ASSERT_TRUE(builtin.ok() && file.ok()) << name;
    EXPECT_EQ(builtin->file, "builtin:" + name);
    nlohmann::json a = builtin->ToJson(), b = file->ToJson();
    a.erase("file");
    b.erase("file");
    EXPECT_EQ(a, b) << name;
  }
  auto by_path = LoadProfile(Profile("proportional"));  // not a shipped name: a path
  ASSERT_TRUE(by_path.ok());
  EXPECT_EQ(by_path->file, Profile("proportional"));
  auto missing = LoadProfile("lambda-2031");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
  EXPECT_NE(missing.status().message().find("unlimited"), std::string::npos);
}

TEST(ProfileTest, OverridesApplyOnTopAndAreValidated) {
  auto base = LoadProfile("lambda-2019");
  ASSERT_TRUE(base.ok());
  auto o = base->WithOverrides("policy: fair\nnic.download: 100Mbit\n");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->policy.kind, PolicyKind::kFair);
  EXPECT_EQ(o->nic.download_bps, 100 * kMbit);
  EXPECT_EQ(o->nic.upload_bps, base->nic.upload_bps);       // kept
  EXPECT_EQ(o->store.request_rate_per_s, base->store.request_rate_per_s);
  EXPECT_EQ(o->name, "lambda-2019");
  auto empty = base->WithOverrides("");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->ToJson(), base->ToJson());
  auto bad = base->WithOverrides("\n\nnic: 5Gbt\n", "region.yaml network");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("region.yaml network: line 3: nic"), std::string::npos)
      << bad.status().message();
  // The result is validated: token-bucket without a sustained rate is refused.
  EXPECT_FALSE(base->WithOverrides("policy: token-bucket").ok());
}

TEST(ProfileTest, ErrorsNameTheFileTheLineAndTheField) {
  auto check = [](const std::string& text, const std::string& needle) {
    auto p = NetworkProfile::FromYaml(text, "profiles/x.yaml");
    ASSERT_FALSE(p.ok()) << text;
    EXPECT_EQ(p.status().code(), Status::Code::kInvalidArgument);
    EXPECT_NE(p.status().message().find(needle), std::string::npos) << p.status().message();
  };
  check("name: x\npolicy: shared\nnic:\n  upload: 10Gbt\n  download: 1Gbit\n",
        "profiles/x.yaml: line 4: nic.upload: '10Gbt'");
  check("name: x\npolicy: fast\n", "profiles/x.yaml: line 2: policy: unknown shaping policy 'fast'");
  check("name: x\nnic: 1Gbit\npolicy: fair\nspeed: 3\n",
        "profiles/x.yaml: line 4: speed: unknown setting (known: name,");
  check("name: x\ntoken_bucket:\n  rate: 1Gbit\n",
        "line 3: token_bucket.rate: unknown setting (known: token_bucket.sustained_rate");
  check("name: x\nstore:\n  request_rate: fast\n", "line 3: store.request_rate: 'fast' is not a rate like 100/s");
  check("name: x\ncpu_policy: turbo\n", "line 2: cpu_policy: 'turbo' (known: paper-2019, lambda, fixed)");
  check("name: x\nlink_latency: 5\n", "line 2: link_latency: '5': say the unit");
  check("name: x\nsources: one\n", "line 2: sources: expected a list");
  check("name: x\nnic: [1, 2]\n", "line 2: nic: expected a single value");
  check("name: x\npolicy: fair\n", "profiles/x.yaml: nic: policy fair needs the NIC capacity both ways");
  check("policy: none\n", "profiles/x.yaml: name: missing");
  check("name: x\npolicy: token-bucket\nnic: 1Gbit\n", "token_bucket.sustained_rate must be > 0");
  check("name: [x\n", "profiles/x.yaml: line");
  check("- a\n- b\n", "expected a mapping");
  auto missing = NetworkProfile::FromFile("/nonexistent/profile.yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/profile.yaml"), std::string::npos);
}

TEST(ProfileTest, ParsesEveryField) {
  auto p = NetworkProfile::FromYaml(R"(
name: all
description: every field
sources: [a, b]
cpu_policy: fixed
policy: capped
nic: 1Gbit
host_memory: 2048
weight_unit: 256MB
quantum_per_weight: 128KiB
burst_window: 8ms
capped_rate_per_gb: 100Mbit
token_bucket:
  sustained_rate: 100Mbit
  bucket: 1MB
  one_time_burst: 50MB
  burst_rate: 1Gbit
link_latency: none
store:
  first_byte_latency: 10ms
  connection_rate: 80MB/s
  request_rate: 100/s
  request_burst: 20
)");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->sources, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(p->nic.upload_bps, 1000 * kMbit);
  EXPECT_EQ(p->nic.download_bps, 1000 * kMbit);
  EXPECT_EQ(p->policy.host_memory_mb, 2048);
  EXPECT_EQ(p->policy.weight_unit_mb, 256);
  EXPECT_EQ(p->policy.quantum_bytes_per_weight, 128u * 1024);
  EXPECT_EQ(p->policy.burst_window_us, 8000u);
  EXPECT_EQ(p->policy.capped_bps_per_gb, 100 * kMbit);
  EXPECT_EQ(p->policy.token_bucket.bucket_bytes, 1'000'000u);
  EXPECT_EQ(p->link_latency.count(), 0);
  EXPECT_EQ(p->store.first_byte_latency, "10ms");
  EXPECT_EQ(p->store.connection_rate_bytes_per_s, 80'000'000u);
  EXPECT_DOUBLE_EQ(p->store.request_burst, 20);
  EXPECT_EQ(p->store.ToBehaviorYaml(),
            "default:\n  first_byte_latency: \"10ms\"\n  connection_rate: 80000000B/s\n  request_rate: 100/s\n"
            "  request_burst: 20\n");
  nlohmann::json j = p->ToJson();
  EXPECT_EQ(j["shaping"]["policy"], "capped");
  EXPECT_EQ(j["nic_download_bps"], 1000 * kMbit);
}

TEST(ProfileTest, HelpComesFromTheParsingTable) {
  std::string help = ProfileHelp();
  for (const char* key : {"name", "policy", "nic.download", "token_bucket.one_time_burst", "store.connection_rate",
                          "link_latency", "quantum_per_weight"}) {
    EXPECT_NE(help.find(std::string("  ") + key + " "), std::string::npos) << key;
  }
}

TEST(ProfileTest, ResolveReportsMissingNetemAndMissingShaping) {
  auto p = NetworkProfile::FromYaml("name: x\npolicy: fair\nnic: 1Gbit\nlink_latency: 1ms\n");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  auto r = Resolve(*p, ReferenceMachine());
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->link_latency_applied);
  ASSERT_EQ(r->notes.size(), 1u);
  EXPECT_EQ(
      r->notes[0],
      "link_latency 1ms: not available (netem is missing on this kernel): using store-side first-byte latency 2ms");
  EXPECT_EQ(r->store.first_byte_latency, "2ms") << "one round trip";
  EXPECT_EQ(r->ToJson()["notes"][0], r->notes[0]);
  // A profile with its own store latency keeps it.
  p->store.first_byte_latency = "lognormal:median=20ms,sigma=0.4";
  r = Resolve(*p, ReferenceMachine());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->store.first_byte_latency, "lognormal:median=20ms,sigma=0.4");
  EXPECT_NE(r->notes[0].find("using store-side first-byte latency lognormal"), std::string::npos);
  // netem present: still not applied, and said so.
  sys::TcSupport with = ReferenceMachine();
  with.qdiscs["netem"] = true;
  r = Resolve(*p, with);
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->notes[0].find("netem is present but faasnet does not drive it"), std::string::npos);
  // No htb: a shaped policy cannot run; none can.
  sys::TcSupport bare;
  bare.qdiscs["htb"] = false;
  bare.filters["u32"] = true;
  auto bad = Resolve(*p, bare);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(bad.status().message().find("needs tc htb"), std::string::npos) << bad.status().message();
  p->policy.kind = PolicyKind::kNone;
  EXPECT_TRUE(Resolve(*p, bare).ok());
}

}  // namespace
}  // namespace faasnet::net
