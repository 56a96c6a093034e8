// The Shaper against the in-memory tc fake: what it installs, that sandboxes
// are added and removed one class and one filter at a time, undo on
// failure, read-back, counters and an idempotent teardown.
#include "net/shaper.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "sys/fake_netlink.h"
#include "sys/fake_tc.h"

namespace faasnet::net {
namespace {

using sys::FakeTrafficControl;
using sys::TcHandle;

constexpr uint64_t kMbit = 1'000'000;

sys::VethSpec UplinkVeth() {
  sys::VethSpec v;
  v.name = "up0";
  v.peer_name = "c0";
  return v;
}

class ShaperTest : public ::testing::Test {
 protected:
  FakeTrafficControl host_tc_{"faasnet-r-h0"};
  FakeTrafficControl core_tc_{"faasnet-r-core"};

  Shaper::Options Opts(PolicyKind kind) {
    Shaper::Options o;
    o.host = "h0";
    o.policy.kind = kind;
    o.policy.host_memory_mb = 3840;
    o.policy.token_bucket.sustained_rate_bps = 20 * kMbit;
    o.policy.token_bucket.one_time_burst_bytes = 1'000'000;
    o.nic = NicCapacity{100 * kMbit, 200 * kMbit};
    o.upload = ShapedLink{&host_tc_, "up0"};
    o.download = ShapedLink{&core_tc_, "c0"};
    return o;
  }

  std::unique_ptr<Shaper> Make(PolicyKind kind) {
    auto s = Shaper::Create(Opts(kind));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }

  static size_t Count(const std::vector<std::string>& calls, const std::string& prefix) {
    return static_cast<size_t>(
        std::count_if(calls.begin(), calls.end(), [&](const std::string& c) { return c.rfind(prefix, 0) == 0; }));
  }
  static std::vector<std::string> Since(const FakeTrafficControl& tc, size_t n) {
    return std::vector<std::string>(tc.calls().begin() + static_cast<long>(n), tc.calls().end());
  }
};

TEST_F(ShaperTest, CreateInstallsRootAndNicClassesBothWays) {
  auto s = Make(PolicyKind::kProportional);
  ASSERT_TRUE(s);
  ASSERT_EQ(host_tc_.qdiscs().size(), 1u);
  const auto& q = host_tc_.qdiscs().begin()->second;
  EXPECT_EQ(q.kind, "htb");
  EXPECT_EQ(q.htb.dev, "up0");
  EXPECT_EQ(q.htb.default_class, kOtherMinor);
  EXPECT_EQ(host_tc_.classes().at({"up0", TcHandle(1, 1)}).rate_bps, 100 * kMbit);
  EXPECT_EQ(core_tc_.classes().at({"c0", TcHandle(1, 1)}).rate_bps, 200 * kMbit);
  EXPECT_TRUE(core_tc_.classes().count({"c0", TcHandle(1, 2)}));
  EXPECT_TRUE(s->Verify().ok());
  EXPECT_EQ(s->sandbox_count(), 0u);
}

TEST_F(ShaperTest, NoneTouchesNothing) {
  auto s = Make(PolicyKind::kNone);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->AddSandbox("a", "10.100.0.10", 128).ok());
  EXPECT_TRUE(host_tc_.calls().empty());
  EXPECT_TRUE(core_tc_.calls().empty());
  EXPECT_FALSE(s->ClassOf("a", Direction::kUpload));
  EXPECT_EQ(s->ReadRootStats(Direction::kUpload).status().code(), Status::Code::kNotFound);
  EXPECT_TRUE(s->Teardown().ok());
  EXPECT_TRUE(host_tc_.calls().empty());
}

TEST_F(ShaperTest, NoneNeedsNoDevices) {
  Shaper::Options o = Opts(PolicyKind::kNone);
  o.upload = ShapedLink{};
  o.download = ShapedLink{};
  EXPECT_TRUE(Shaper::Create(o).ok());
  o.policy.kind = PolicyKind::kFair;
  auto bad = Shaper::Create(o);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("no device for upload"), std::string::npos);
}

TEST_F(ShaperTest, SharedHasNoPerSandboxClasses) {
  auto s = Make(PolicyKind::kShared);
  ASSERT_TRUE(s);
  size_t before = host_tc_.calls().size();
  ASSERT_TRUE(s->AddSandbox("a", "10.100.0.10", 128).ok());
  EXPECT_EQ(host_tc_.calls().size(), before);
  EXPECT_EQ(host_tc_.classes().size(), 1u);
  EXPECT_EQ(s->ReadSandboxStats("a", Direction::kUpload).status().code(), Status::Code::kNotFound);
  host_tc_.SetQdiscStats("up0", TcHandle(1, 0), sys::TcStats{.bytes = 1234});
  auto root = s->ReadRootStats(Direction::kUpload);
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->bytes, 1234u);
}

TEST_F(ShaperTest, AddingASandboxAddsOneClassAndOneFilterPerDirection) {
  auto s = Make(PolicyKind::kProportional);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->AddSandbox("a", "10.100.0.10", 512).ok());
  size_t host_before = host_tc_.calls().size(), core_before = core_tc_.calls().size();
  ASSERT_TRUE(s->AddSandbox("b", "10.100.0.11", 1024).ok());
  // Only b's class and filter: a's guarantee depends on the host's memory, not on b.
  EXPECT_EQ(Since(host_tc_, host_before),
            (std::vector<std::string>{"SetHtbClass up0 1:101", "AddU32Filter up0 prio 101 10.100.0.11/32 -> 1:101"}));
  EXPECT_EQ(Since(core_tc_, core_before),
            (std::vector<std::string>{"SetHtbClass c0 1:101", "AddU32Filter c0 prio 101 10.100.0.11/32 -> 1:101"}));
  // Upload filters match the source, download filters the destination.
  ASSERT_EQ(host_tc_.filters().size(), 2u);
  EXPECT_EQ(host_tc_.filters()[0].match, sys::U32Match::kSrc);
  EXPECT_EQ(core_tc_.filters()[0].match, sys::U32Match::kDst);
  const auto& b = core_tc_.classes().at({"c0", TcHandle(1, 0x101)});
  EXPECT_EQ(b.parent, TcHandle(1, 1));
  EXPECT_EQ(b.ceil_bps, 200 * kMbit);
  EXPECT_EQ(b.quantum_bytes, 2 * core_tc_.classes().at({"c0", TcHandle(1, 0x100)}).quantum_bytes);
  EXPECT_EQ(s->ClassOf("b", Direction::kDownload), TcHandle(1, 0x101));
  EXPECT_TRUE(s->Verify().ok());
  EXPECT_EQ(s->sandbox_count(), 2u);
}

TEST_F(ShaperTest, RescalesOthersOnlyWhenThePlanSaysSoLoweringFirst) {
  Shaper::Options o = Opts(PolicyKind::kFair);
  o.policy.host_memory_mb = 0;  // every arrival re-divides the NIC
  auto made = Shaper::Create(o);
  ASSERT_TRUE(made.ok());
  auto& s = *made;
  ASSERT_TRUE(s->AddSandbox("a", "10.100.0.10", 128).ok());
  size_t before = host_tc_.calls().size();
  ASSERT_TRUE(s->AddSandbox("b", "10.100.0.11", 128).ok());
  EXPECT_EQ(Since(host_tc_, before), (std::vector<std::string>{"SetHtbClass up0 1:100", "SetHtbClass up0 1:101",
                                                               "AddU32Filter up0 prio 101 10.100.0.11/32 -> 1:101"}));
  EXPECT_EQ(host_tc_.classes().at({"up0", TcHandle(1, 0x100)}).rate_bps,
            host_tc_.classes().at({"up0", TcHandle(1, 0x101)}).rate_bps);
  // Removing b raises a again, after b is gone.
  before = host_tc_.calls().size();
  ASSERT_TRUE(s->RemoveSandbox("b").ok());
  EXPECT_EQ(Since(host_tc_, before),
            (std::vector<std::string>{"DeleteFilter up0 prio 101", "DeleteClass up0 1:101", "SetHtbClass up0 1:100"}));
  EXPECT_TRUE(s->Verify().ok());
}

TEST_F(ShaperTest, RemoveDeletesFilterThenClassAndFreesTheSlot) {
  auto s = Make(PolicyKind::kCapped);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->AddSandbox("a", "10.100.0.10", 128).ok());
  ASSERT_TRUE(s->AddSandbox("b", "10.100.0.11", 256).ok());
  ASSERT_TRUE(s->RemoveSandbox("a").ok());
  EXPECT_FALSE(core_tc_.classes().count({"c0", TcHandle(1, 0x100)}));
  EXPECT_EQ(core_tc_.filters().size(), 1u);
  EXPECT_TRUE(s->RemoveSandbox("a").ok()) << "unknown ids are fine";
  ASSERT_TRUE(s->AddSandbox("c", "10.100.0.12", 512).ok());
  EXPECT_EQ(s->ClassOf("c", Direction::kUpload), TcHandle(1, 0x100)) << "slot 0 reused";
  EXPECT_EQ(s->ClassOf("b", Direction::kUpload), TcHandle(1, 0x101));
  EXPECT_TRUE(s->Verify().ok());
}

TEST_F(ShaperTest, RejectsDuplicatesAndBadInputWithoutTouchingTheKernel) {
  auto s = Make(PolicyKind::kFair);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->AddSandbox("a", "10.100.0.10", 128).ok());
  size_t before = host_tc_.calls().size();
  EXPECT_EQ(s->AddSandbox("a", "10.100.0.11", 128).code(), Status::Code::kAlreadyExists);
  Status bad = s->AddSandbox("b", "10.100.0.300", 128);
  EXPECT_EQ(bad.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(bad.message().find("add sandbox b"), std::string::npos) << bad.message();
  EXPECT_EQ(s->AddSandbox("c", "10.100.0.12", 0).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(host_tc_.calls().size(), before);
}

TEST_F(ShaperTest, AKernelErrorUndoesTheSandbox) {
  auto s = Make(PolicyKind::kProportional);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->AddSandbox("a", "10.100.0.10", 128).ok());
  // The download filter fails: b's upload class and filter and its download
  // class are removed again.
  core_tc_.FailNext("AddU32Filter", Status::Internal("add u32 filter: boom"));
  Status st = s->AddSandbox("b", "10.100.0.11", 256);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("boom"), std::string::npos);
  EXPECT_NE(st.message().find("shaper for host h0: add sandbox b"), std::string::npos) << st.message();
  EXPECT_EQ(s->sandbox_count(), 1u);
  EXPECT_FALSE(s->ClassOf("b", Direction::kUpload));
  EXPECT_FALSE(host_tc_.classes().count({"up0", TcHandle(1, 0x101)}));
  EXPECT_FALSE(core_tc_.classes().count({"c0", TcHandle(1, 0x101)}));
  EXPECT_EQ(host_tc_.filters().size(), 1u);
  EXPECT_EQ(core_tc_.filters().size(), 1u);
  // A failing class: nothing of c remains either.
  host_tc_.FailNext("SetHtbClass", Status::Internal("set htb class: boom"));
  EXPECT_FALSE(s->AddSandbox("c", "10.100.0.12", 256).ok());
  EXPECT_EQ(host_tc_.classes().size(), 3u);
  ASSERT_TRUE(s->AddSandbox("b", "10.100.0.11", 256).ok());
  EXPECT_TRUE(s->Verify().ok());
}

TEST_F(ShaperTest, AFailedRemovalIsRetriedByTheNextChange) {
  auto s = Make(PolicyKind::kFair);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->AddSandbox("a", "10.100.0.10", 128).ok());
  host_tc_.FailNext("DeleteClass", Status::Unavailable("delete class: busy"));
  EXPECT_FALSE(s->RemoveSandbox("a").ok());
  EXPECT_TRUE(host_tc_.classes().count({"up0", TcHandle(1, 0x100)}));
  // The slot stays taken until the class is really gone.
  ASSERT_TRUE(s->AddSandbox("b", "10.100.0.11", 128).ok());
  EXPECT_EQ(s->ClassOf("b", Direction::kUpload), TcHandle(1, 0x101));
  EXPECT_FALSE(host_tc_.classes().count({"up0", TcHandle(1, 0x100)})) << "retried on the next change";
}

TEST_F(ShaperTest, CreateFailsOnAnExistingRootAndLeavesNothing) {
  sys::HtbQdiscSpec leftover;
  leftover.dev = "c0";
  ASSERT_TRUE(core_tc_.AddHtbQdisc(leftover).ok());
  auto s = Shaper::Create(Opts(PolicyKind::kFair));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Status::Code::kAlreadyExists);
  EXPECT_NE(s.status().message().find("shaper for host h0"), std::string::npos);
  EXPECT_TRUE(host_tc_.qdiscs().empty()) << "the upload side was undone";
  EXPECT_TRUE(host_tc_.classes().empty());
}

TEST_F(ShaperTest, BurstSpentMovesTheClassToTheSustainedRate) {
  auto s = Make(PolicyKind::kTokenBucket);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->AddSandbox("a", "10.100.0.10", 128).ok());
  EXPECT_EQ(core_tc_.classes().at({"c0", TcHandle(1, 0x100)}).ceil_bps, 200 * kMbit);
  auto watches = s->BurstWatches();
  ASSERT_EQ(watches.size(), 2u);
  EXPECT_EQ(watches[0].one_time_burst_bytes, 1'000'000u);
  ASSERT_TRUE(s->MarkBurstSpent("a", Direction::kDownload).ok());
  EXPECT_EQ(core_tc_.classes().at({"c0", TcHandle(1, 0x100)}).ceil_bps, 20 * kMbit);
  EXPECT_EQ(host_tc_.classes().at({"up0", TcHandle(1, 0x100)}).ceil_bps, 100 * kMbit) << "upload still bursting";
  watches = s->BurstWatches();
  ASSERT_EQ(watches.size(), 1u);
  EXPECT_EQ(watches[0].direction, Direction::kUpload);
  size_t before = core_tc_.calls().size();
  EXPECT_TRUE(s->MarkBurstSpent("a", Direction::kDownload).ok());
  EXPECT_EQ(core_tc_.calls().size(), before) << "idempotent";
  EXPECT_EQ(s->MarkBurstSpent("zz", Direction::kDownload).code(), Status::Code::kNotFound);
  EXPECT_TRUE(s->Verify().ok());
}

TEST_F(ShaperTest, ReadsCountersOfTheSandboxClass) {
  auto s = Make(PolicyKind::kFair);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->AddSandbox("a", "10.100.0.10", 128).ok());
  core_tc_.SetClassStats("c0", TcHandle(1, 0x100), sys::TcStats{.bytes = 5000, .drops = 2, .overlimits = 9});
  auto st = s->ReadSandboxStats("a", Direction::kDownload);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->bytes, 5000u);
  EXPECT_EQ(st->overlimits, 9u);
  EXPECT_EQ(s->ReadSandboxStats("b", Direction::kDownload).status().code(), Status::Code::kNotFound);
}

TEST_F(ShaperTest, VerifyNoticesADifference) {
  auto s = Make(PolicyKind::kFair);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->AddSandbox("a", "10.100.0.10", 128).ok());
  // Someone changed the class behind the shaper's back.
  sys::HtbClassSpec c = host_tc_.classes().at({"up0", TcHandle(1, 0x100)});
  c.ceil_bps = 50 * kMbit;
  ASSERT_TRUE(host_tc_.SetHtbClass(c).ok());
  Status st = s->Verify();
  EXPECT_EQ(st.code(), Status::Code::kInternal);
  EXPECT_NE(st.message().find("1:100 on up0"), std::string::npos) << st.message();
}

TEST_F(ShaperTest, TeardownIsIdempotentAndToleratesGoneDevices) {
  auto s = Make(PolicyKind::kFair);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->AddSandbox("a", "10.100.0.10", 128).ok());
  core_tc_.FailNext("DeleteRootQdisc", Status::NotFound("no link c0"));  // the namespace went first
  ASSERT_TRUE(s->Teardown().ok());
  EXPECT_TRUE(host_tc_.qdiscs().empty());
  EXPECT_TRUE(host_tc_.classes().empty());
  EXPECT_TRUE(host_tc_.filters().empty());
  size_t before = host_tc_.calls().size();
  EXPECT_TRUE(s->Teardown().ok());
  EXPECT_EQ(host_tc_.calls().size(), before);
  EXPECT_EQ(s->AddSandbox("b", "10.100.0.11", 128).code(), Status::Code::kFailedPrecondition);
  EXPECT_TRUE(s->RemoveSandbox("a").ok());
  EXPECT_TRUE(s->BurstWatches().empty());
}

TEST_F(ShaperTest, AFailedTeardownCanBeRetriedAndTheDestructorCleansUp) {
  {
    auto s = Make(PolicyKind::kFair);
    ASSERT_TRUE(s);
    host_tc_.FailNext("DeleteRootQdisc", Status::Internal("boom"));
    EXPECT_FALSE(s->Teardown().ok());
    EXPECT_TRUE(core_tc_.qdiscs().empty());
    EXPECT_FALSE(host_tc_.qdiscs().empty());
  }
  EXPECT_TRUE(host_tc_.qdiscs().empty()) << "the destructor retried";
}

TEST_F(ShaperTest, IngressIfbRedirectsAndCleansUp) {
  sys::FakeNetlink nl("faasnet-r-h0");
  ASSERT_TRUE(nl.CreateVeth(UplinkVeth()).ok());
  {
    auto ifb = IngressIfb::Create(&nl, &host_tc_, "up0", "ifb0");
    ASSERT_TRUE(ifb.ok()) << ifb.status().ToString();
    EXPECT_TRUE(nl.GetLink("ifb0").ok());
    ASSERT_EQ(host_tc_.redirects().size(), 1u);
    EXPECT_EQ(host_tc_.redirects()[0], std::make_pair(std::string("up0"), std::string("ifb0")));
    EXPECT_EQ(ifb->link().dev, "ifb0");
    EXPECT_EQ(ifb->link().tc, &host_tc_);
    IngressIfb moved = std::move(*ifb);
    EXPECT_TRUE(moved.Destroy().ok());
    EXPECT_TRUE(moved.Destroy().ok());
    EXPECT_FALSE(nl.GetLink("ifb0").ok());
    EXPECT_TRUE(host_tc_.redirects().empty());
  }
  host_tc_.FailNext("AddIngressRedirect", Status::Internal("no mirred"));
  auto bad = IngressIfb::Create(&nl, &host_tc_, "up0", "ifb1");
  ASSERT_FALSE(bad.ok());
  EXPECT_FALSE(nl.GetLink("ifb1").ok()) << "the ifb is removed again";
}

}  // namespace
}  // namespace faasnet::net
