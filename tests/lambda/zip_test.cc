#include "lambda/zip.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "zip_builder.h"

namespace faasnet::lambda {
namespace {

namespace fs = std::filesystem;
using testing::BuildZip;
using testing::Dir;
using testing::File;
using testing::Symlink;
using testing::ZipEntrySpec;

constexpr std::string_view kUnzipFailed =
    "Could not unzip uploaded file. Please check your file, then try to upload again.";

class ZipTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("faasnet-zip-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(base_);
    fs::create_directories(base_);
    out_ = (base_ / "code").string();
  }
  void TearDown() override { fs::remove_all(base_); }

  static std::string Read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  static fs::perms Perms(const fs::path& p) { return fs::status(p).permissions() & fs::perms::mask; }

  void ExpectUnzipFailure(const std::vector<ZipEntrySpec>& entries, std::string_view detail = {}) {
    auto r = ExtractZip(BuildZip(entries), out_);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().type, "InvalidParameterValueException");
    EXPECT_EQ(r.error().message.rfind(kUnzipFailed, 0), 0u) << r.error().message;
    if (!detail.empty()) {
      EXPECT_NE(r.error().message.find(detail), std::string::npos) << r.error().message;
    }
    EXPECT_FALSE(fs::exists(out_)) << "a failed extraction must leave nothing behind";
  }

  fs::path base_;
  std::string out_;
};

TEST_F(ZipTest, ExtractsFilesDirectoriesAndModes) {
  std::string zip = BuildZip({File("bootstrap", "#!/bin/sh\necho hi\n", true), Dir("lib/"),
                              File("lib/data.txt", "data"), File("deep/nested/file.py", "print(1)"),
                              File("./dot/x", "x")});
  auto r = ExtractZip(zip, out_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->files, 4u);
  EXPECT_EQ(r->directories, 1u);
  EXPECT_EQ(r->unzipped_bytes, 18u + 4 + 8 + 1);
  EXPECT_EQ(Read(fs::path(out_) / "bootstrap"), "#!/bin/sh\necho hi\n");
  EXPECT_EQ(Perms(fs::path(out_) / "bootstrap"), fs::perms(0755));
  EXPECT_EQ(Perms(fs::path(out_) / "lib/data.txt"), fs::perms(0644));
  EXPECT_EQ(Read(fs::path(out_) / "deep/nested/file.py"), "print(1)");
  EXPECT_EQ(Read(fs::path(out_) / "dot/x"), "x");
  EXPECT_EQ(Perms(fs::path(out_) / "deep"), fs::perms(0755));
  EXPECT_EQ(Perms(out_), fs::perms(0755));
}

TEST_F(ZipTest, NoUnixAttributesMeansNotExecutable) {
  ZipEntrySpec dos = File("bootstrap", "x", true);
  dos.unix_attributes = false;
  auto r = ExtractZip(BuildZip({dos}), out_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(Perms(fs::path(out_) / "bootstrap"), fs::perms(0644));
}

TEST_F(ZipTest, RefusesZipSlip) {
  ExpectUnzipFailure({File("ok", "1"), File("../evil", "x")}, "outside the package");
  ExpectUnzipFailure({File("/etc/evil", "x")}, "outside the package");
  ExpectUnzipFailure({File("a/../../evil", "x")}, "outside the package");
  ExpectUnzipFailure({File("a/..", "x")}, "outside the package");
  EXPECT_FALSE(fs::exists(base_ / "evil"));
}

TEST_F(ZipTest, SymlinksInsideAreKept) {
  auto r = ExtractZip(BuildZip({File("real/bin", "#!/bin/sh\n", true), Symlink("bootstrap", "real/bin"),
                                Symlink("node_modules/.bin/tool", "../../real/bin"), Symlink("dangling", "missing")}),
                      out_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->symlinks, 3u);
  EXPECT_TRUE(fs::is_symlink(fs::path(out_) / "bootstrap"));
  EXPECT_EQ(fs::read_symlink(fs::path(out_) / "bootstrap"), "real/bin");
  EXPECT_EQ(Read(fs::path(out_) / "node_modules/.bin/tool"), "#!/bin/sh\n");
}

TEST_F(ZipTest, RefusesEscapingSymlinks) {
  ExpectUnzipFailure({Symlink("link", "/etc/passwd")}, "points outside");
  ExpectUnzipFailure({Symlink("link", "../outside")}, "points outside");
  ExpectUnzipFailure({Symlink("a/link", "../../outside")}, "points outside");
  // Each lexically inside, together outside.
  ExpectUnzipFailure({Symlink("a", "."), Symlink("b", "a/..")}, "resolves outside");
  ExpectUnzipFailure({Symlink("a", "."), Symlink("b", "a/../nothing")}, "dangling");
  // A file "through" a symlink: symlinks come last, so the file goes into a
  // real directory inside, and the escaping link is refused.
  ExpectUnzipFailure({Symlink("d", ".."), File("d/x", "x")}, "points outside");
  EXPECT_FALSE(fs::exists(base_ / "x"));
}

TEST_F(ZipTest, RefusesDevicesAndGarbage) {
  ZipEntrySpec fifo = File("pipe", "");
  fifo.unix_mode = 010644;
  ExpectUnzipFailure({fifo}, "not a file, directory or symlink");

  auto garbage = ExtractZip("this is not a zip at all", out_);
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().type, "InvalidParameterValueException");
  EXPECT_EQ(garbage.error().message.rfind(kUnzipFailed, 0), 0u);
  EXPECT_FALSE(fs::exists(out_));

  std::string zip = BuildZip({File("a", std::string(1000, 'a'))});
  auto truncated = ExtractZip(std::string_view(zip).substr(0, zip.size() / 2), out_);
  EXPECT_FALSE(truncated.ok());
  EXPECT_FALSE(fs::exists(out_));

  auto empty = ExtractZip("", out_);
  EXPECT_FALSE(empty.ok());
}

TEST_F(ZipTest, DetectsCorruptData) {
  ZipEntrySpec stored = File("data.bin", std::string(4096, 'Q'));
  stored.store = true;
  std::string zip = BuildZip({stored});
  size_t at = zip.find(std::string(64, 'Q'));
  ASSERT_NE(at, std::string::npos);
  zip[at + 10] = 'R';  // the CRC no longer matches
  auto r = ExtractZip(zip, out_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind(kUnzipFailed, 0), 0u);
  EXPECT_FALSE(fs::exists(out_));
}

TEST_F(ZipTest, SizeLimits) {
  std::string zip = BuildZip({File("a", std::string(6000, 'a')), File("b", std::string(6000, 'b'))});
  ZipLimits small;
  small.max_unzipped_bytes = 10000;
  auto r = ExtractZip(zip, out_, small);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().type, "InvalidParameterValueException");
  EXPECT_EQ(r.error().message, "Unzipped size must be smaller than 10000 bytes");
  EXPECT_FALSE(fs::exists(out_));

  ZipLimits tiny;
  tiny.max_zipped_bytes = 10;
  r = ExtractZip(zip, out_, tiny);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().type, "RequestTooLargeException");

  ZipLimits few;
  few.max_entries = 1;
  EXPECT_FALSE(ExtractZip(zip, out_, few).ok());

  // Lambda's defaults.
  ZipLimits lambda;
  EXPECT_EQ(lambda.max_zipped_bytes, 52428800u);
  EXPECT_EQ(lambda.max_unzipped_bytes, 262144000u);
}

TEST_F(ZipTest, Destination) {
  std::string zip = BuildZip({File("f", "1")});
  fs::create_directories(out_);
  ASSERT_TRUE(ExtractZip(zip, out_).ok()) << "an empty existing directory is fine";
  auto again = ExtractZip(zip, out_);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().type, "ServiceException");
  EXPECT_TRUE(fs::exists(fs::path(out_) / "f")) << "a refused destination is left alone";
  auto no_parent = ExtractZip(zip, (base_ / "missing/parent/code").string());
  EXPECT_EQ(no_parent.error().type, "ServiceException");
}

TEST(SafeEntryPathTest, Rules) {
  EXPECT_EQ(SafeEntryPath("a/b"), "a/b");
  EXPECT_EQ(SafeEntryPath("./a//./b/"), "a/b");
  EXPECT_EQ(SafeEntryPath("dir/"), "dir");
  EXPECT_EQ(SafeEntryPath("..a/b.."), "..a/b..");
  EXPECT_EQ(SafeEntryPath(""), "");
  EXPECT_EQ(SafeEntryPath("/a"), "");
  EXPECT_EQ(SafeEntryPath("a/../b"), "");
  EXPECT_EQ(SafeEntryPath(".."), "");
  EXPECT_EQ(SafeEntryPath("./"), "");
  EXPECT_EQ(SafeEntryPath(std::string("a\0b", 3)), "");
}

}  // namespace
}  // namespace faasnet::lambda
