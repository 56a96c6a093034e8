#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "cloud/aws_platform.h"
#include "cloud/estimate.h"
#include "cloud/package.h"
#include "lambda/zip.h"

namespace faasnet::cloud {
namespace {

namespace fs = std::filesystem;

TEST(Package, ZipsKeepContentAndTheExecutableBit) {
  auto dir = fs::temp_directory_path() / ("faasnet-zip-" + std::to_string(::getpid()));
  fs::create_directories(dir / "src" / "lib");
  std::ofstream(dir / "src" / "bootstrap") << "#!/bin/sh\necho hi\n";
  ::chmod((dir / "src" / "bootstrap").c_str(), 0755);
  std::ofstream(dir / "src" / "lib" / "app.py") << "def handler(e, c): return e\n";
  auto zip = ZipDirectory((dir / "src").string());
  ASSERT_TRUE(zip.ok()) << zip.status().ToString();
  auto out = lambda::ExtractZip(*zip, (dir / "out").string());
  ASSERT_TRUE(out.ok());
  std::ifstream in(dir / "out" / "lib" / "app.py");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(text, "def handler(e, c): return e\n");
  struct stat st {};
  ASSERT_EQ(::stat((dir / "out" / "bootstrap").c_str(), &st), 0);
  EXPECT_TRUE(st.st_mode & S_IXUSR);
  EXPECT_FALSE(ZipDirectory((dir / "nope").string()).ok());
  EXPECT_FALSE(BuildZip({{"a", "1"}, {"a", "2"}}).ok());
  fs::remove_all(dir);
}

// An ELF header that names `machine` (little endian, 64-bit), padded to 64 bytes.
std::string ElfHeader(uint16_t machine) {
  std::string h(64, '\0');
  h.replace(0, 4, "\x7f" "ELF");
  h[4] = 2;  // ELFCLASS64
  h[5] = 1;  // ELFDATA2LSB
  h[18] = static_cast<char>(machine & 0xff);
  h[19] = static_cast<char>(machine >> 8);
  return h;
}

TEST(Package, TheProbeMustBeBuiltForTheFunctionsArchitecture) {
  auto dir = fs::temp_directory_path() / ("faasnet-arch-" + std::to_string(::getpid()));
  fs::create_directories(dir / "x86" / "lib");
  fs::create_directories(dir / "arm");
  fs::create_directories(dir / "script");
  std::ofstream(dir / "x86" / "bootstrap") << ElfHeader(62);
  std::ofstream(dir / "x86" / "lib" / "ld.so") << "loader";
  std::ofstream(dir / "arm" / "bootstrap") << ElfHeader(183);
  std::ofstream(dir / "script" / "bootstrap") << "#!/bin/sh\nexec ./probe\n";

  EXPECT_EQ(*ElfArchitecture((dir / "x86" / "bootstrap").string()), "x86_64");
  EXPECT_EQ(*ElfArchitecture((dir / "arm" / "bootstrap").string()), "arm64");
  EXPECT_EQ(ElfArchitecture((dir / "script" / "bootstrap").string()).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(ElfArchitecture((dir / "none").string()).status().code(), Status::Code::kNotFound);

  EXPECT_TRUE(CheckProbe((dir / "x86").string(), "x86_64").ok());
  auto wrong = CheckProbe((dir / "x86").string(), "arm64");
  EXPECT_EQ(wrong.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(wrong.message().find("built for x86_64, not arm64"), std::string::npos) << wrong.ToString();
  EXPECT_NE(wrong.message().find("FAASNET_PROBE_DIR"), std::string::npos) << wrong.ToString();

  auto zip = PackageWorkload("probe", (dir / "x86").string(), "x86_64");
  ASSERT_TRUE(zip.ok()) << zip.status().ToString();
  auto out = lambda::ExtractZip(*zip, (dir / "out").string());
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(fs::exists(dir / "out" / "lib" / "ld.so"));
  EXPECT_FALSE(PackageWorkload("probe", (dir / "arm").string(), "x86_64").ok());
  EXPECT_FALSE(PackageWorkload("probe", (dir / "script").string(), "x86_64").ok());
  EXPECT_EQ(PackageWorkload("java", (dir / "x86").string(), "x86_64").status().code(), Status::Code::kInvalidArgument);
  fs::remove_all(dir);
}

std::vector<suite::Cell> CellsOf(const char* yaml) {
  auto s = suite::Scenario::FromYaml(yaml, suite::Size::kQuick, "t.yaml");
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return *s->Cells();
}

TEST(Estimate, ScalesWithMemoryInvocationsAndBytes) {
  auto small = Estimate(CellsOf("name: t\nexperiments:\n  - name: e\n    memory_mb: 128\n    chunks: 10\n"));
  auto big = Estimate(CellsOf("name: t\nexperiments:\n  - name: e\n    memory_mb: 1024\n    chunks: 10\n"));
  auto many = Estimate(CellsOf("name: t\nexperiments:\n  - name: e\n    memory_mb: 128\n    chunks: 100\n"));
  EXPECT_EQ(small.invocations, 11);  // 10 + one warm-up
  EXPECT_GT(big.gb_seconds, small.gb_seconds);
  EXPECT_GT(many.total(), 5 * small.total());
  EXPECT_NEAR(small.lambda_usd, small.gb_seconds * kUsdPerGbSecondX86, 1e-12);
  // 128 MB at 10 MB/s: 10 MB takes ~1 s; the estimate must not be below the bytes' time.
  EXPECT_GE(small.gb_seconds, 10 * 0.125 * 1.0);
  EXPECT_NE(small.ToString().find("GB-s"), std::string::npos);
}

TEST(ResolveEndpoint, ExplicitThenServiceEnvThenGlobalEnvThenPublic) {
  ::unsetenv("AWS_ENDPOINT_URL_LAMBDA");
  ::unsetenv("AWS_ENDPOINT_URL");
  EXPECT_EQ(ResolveEndpoint("", "AWS_ENDPOINT_URL_LAMBDA", "https://pub"), "https://pub");
  ::setenv("AWS_ENDPOINT_URL", "http://all", 1);
  EXPECT_EQ(ResolveEndpoint("", "AWS_ENDPOINT_URL_LAMBDA", "https://pub"), "http://all");
  ::setenv("AWS_ENDPOINT_URL_LAMBDA", "http://lambda", 1);
  EXPECT_EQ(ResolveEndpoint("", "AWS_ENDPOINT_URL_LAMBDA", "https://pub"), "http://lambda");
  EXPECT_EQ(ResolveEndpoint("http://x", "AWS_ENDPOINT_URL_LAMBDA", "https://pub"), "http://x");
  ::unsetenv("AWS_ENDPOINT_URL_LAMBDA");
  ::unsetenv("AWS_ENDPOINT_URL");
}

TEST(AwsPlatform, RefusesBadRunIdsAndMissingRole) {
  AwsOptions o;
  o.credentials = {"AK", "SK", ""};
  o.run_id = "Bad_Id";
  o.role_arn = "arn:aws:iam::1:role/r";
  EXPECT_EQ(AwsPlatform::Create(o).status().code(), Status::Code::kInvalidArgument);
  o.run_id = "ok-1";
  o.role_arn = "";
  auto p = AwsPlatform::Create(o);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("--role"), std::string::npos);
  o.role_arn = "arn:aws:iam::1:role/r";
  o.architecture = "riscv64";
  EXPECT_EQ(AwsPlatform::Create(o).status().code(), Status::Code::kInvalidArgument);
  o.architecture = "arm64";
  o.probe_dir = "/nonexistent/probe-bundle";
  EXPECT_EQ(AwsPlatform::Create(o).status().code(), Status::Code::kNotFound);
}

// Lambda has no iperf3 server: an iperf cell is refused before anything is
// invoked unless --iperf-server gave one per concurrent function, and each
// worker's event names its own server.
TEST(AwsPlatform, IperfCellsNeedAServerPerConcurrentFunction) {
  AwsOptions o;
  o.credentials = {"AK", "SK", ""};
  o.run_id = "iperf-1";
  o.role_arn = "arn:aws:iam::1:role/r";
  o.iperf_servers = {"203.0.113.7"};
  EXPECT_EQ(AwsPlatform::Create(o).status().code(), Status::Code::kInvalidArgument);
  o.iperf_servers = {"203.0.113.7:70000"};
  EXPECT_EQ(AwsPlatform::Create(o).status().code(), Status::Code::kInvalidArgument);

  o.iperf_servers = {};
  auto none = AwsPlatform::Create(o);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  suite::Cell iperf;
  iperf.action = "iperf";
  iperf.concurrency = 2;
  Status st = (*none)->PrepareRegion(iperf);
  EXPECT_EQ(st.code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(st.message().find("--iperf-server"), std::string::npos) << st.ToString();
  suite::Cell get;
  get.action = "s3-get";
  EXPECT_TRUE((*none)->PrepareRegion(get).ok());
  EXPECT_TRUE((*none)->EventExtras(iperf, 0).empty());

  o.iperf_servers = {"203.0.113.7:5201", "iperf.example.org:5202"};
  auto two = AwsPlatform::Create(o);
  ASSERT_TRUE(two.ok()) << two.status().ToString();
  EXPECT_TRUE((*two)->PrepareRegion(iperf).ok());
  iperf.concurrency = 3;
  EXPECT_EQ((*two)->PrepareRegion(iperf).code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ((*two)->EventExtras(iperf, 0), (nlohmann::json{{"host", "203.0.113.7"}, {"port", 5201}}));
  EXPECT_EQ((*two)->EventExtras(iperf, 1), (nlohmann::json{{"host", "iperf.example.org"}, {"port", 5202}}));
  EXPECT_EQ((*two)->EventExtras(iperf, 2), (*two)->EventExtras(iperf, 0));
  EXPECT_TRUE((*two)->EventExtras(get, 0).empty());
}

}  // namespace
}  // namespace faasnet::cloud
