#include "dataset/reviews.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "s3/checksum.h"

namespace faasnet::dataset {
namespace {

// RFC 4180 records: fields separated by ',', '"'-quoted fields may hold ','
// '\n' and doubled quotes. Returns false on a malformed record.
bool ParseCsv(std::string_view text, std::vector<std::vector<std::string>>* records) {
  std::vector<std::string> fields;
  std::string field;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '"') {
      ++i;
      for (;;) {
        if (i >= text.size()) return false;  // unterminated quote
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field += text[i++];
      }
      if (i < text.size() && text[i] != ',' && text[i] != '\n') return false;  // junk after a quote
    } else {
      while (i < text.size() && text[i] != ',' && text[i] != '\n') {
        if (text[i] == '"') return false;  // a bare quote in an unquoted field
        field += text[i++];
      }
    }
    fields.push_back(std::move(field));
    field.clear();
    if (i < text.size() && text[i] == '\n') {
      records->push_back(std::move(fields));
      fields.clear();
    }
    ++i;
  }
  return fields.empty();  // the text ends with '\n'
}

bool AllOf(std::string_view s, int (*pred)(int)) {
  for (char c : s)
    if (!pred(static_cast<unsigned char>(c))) return false;
  return !s.empty();
}

int IsUpperAlnum(int c) { return std::isdigit(c) || std::isupper(c); }

size_t Words(std::string_view s) {
  size_t n = 0;
  bool in = false;
  for (char c : s) {
    if (c == ' ') {
      in = false;
    } else if (!in) {
      in = true;
      ++n;
    }
  }
  return n;
}

TEST(ChunkLayoutTest, SplitsWithAShortLastChunk) {
  ChunkLayout l{1'000'000'000, 10'000'000};
  EXPECT_EQ(l.chunk_count(), 100u);
  EXPECT_EQ(l.ChunkSize(0), 10'000'000u);
  EXPECT_EQ(l.ChunkSize(99), 10'000'000u);
  EXPECT_EQ(l.ChunkSize(100), 0u);

  ChunkLayout s{25'000, 10'000};
  EXPECT_EQ(s.chunk_count(), 3u);
  EXPECT_EQ(s.ChunkSize(0), 10'000u);
  EXPECT_EQ(s.ChunkSize(2), 5'000u);
  EXPECT_EQ((ChunkLayout{5, 10}).chunk_count(), 1u);
  EXPECT_EQ((ChunkLayout{5, 10}).ChunkSize(0), 5u);
  EXPECT_EQ((ChunkLayout{0, 10}).chunk_count(), 0u);
  EXPECT_EQ((ChunkLayout{10, 0}).chunk_count(), 0u);
}

TEST(GenerateChunkTest, SameSeedAndIndexGiveTheSameBytes) {
  EXPECT_EQ(GenerateChunk(7, 3, 200'000), GenerateChunk(7, 3, 200'000));
  EXPECT_NE(GenerateChunk(7, 3, 200'000), GenerateChunk(8, 3, 200'000));
  EXPECT_NE(GenerateChunk(7, 3, 200'000), GenerateChunk(7, 4, 200'000));
}

// Pins the generator's output: a change here changes every data set (bump
// kGeneratorName in dataset/manifest.h) or is a portability bug.
TEST(GenerateChunkTest, OutputIsPinned) {
  const std::string c = GenerateChunk(1, 0, 100'000);
  EXPECT_EQ(c.substr(0, kCsvHeader.size()), kCsvHeader);
  EXPECT_EQ(s3::Sha256Hex(c), "6d46795b8d430c202cd96cffdd464e51e477821406334887889ec3915802a6e7") << c.substr(0, 600);
}

TEST(GenerateChunkTest, FillsExactlyTheRequestedSize) {
  for (uint64_t size : {0ull, 1ull, 50ull, 103ull, 104ull, 300ull, 615ull, 616ull, 617ull, 1000ull, 4999ull, 5100ull,
                        5113ull, 5114ull, 9999ull, 10'000ull, 123'457ull, 1'000'003ull}) {
    SCOPED_TRACE(size);
    const std::string c = GenerateChunk(42, 9, size);
    ASSERT_EQ(c.size(), size);
    EXPECT_EQ(c.find('\0'), std::string::npos);
    EXPECT_EQ(c.substr(0, std::min<size_t>(size, kCsvHeader.size())), kCsvHeader.substr(0, size));
    if (size >= kMinValidChunkBytes) {
      EXPECT_EQ(c.back(), '\n');
      std::vector<std::vector<std::string>> records;
      ASSERT_TRUE(ParseCsv(c, &records));
      for (const auto& r : records) ASSERT_EQ(r.size(), 10u);
    }
  }
}

TEST(GenerateChunkTest, SpanAndStringFormsAgree) {
  std::string buf(77'777, 'x');
  GenerateChunk(5, 2, std::span<char>(buf.data(), buf.size()));
  EXPECT_EQ(buf, GenerateChunk(5, 2, 77'777));
}

TEST(GenerateChunkTest, RecordsHaveTheReviewShape) {
  constexpr uint64_t kSize = 3'000'000;
  const std::string c = GenerateChunk(1, 12, kSize);
  std::vector<std::vector<std::string>> records;
  ASSERT_TRUE(ParseCsv(c, &records));
  ASSERT_GT(records.size(), 1000u);
  EXPECT_EQ(records[0], (std::vector<std::string>{"Id", "ProductId", "UserId", "ProfileName", "HelpfulnessNumerator",
                                                  "HelpfulnessDenominator", "Score", "Time", "Summary", "Text"}));
  int scores[6] = {};
  uint64_t prev_id = 0;
  size_t quoted_profiles = 0, comma_texts = 0;
  for (size_t i = 1; i < records.size(); ++i) {
    const auto& r = records[i];
    SCOPED_TRACE(r[0]);
    ASSERT_EQ(r.size(), 10u);
    const uint64_t id = std::stoull(r[0]);
    EXPECT_EQ(id, i == 1 ? 12 * 100'000'000ull + 1 : prev_id + 1);
    prev_id = id;
    EXPECT_EQ(r[1].size(), 10u);
    EXPECT_TRUE(r[1].starts_with("B00") && AllOf(r[1], IsUpperAlnum)) << r[1];
    EXPECT_EQ(r[2].size(), 14u);
    EXPECT_TRUE(r[2][0] == 'A' && AllOf(r[2], IsUpperAlnum)) << r[2];
    EXPECT_FALSE(r[3].empty());
    if (r[3].find_first_of(",\"") != std::string::npos) ++quoted_profiles;
    const int num = std::stoi(r[4]), den = std::stoi(r[5]);
    EXPECT_LE(num, den);
    EXPECT_GE(num, 0);
    const int score = std::stoi(r[6]);
    ASSERT_TRUE(score >= 1 && score <= 5);
    ++scores[score];
    const uint64_t t = std::stoull(r[7]);
    EXPECT_GE(t, 946684800u);   // 2000-01-01
    EXPECT_LT(t, 1356998400u);  // 2013-01-01
    EXPECT_EQ(t % 86400, 0u);
    const size_t summary_words = Words(r[8]);
    EXPECT_TRUE(summary_words >= 1 && summary_words <= 6) << r[8];
    EXPECT_TRUE(std::isupper(static_cast<unsigned char>(r[8][0]))) << r[8];
    if (i + 1 < records.size()) {  // the last record's Text is cut to fit
      const size_t words = Words(r[9]);
      EXPECT_TRUE(words >= 20 && words <= 200) << words;
    }
    EXPECT_TRUE(r[9].back() == '.' || r[9].back() == '!') << r[9];
    if (r[9].find(',') != std::string::npos) ++comma_texts;
  }
  // Weighted like the original: fives dominate, every score occurs.
  EXPECT_GT(scores[5], scores[4] * 3);
  for (int s = 1; s <= 5; ++s) EXPECT_GT(scores[s], 0);
  EXPECT_GT(quoted_profiles, 0u);
  EXPECT_GT(comma_texts, records.size() / 2);
}

TEST(GenerateChunkTest, RecordsStayWithinTheDocumentedBound) {
  const std::string c = GenerateChunk(3, 0, 20'000'000);
  std::vector<size_t> lengths;
  size_t start = 0;
  bool quoted = false;
  for (size_t i = 0; i < c.size(); ++i) {
    if (c[i] == '"') quoted = !quoted;
    if (c[i] == '\n' && !quoted) {
      lengths.push_back(i + 1 - start);
      start = i + 1;
    }
  }
  ASSERT_EQ(start, c.size());
  ASSERT_GT(lengths.size(), 2u);
  // Whole records (the header aside) stay under kMaxRecordBytes; the final
  // record, which fills the tail, under kMaxRecordBytes + kMinTailBytes.
  const size_t longest = *std::max_element(lengths.begin() + 1, lengths.end() - 1);
  EXPECT_LT(longest, kMaxRecordBytes);
  EXPECT_GT(longest, 1000u);
  EXPECT_LT(lengths.back(), kMaxRecordBytes + kMinTailBytes);
  EXPECT_GE(lengths.back(), kMinTailBytes);
}

TEST(GenerateChunkTest, ProductsAndUsersRepeatAcrossRecords) {
  const std::string c = GenerateChunk(1, 0, 20'000'000);
  std::vector<std::vector<std::string>> records;
  ASSERT_TRUE(ParseCsv(c, &records));
  std::map<std::string, int> products;
  for (size_t i = 1; i < records.size(); ++i) ++products[records[i][1]];
  // ~30k records over a 74,258-product pool: many repeats, far fewer distinct ids.
  EXPECT_LT(products.size(), records.size() - 1);
  EXPECT_LE(products.size(), 74'258u);
}

}  // namespace
}  // namespace faasnet::dataset
