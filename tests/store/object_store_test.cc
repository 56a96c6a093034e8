#include "store/object_store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "base/strings.h"
#include "s3/checksum.h"

namespace faasnet::store {
namespace {

namespace fs = std::filesystem;

class ObjectStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("faasnet-store-test-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  void Reopen(StoreOptions o = {}) {
    store_.reset();
    o.min_part_bytes = 4;  // small parts in tests
    auto s = ObjectStore::Open(dir_.string(), o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }
  ObjectMeta Put(const std::string& bucket, const std::string& key, const std::string& data) {
    auto f = store_->BeginWrite(bucket, "alice");
    EXPECT_TRUE(f.ok()) << f.error().code;
    EXPECT_TRUE((*f)->Append(data.data(), data.size()).ok());
    ObjectMeta m;
    m.key = key;
    m.owner = "alice";
    m.etag = HexEncode(s3::Md5::Of(data));
    auto stored = store_->CommitObject(bucket, std::move(*f), m);
    EXPECT_TRUE(stored.ok()) << stored.error().code;
    return stored.ok() ? *stored : ObjectMeta{};
  }
  std::string Read(const std::string& bucket, const std::string& key) {
    auto o = store_->OpenForRead(bucket, key, "alice");
    if (!o.ok()) return "<" + o.error().code + ">";
    std::string data(o->meta.size, '\0');
    EXPECT_EQ(::pread(o->fd.get(), data.data(), data.size(), 0), static_cast<ssize_t>(data.size()));
    return data;
  }
  std::vector<std::string> Keys(const ListResult& r) {
    std::vector<std::string> out;
    for (const auto& o : r.objects) out.push_back(o.key);
    return out;
  }

  fs::path dir_;
  std::unique_ptr<ObjectStore> store_;
};

TEST_F(ObjectStoreTest, BucketLifecycleAndOwnership) {
  EXPECT_TRUE(store_->CreateBucket("data", "alice", "").ok());
  EXPECT_EQ(store_->CreateBucket("data", "alice", "").code, "BucketAlreadyOwnedByYou");
  EXPECT_EQ(store_->CreateBucket("data", "bob", "").code, "BucketAlreadyExists");
  EXPECT_EQ(store_->GetBucket("data", "bob").error().code, "AccessDenied");
  EXPECT_EQ(store_->GetBucket("nope", "alice").error().code, "NoSuchBucket");
  Put("data", "k", "v");
  EXPECT_EQ(store_->DeleteBucket("data", "alice").code, "BucketNotEmpty");
  EXPECT_TRUE(store_->DeleteObject("data", "k", "alice").ok());
  EXPECT_TRUE(store_->DeleteBucket("data", "alice").ok());
  EXPECT_EQ(store_->GetBucket("data", "alice").error().code, "NoSuchBucket");
  EXPECT_TRUE(store_->ListBuckets("alice").empty());
}

TEST_F(ObjectStoreTest, ObjectsSurviveReopenWithMetadata) {
  ASSERT_TRUE(store_->CreateBucket("b", "alice", "eu-west-1").ok());
  auto f = store_->BeginWrite("b", "alice");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append("hello", 5).ok());
  ObjectMeta m;
  m.key = "dir/hello.txt";
  m.etag = "abc";
  m.content_type = "text/plain";
  m.user_metadata = {{"color", "blue"}};
  m.checksums = {{"CRC32", "NhCmhg=="}};
  ASSERT_TRUE(store_->CommitObject("b", std::move(*f), m).ok());
  Reopen();
  auto st = store_->Stat("b", "dir/hello.txt", "alice");
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->size, 5u);
  EXPECT_EQ(st->content_type, "text/plain");
  EXPECT_EQ(st->user_metadata.at(0).second, "blue");
  EXPECT_EQ(st->checksums.at("CRC32"), "NhCmhg==");
  EXPECT_GT(st->last_modified_ms, 0);
  EXPECT_EQ(Read("b", "dir/hello.txt"), "hello");
  EXPECT_EQ(store_->GetBucket("b", "alice")->location, "eu-west-1");
}

TEST_F(ObjectStoreTest, OverwriteReplacesAtomically) {
  ASSERT_TRUE(store_->CreateBucket("b", "alice", "").ok());
  Put("b", "k", "first version");
  auto reader = store_->OpenForRead("b", "k", "alice");  // an open reader keeps the old bytes
  ASSERT_TRUE(reader.ok());
  Put("b", "k", "second");
  EXPECT_EQ(Read("b", "k"), "second");
  std::string old(reader->meta.size, '\0');
  ASSERT_EQ(::pread(reader->fd.get(), old.data(), old.size(), 0), 13);
  EXPECT_EQ(old, "first version");
}

// A replaced object's file becomes a spare that the next write overwrites in
// place: the new object has exactly its own bytes (a longer spare is cut),
// also after a reopen, which reads every object's trailer again.
TEST_F(ObjectStoreTest, SpareFilesAreOverwrittenInPlaceWithExactContent) {
  ASSERT_TRUE(store_->CreateBucket("b", "alice", "").ok());
  std::string big(300'000, 'B'), mid(100'000, 'M');
  ObjectMeta first = Put("b", "k", big);
  EXPECT_EQ(store_->spare_count(), 0u);  // a new key replaces nothing
  Put("b", "k", "short");
  EXPECT_EQ(store_->spare_count(), 1u);
  ObjectMeta reused = Put("b", "k2", mid);  // takes the 300 KB file
  EXPECT_EQ(reused.inode, first.inode);
  EXPECT_EQ(store_->spare_count(), 0u);
  EXPECT_EQ(reused.size, mid.size());
  EXPECT_EQ(Read("b", "k2"), mid);
  EXPECT_EQ(Read("b", "k"), "short");
  Put("b", "k2", "x");  // the 100 KB file goes spare, then k3 takes it
  ObjectMeta k3 = Put("b", "k3", std::string(1, 'y'));
  EXPECT_EQ(k3.inode, first.inode);
  EXPECT_EQ(k3.size, 1u);
  Reopen();
  EXPECT_EQ(Read("b", "k"), "short");
  EXPECT_EQ(Read("b", "k2"), "x");
  EXPECT_EQ(Read("b", "k3"), "y");
  EXPECT_EQ(store_->Stat("b", "k3", "alice")->size, 1u);
}

// A file that a reader has open is never taken as a spare, however many
// writes follow: the reader keeps its bytes. Once closed, the next
// replacement keeps a spare again.
TEST_F(ObjectStoreTest, AnOpenObjectIsNeverTakenAsASpare) {
  ASSERT_TRUE(store_->CreateBucket("b", "alice", "").ok());
  std::string v1(50'000, '1');
  Put("b", "k", v1);
  {
    auto reader = store_->OpenForRead("b", "k", "alice");
    ASSERT_TRUE(reader.ok());
    Put("b", "k", "v2");
    EXPECT_EQ(store_->spare_count(), 0u);
    for (int i = 0; i < 3; ++i) Put("b", "other" + std::to_string(i), std::string(60'000, 'o'));
    std::string old(reader->meta.size, '\0');
    ASSERT_EQ(::pread(reader->fd.get(), old.data(), old.size(), 0), 50'000);
    EXPECT_EQ(old, v1);
  }
  Put("b", "k", "v3");  // nobody reads "v2": its file is kept
  EXPECT_EQ(store_->spare_count(), 1u);
  EXPECT_EQ(Read("b", "k"), "v3");
}

// Deleting keeps the file as a spare too; spares stay within their budget,
// are not kept at all with a budget of 0, and are removed by a clean stop.
TEST_F(ObjectStoreTest, SparesFromDeletesWithinTheirBudget) {
  ASSERT_TRUE(store_->CreateBucket("b", "alice", "").ok());
  ObjectMeta a = Put("b", "a", std::string(20'000, 'a'));
  ASSERT_TRUE(store_->DeleteObject("b", "a", "alice").ok());
  EXPECT_EQ(store_->spare_count(), 1u);
  EXPECT_EQ(Read("b", "a"), "<NoSuchKey>");
  EXPECT_EQ(Put("b", "c", "c").inode, a.inode);
  Put("b", "d", "d");
  ASSERT_TRUE(store_->DeleteObject("b", "d", "alice").ok());
  EXPECT_EQ(store_->spare_count(), 1u);
  store_.reset();  // a clean stop frees the spares' space
  EXPECT_TRUE(fs::is_empty(dir_ / "tmp"));

  StoreOptions none;
  none.spare_bytes = 0;
  Reopen(none);
  Put("b", "c", "c2");
  ASSERT_TRUE(store_->DeleteObject("b", "c", "alice").ok());
  EXPECT_EQ(store_->spare_count(), 0u);

  StoreOptions huge;  // more than the file system has free: space is short, nothing is kept
  huge.spare_bytes = uint64_t{1} << 62;
  Reopen(huge);
  Put("b", "c", "c3");
  Put("b", "c", "c4");
  EXPECT_EQ(store_->spare_count(), 0u);

  StoreOptions small;
  small.spare_bytes = 64 << 10;
  Reopen(small);
  Put("b", "e", std::string(200'000, 'e'));
  Put("b", "e", "e2");  // 200 KB is over the 64 KiB budget
  EXPECT_EQ(store_->spare_count(), 0u);
  Put("b", "f", "f");
  Put("b", "f", "f2");  // one block fits
  EXPECT_EQ(store_->spare_count(), 1u);
  EXPECT_EQ(Read("b", "e"), "e2");
  EXPECT_EQ(Read("b", "f"), "f2");
}

TEST_F(ObjectStoreTest, UncommittedWritesAreInvisibleAndSweptAtOpen) {
  ASSERT_TRUE(store_->CreateBucket("b", "alice", "").ok());
  {
    auto f = store_->BeginWrite("b", "alice");
    ASSERT_TRUE((*f)->Append("partial", 7).ok());
    // dropped without commit
  }
  EXPECT_TRUE(fs::is_empty(dir_ / "tmp"));
  // A crash leaves a temp file behind: Open removes it.
  std::ofstream(dir_ / "tmp" / "leftover") << "junk";
  Reopen();
  EXPECT_TRUE(fs::is_empty(dir_ / "tmp"));
  EXPECT_TRUE(store_->List("b", "alice", {})->objects.empty());
}

TEST_F(ObjectStoreTest, CorruptObjectFileIsIgnoredAtLoad) {
  ASSERT_TRUE(store_->CreateBucket("b", "alice", "").ok());
  Put("b", "good", "data");
  Put("b", "bad", "data");
  std::string h = HexEncode(s3::Sha256::Of("bad"));
  fs::path bad = dir_ / "buckets" / "b" / "objects" / h.substr(0, 2) / h;
  ASSERT_TRUE(fs::exists(bad));
  fs::resize_file(bad, 10);  // truncated trailer
  Reopen();
  EXPECT_EQ(Keys(*store_->List("b", "alice", {})), std::vector<std::string>{"good"});
}

TEST_F(ObjectStoreTest, RefusesADirectoryThatIsNotAStore) {
  fs::path other = dir_.string() + "-other";
  fs::create_directories(other);
  std::ofstream(other / "precious.txt") << "keep me";
  auto s = ObjectStore::Open(other.string());
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("not a faasnet store"), std::string::npos);
  EXPECT_TRUE(fs::exists(other / "precious.txt"));
  fs::remove_all(other);
}

TEST_F(ObjectStoreTest, ListingInByteOrderWithDelimiterAndPages) {
  ASSERT_TRUE(store_->CreateBucket("b", "alice", "").ok());
  for (std::string k : {"a/1", "a/2", "b", "c/x/1", "c/y", "d", "\xc3\xa9t\xc3\xa9"}) Put("b", k, "x");
  ListQuery q;
  q.delimiter = "/";
  auto r = store_->List("b", "alice", q);
  EXPECT_EQ(Keys(*r), (std::vector<std::string>{"b", "d", "\xc3\xa9t\xc3\xa9"}));
  EXPECT_EQ(r->common_prefixes, (std::vector<std::string>{"a/", "c/"}));
  // Paging by two, prefixes count as entries and are not repeated.
  q.max_keys = 2;
  std::vector<std::string> seen;
  for (int page = 0; page < 10; ++page) {
    auto p = store_->List("b", "alice", q);
    for (auto& o : p->objects) seen.push_back(o.key);
    for (auto& cp : p->common_prefixes) seen.push_back(cp);
    if (!p->truncated) break;
    q.start_after = p->next_marker;
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::string>{"a/", "b", "c/", "d", "\xc3\xa9t\xc3\xa9"}));
  ListQuery pq;
  pq.prefix = "c/";
  pq.delimiter = "/";
  auto pr = store_->List("b", "alice", pq);
  EXPECT_EQ(Keys(*pr), std::vector<std::string>{"c/y"});
  EXPECT_EQ(pr->common_prefixes, std::vector<std::string>{"c/x/"});
}

TEST_F(ObjectStoreTest, MultipartAssemblesValidatesAndIsIdempotent) {
  ASSERT_TRUE(store_->CreateBucket("b", "alice", "").ok());
  ObjectMeta m;
  m.key = "big";
  m.owner = "alice";
  m.content_type = "text/csv";
  auto id = store_->CreateUpload("b", m);
  ASSERT_TRUE(id.ok());
  std::vector<std::string> data = {"part-one-", "part-two-", "end"};
  std::vector<CompletedPart> parts;
  for (int i = 0; i < 3; ++i) {
    auto f = store_->BeginWrite("b", "alice");
    ASSERT_TRUE((*f)->Append(data[i].data(), data[i].size()).ok());
    std::string etag = HexEncode(s3::Md5::Of(data[i]));
    auto p = store_->CommitPart("b", "big", *id, i + 1, std::move(*f), etag, {});
    ASSERT_TRUE(p.ok()) << p.error().code;
    parts.push_back({i + 1, "\"" + etag + "\""});
  }
  EXPECT_EQ(store_->ListParts("b", "big", *id, "alice")->size(), 3u);
  EXPECT_EQ(store_->ListUploads("b", "alice", "")->size(), 1u);
  // Validation.
  std::vector<CompletedPart> reversed = {parts[1], parts[0]};
  EXPECT_EQ(store_->CompleteUpload("b", "big", *id, reversed, EtagMode::kMd5, "alice").error().code, "InvalidPartOrder");
  std::vector<CompletedPart> wrong = {parts[0], {2, "\"00000000000000000000000000000000\""}};
  EXPECT_EQ(store_->CompleteUpload("b", "big", *id, wrong, EtagMode::kMd5, "alice").error().code, "InvalidPart");
  EXPECT_EQ(store_->CompleteUpload("b", "other", *id, parts, EtagMode::kMd5, "alice").error().code, "NoSuchUpload");
  // Success: bytes in order, ETag = md5(concat(md5s))-3.
  auto done = store_->CompleteUpload("b", "big", *id, parts, EtagMode::kMd5, "alice");
  ASSERT_TRUE(done.ok()) << done.error().code;
  std::string concat;
  for (auto& d : data) concat += s3::Md5::Of(d);
  EXPECT_EQ(done->etag, HexEncode(s3::Md5::Of(concat)) + "-3");
  EXPECT_EQ(Read("b", "big"), "part-one-part-two-end");
  EXPECT_EQ(done->content_type, "text/csv");
  EXPECT_EQ(done->parts, 3);
  // Idempotent: completing again returns the same object; the upload is gone.
  auto again = store_->CompleteUpload("b", "big", *id, parts, EtagMode::kMd5, "alice");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->etag, done->etag);
  EXPECT_TRUE(store_->ListUploads("b", "alice", "")->empty());
  // Once the object changes, the old completion no longer answers.
  Put("b", "big", "replaced");
  EXPECT_EQ(store_->CompleteUpload("b", "big", *id, parts, EtagMode::kMd5, "alice").error().code, "NoSuchUpload");
}

TEST_F(ObjectStoreTest, MultipartTooSmallPartAndAbort) {
  Reopen(StoreOptions{});
  store_.reset();
  StoreOptions o;
  o.min_part_bytes = 100;
  auto s = ObjectStore::Open(dir_.string(), o);
  ASSERT_TRUE(s.ok());
  store_ = std::move(*s);
  ASSERT_TRUE(store_->CreateBucket("b", "alice", "").ok());
  ObjectMeta m;
  m.key = "k";
  m.owner = "alice";
  auto id = store_->CreateUpload("b", m);
  std::vector<CompletedPart> parts;
  for (int i = 1; i <= 2; ++i) {
    auto f = store_->BeginWrite("b", "alice");
    ASSERT_TRUE((*f)->Append("tiny", 4).ok());
    ASSERT_TRUE(store_->CommitPart("b", "k", *id, i, std::move(*f), "aa", {}).ok());
    parts.push_back({i, "aa"});
  }
  EXPECT_EQ(store_->CompleteUpload("b", "k", *id, parts, EtagMode::kMd5, "alice").error().code, "EntityTooSmall");
  EXPECT_TRUE(store_->AbortUpload("b", "k", *id, "alice").ok());
  EXPECT_EQ(store_->ListParts("b", "k", *id, "alice").error().code, "NoSuchUpload");
  EXPECT_EQ(store_->AbortUpload("b", "k", *id, "alice").code, "NoSuchUpload");
  EXPECT_EQ(store_->ListParts("b", "k", "../../etc", "alice").error().code, "NoSuchUpload");
}

TEST_F(ObjectStoreTest, CopyKeepsOrReplacesMetadata) {
  ASSERT_TRUE(store_->CreateBucket("b", "alice", "").ok());
  auto f = store_->BeginWrite("b", "alice");
  ASSERT_TRUE((*f)->Append("payload", 7).ok());
  ObjectMeta m;
  m.key = "src";
  m.etag = "e1";
  m.content_type = "text/plain";
  m.owner = "alice";
  ASSERT_TRUE(store_->CommitObject("b", std::move(*f), m).ok());
  ObjectMeta dst;
  dst.key = "dst";
  auto copied = store_->CopyObject("b", "src", "b", dst, false, "alice");
  ASSERT_TRUE(copied.ok());
  EXPECT_EQ(copied->content_type, "text/plain");
  EXPECT_EQ(copied->etag, "e1");
  EXPECT_EQ(Read("b", "dst"), "payload");
  dst.key = "dst2";
  dst.content_type = "application/json";
  auto replaced = store_->CopyObject("b", "src", "b", dst, true, "alice");
  ASSERT_TRUE(replaced.ok());
  EXPECT_EQ(replaced->content_type, "application/json");
  EXPECT_EQ(store_->CopyObject("b", "missing", "b", dst, false, "alice").error().code, "NoSuchKey");
}

TEST_F(ObjectStoreTest, KeysNeverNameFilesOutsideTheDirectory) {
  ASSERT_TRUE(store_->CreateBucket("b", "alice", "").ok());
  // The engine accepts any key (validation is the S3 layer's); files are named by hash.
  Put("b", "../../escape", "x");
  Put("b", "/abs/path", "y");
  EXPECT_FALSE(fs::exists(dir_.parent_path() / "escape"));
  size_t files = 0;
  for (auto& e : fs::recursive_directory_iterator(dir_)) {
    if (e.is_regular_file()) {
      ++files;
      EXPECT_EQ(e.path().string().rfind(dir_.string(), 0), 0u);
    }
  }
  EXPECT_GE(files, 2u);
  EXPECT_EQ(Read("b", "../../escape"), "x");
}

}  // namespace
}  // namespace faasnet::store
