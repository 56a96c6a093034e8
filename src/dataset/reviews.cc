#include "dataset/reviews.h"

#include <array>
#include <cassert>
#include <charconv>
#include <cstring>

namespace faasnet::dataset {
namespace {

// ---- PRNG: splitmix64 to seed, xoshiro256** to draw (both public domain,
// Blackman & Vigna). Only integer arithmetic, so results are portable.

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t Mix64(uint64_t x) { return SplitMix64(x); }

inline uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

class Rng {
 public:
  Rng(uint64_t seed, uint64_t stream) {
    uint64_t sm = Mix64(seed) ^ Mix64(stream ^ 0x632BE59BD9B4E019ull);
    for (auto& w : s_) w = SplitMix64(sm);
  }
  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

 private:
  uint64_t s_[4];
};

// A value in [0, n) from 32 random bits (Lemire's multiply-shift; no modulo
// bias worth caring about for text, and fully deterministic).
inline uint32_t Below(uint32_t bits32, uint32_t n) {
  return static_cast<uint32_t>((static_cast<uint64_t>(bits32) * n) >> 32);
}

// ---- Vocabulary. Content words fill half of the draw table, function words
// (weighted by repetition) the other half, which gives text roughly the
// word-frequency skew of real English. No word is longer than kMaxWordLen.

constexpr size_t kMaxWordLen = 14;

constexpr std::string_view kContentWords[] = {
    "taste",
    "flavor",
    "product",
    "coffee",
    "tea",
    "chocolate",
    "price",
    "amazon",
    "box",
    "bag",
    "package",
    "order",
    "ordered",
    "store",
    "brand",
    "food",
    "dog",
    "dogs",
    "cat",
    "cats",
    "treats",
    "treat",
    "snack",
    "snacks",
    "cookies",
    "candy",
    "sugar",
    "salt",
    "sweet",
    "salty",
    "bitter",
    "spicy",
    "sauce",
    "mix",
    "cup",
    "cups",
    "water",
    "milk",
    "butter",
    "peanut",
    "almond",
    "honey",
    "vanilla",
    "organic",
    "healthy",
    "natural",
    "fresh",
    "stale",
    "delicious",
    "tasty",
    "great",
    "good",
    "best",
    "better",
    "love",
    "loved",
    "loves",
    "like",
    "liked",
    "favorite",
    "excellent",
    "perfect",
    "wonderful",
    "amazing",
    "awful",
    "terrible",
    "bad",
    "worst",
    "disappointed",
    "disappointing",
    "recommend",
    "recommended",
    "recommendation",
    "quality",
    "ingredients",
    "ingredient",
    "calories",
    "protein",
    "gluten",
    "free",
    "diet",
    "breakfast",
    "lunch",
    "dinner",
    "morning",
    "kids",
    "family",
    "husband",
    "wife",
    "son",
    "daughter",
    "friends",
    "office",
    "kitchen",
    "grocery",
    "shipping",
    "arrived",
    "delivery",
    "subscribe",
    "subscription",
    "deal",
    "money",
    "value",
    "cheaper",
    "expensive",
    "bought",
    "buy",
    "buying",
    "try",
    "tried",
    "trying",
    "eat",
    "eating",
    "ate",
    "drink",
    "drinking",
    "brew",
    "brewed",
    "roast",
    "dark",
    "light",
    "medium",
    "strong",
    "smooth",
    "rich",
    "creamy",
    "crunchy",
    "chewy",
    "soft",
    "hard",
    "texture",
    "smell",
    "aroma",
    "bold",
    "mild",
    "fruit",
    "fruity",
    "berry",
    "cherry",
    "lemon",
    "orange",
    "apple",
    "banana",
    "coconut",
    "cinnamon",
    "ginger",
    "pepper",
    "garlic",
    "onion",
    "cheese",
    "bread",
    "pasta",
    "rice",
    "cereal",
    "oatmeal",
    "granola",
    "bar",
    "bars",
    "chips",
    "crackers",
    "popcorn",
    "nuts",
    "jerky",
    "soup",
    "noodles",
    "beans",
    "olive",
    "oil",
    "vinegar",
    "syrup",
    "maple",
    "juice",
    "soda",
    "energy",
    "caffeine",
    "decaf",
    "espresso",
    "latte",
    "green",
    "black",
    "herbal",
    "chai",
    "baby",
    "formula",
    "puppy",
    "kitten",
    "vet",
    "allergies",
    "stomach",
    "bottle",
    "can",
    "cans",
    "jar",
    "pack",
    "pouch",
    "size",
    "small",
    "large",
    "little",
    "big",
    "pound",
    "ounce",
    "ounces",
    "serving",
    "servings",
    "daily",
    "week",
    "weeks",
    "month",
    "months",
    "year",
    "years",
    "time",
    "times",
    "day",
    "days",
    "first",
    "second",
    "again",
    "always",
    "never",
    "really",
    "pretty",
    "quite",
    "too",
    "much",
    "more",
    "less",
    "enough",
    "definitely",
    "absolutely",
    "unfortunately",
    "actually",
    "especially",
    "particularly",
    "probably",
    "maybe",
    "however",
    "although",
    "because",
    "instead",
    "overall",
    "anyway",
    "recipe",
    "cooking",
    "baking",
    "microwave",
    "hot",
    "cold",
    "warm",
    "iced",
    "frozen",
    "flavored",
    "flavors",
    "sweetener",
    "artificial",
    "aftertaste",
    "consistency",
    "convenient",
    "packaging",
    "manufacturer",
    "company",
    "customer",
    "service",
    "review",
    "reviews",
    "stars",
    "star",
    "five",
    "four",
    "three",
    "two",
    "one",
    "expected",
    "expectations",
    "surprised",
    "happy",
    "pleased",
    "satisfied",
    "enjoy",
    "enjoyed",
    "addicted",
    "craving",
    "hungry",
    "full",
    "snacking",
    "local",
    "supermarket",
    "available",
    "find",
    "found",
    "online",
    "shelf",
    "expiration",
    "date",
    "broken",
    "damaged",
    "opened",
    "sealed",
    "smells",
    "tastes",
    "flavorful",
    "bland",
    "weak",
    "overpowering",
    "subtle",
    "balanced",
};

constexpr std::string_view kFunctionWords[] = {
    "the",  "the",  "the",   "the",   "and",   "and",   "and",    "I",     "I",       "I",    "a",
    "a",    "a",    "to",    "to",    "to",    "it",    "it",     "it",    "of",      "of",   "is",
    "is",   "this", "this",  "for",   "for",   "in",    "in",     "my",    "my",      "that", "that",
    "but",  "but",  "was",   "was",   "not",   "not",   "with",   "with",  "have",    "you",  "are",
    "they", "so",   "as",    "on",    "be",    "these", "at",     "or",    "just",    "very", "all",
    "one",  "them", "would", "if",    "had",   "we",    "will",   "can",   "from",    "than", "an",
    "has",  "get",  "out",   "some",  "no",    "other", "when",   "which", "there",   "what", "up",
    "only", "also", "it's",  "don't", "I've",  "I'm",   "didn't", "can't", "doesn't", "she",  "he",
    "her",  "his",  "our",   "their", "about", "after", "before", "into",  "over",
};

constexpr size_t kDrawSize = 1024;     // text draws 10 bits
constexpr size_t kContentSlots = 512;  // summaries draw 9 bits: content only

// Slots are 16 bytes so a word is copied with one fixed-size memcpy (one SSE
// store) and the cursor advances by its length; the spare bytes are
// overwritten by what follows.
struct Tables {
  alignas(16) char lower[kDrawSize][16];
  alignas(16) char capital[kDrawSize][16];
  uint8_t len[kDrawSize];
  uint8_t score[256];
  uint8_t helpful_den[256];

  Tables() {
    std::memset(lower, 0, sizeof lower);
    std::memset(capital, 0, sizeof capital);
    constexpr size_t kNc = std::size(kContentWords), kNf = std::size(kFunctionWords);
    for (size_t i = 0; i < kDrawSize; ++i) {
      std::string_view w = i < kContentSlots ? kContentWords[i % kNc] : kFunctionWords[(i - kContentSlots) % kNf];
      assert(w.size() <= kMaxWordLen);
      std::memcpy(lower[i], w.data(), w.size());
      std::memcpy(capital[i], w.data(), w.size());
      if (capital[i][0] >= 'a' && capital[i][0] <= 'z') capital[i][0] -= 'a' - 'A';
      len[i] = static_cast<uint8_t>(w.size());
    }
    // Score weights of the original file: 5: 64%, 4: 14%, 3: 7.5%, 2: 5%, 1: 9%.
    size_t k = 0;
    for (auto [value, count] : {std::pair{5, 164}, {4, 36}, {3, 19}, {2, 13}, {1, 24}})
      for (int j = 0; j < count; ++j) score[k++] = static_cast<uint8_t>(value);
    assert(k == 256);
    // Helpfulness denominators: most reviews have no votes, a few have many.
    k = 0;
    for (auto [value, count] : {std::pair{0, 128},
                                {1, 48},
                                {2, 24},
                                {3, 16},
                                {4, 10},
                                {5, 8},
                                {6, 3},
                                {7, 3},
                                {8, 3},
                                {9, 3},
                                {10, 3},
                                {12, 1},
                                {15, 1},
                                {20, 1},
                                {30, 1},
                                {50, 1},
                                {80, 1},
                                {120, 1}})
      for (int j = 0; j < count; ++j) helpful_den[k++] = static_cast<uint8_t>(value);
    assert(k == 256);
  }
};

const Tables& T() {
  static const Tables tables;
  return tables;
}

constexpr std::string_view kFirstNames[] = {
    "Karen",    "John",    "Mary",     "Michael", "Linda",     "David",  "Susan",     "James",  "Lisa",   "Robert",
    "Jennifer", "William", "Patricia", "Richard", "Barbara",   "Thomas", "Nancy",     "Daniel", "Sandra", "Mark",
    "Donna",    "Steven",  "Carol",    "Paul",    "Michelle",  "Brian",  "Laura",     "Kevin",  "Amy",    "Jason",
    "Angela",   "Jeff",    "Melissa",  "Chris",   "Rebecca",   "Eric",   "Stephanie", "Scott",  "Kathy",  "Gary",
    "Julie",    "Ryan",    "Heather",  "Matt",    "Sarah",     "Andrew", "Emily",     "Joshua", "Rachel", "Tim",
    "Anna",     "Greg",    "Nicole",   "Peter",   "Christine", "Jim",    "Natalia",   "Dave",   "Kim",    "Tom",
    "Debbie",   "Ben",     "Ellen",    "Sam",
};
constexpr std::string_view kLastNames[] = {
    "Smith",   "Johnson",    "Williams", "Brown",   "Jones",   "Miller",   "Davis",    "Garcia", "Wilson",  "Anderson",
    "Taylor",  "Thomas",     "Moore",    "Martin",  "Jackson", "White",    "Harris",   "Clark",  "Lewis",   "Robinson",
    "Walker",  "Young",      "Allen",    "King",    "Wright",  "Scott",    "Hill",     "Green",  "Adams",   "Baker",
    "Nelson",  "Carter",     "Mitchell", "Roberts", "Turner",  "Phillips", "Campbell", "Parker", "Evans",   "Edwards",
    "Collins", "Stewart",    "Morris",   "Rogers",  "Reed",    "Cook",     "Morgan",   "Bell",   "Murphy",  "Bailey",
    "Cooper",  "Richardson", "Cox",      "Howard",  "Ward",    "Torres",   "Peterson", "Gray",   "Ramirez", "James",
    "Watson",  "Brooks",     "Kelly",    "Corres",
};
constexpr std::string_view kNicknames[] = {
    "Foodie", "Coffee Lover", "Mom of 3", "Chef", "Dog Mom", "Tea Snob", "Bargain Hunter", "Health Nut",
};

// Filler words of every length 1..12, used to make the final record's Text
// exactly as long as the chunk needs.
constexpr std::string_view kFiller[] = {
    "",        "a",        "so",        "yum",        "good",        "tasty",        "flavor",
    "healthy", "products", "delicious", "absolutely", "ingredients", "particularly",
};
constexpr size_t kMaxFiller = 12;

constexpr uint32_t kProducts = 74258;  // distinct products in the original
constexpr uint32_t kUsers = 256059;    // distinct users in the original
constexpr uint64_t kIdStride = 100'000'000;
constexpr uint32_t kFirstDay = 946684800 / 86400;  // 2000-01-01
constexpr uint32_t kDays = 4749;                   // through 2012-12-31

constexpr char kBase36[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

inline char* Put(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

inline char* PutUint(char* p, uint64_t v) { return std::to_chars(p, p + 20, v).ptr; }

inline char* PutBase36(char* p, uint64_t h, int n) {
  for (int i = 0; i < n; ++i, h /= 36) *p++ = kBase36[h % 36];
  return p;
}

// Per-word and per-record writers. They write past the returned cursor (word
// slots are copied whole), so the caller keeps 16 spare bytes after the
// longest possible output.
class Writer {
 public:
  Writer(uint64_t seed, uint64_t chunk_index)
      : rng_(seed, chunk_index), seed_(seed), id_base_(chunk_index * kIdStride) {}

  // Writes one whole record and its '\n'.
  char* Record(char* p) {
    p = Fields(p);
    uint64_t r = rng_.Next();
    // Word count 20..200, the minimum of two uniforms: short reviews are common.
    uint32_t a = Below(static_cast<uint32_t>(r), 181), b = Below(static_cast<uint32_t>(r >> 32), 181);
    int words = 20 + static_cast<int>(a < b ? a : b);
    *p++ = '"';
    int sentence_left = 0;
    for (int w = 0; w < words; ++w) p = Word(p, sentence_left, w + 1 == words);
    *p++ = '"';
    *p++ = '\n';
    return p;
  }

  // The fixed fields of a record, through the comma before Text.
  char* Fields(char* p) {
    const Tables& t = T();
    p = PutUint(p, id_base_ + ++records_);
    *p++ = ',';
    uint64_t r = rng_.Next();
    const uint64_t product = Mix64(Below(static_cast<uint32_t>(r), kProducts) ^ (seed_ << 20));
    p = Put(p, "B00");
    p = PutBase36(p, product, 7);
    *p++ = ',';
    const uint64_t user = Below(static_cast<uint32_t>(r >> 32), kUsers) ^ (seed_ << 24);
    const uint64_t uh1 = Mix64(user), uh2 = Mix64(user + 0x51ED270B27F0A3C5ull);
    *p++ = 'A';
    p = PutBase36(p, uh1, 7);
    p = PutBase36(p, uh2, 6);
    *p++ = ',';
    p = ProfileName(p, uh2 >> 32);
    *p++ = ',';

    r = rng_.Next();
    const uint32_t den = t.helpful_den[r & 0xff];
    uint32_t num = 0;
    if (den > 0) num = ((r >> 8) & 3) != 0 ? den : Below(static_cast<uint32_t>(r >> 32), den + 1);
    p = PutUint(p, num);
    *p++ = ',';
    p = PutUint(p, den);
    *p++ = ',';
    *p++ = static_cast<char>('0' + t.score[(r >> 16) & 0xff]);
    *p++ = ',';
    r = rng_.Next();
    p = PutUint(p, (kFirstDay + uint64_t{Below(static_cast<uint32_t>(r), kDays)}) * 86400);
    *p++ = ',';
    p = Summary(p, r >> 32);
    *p++ = ',';
    return p;
  }

  // Exactly `n` >= 3 bytes: a quoted Text whose sentence ends in '.' where
  // it must stop.
  char* TextExact(char* p, size_t n) {
    char* const end = p + n - 1;  // the closing quote goes there
    *p++ = '"';
    int sentence_left = 0;
    // One word writes at most kMaxStep bytes.
    constexpr size_t kMaxStep = kMaxWordLen + 4 + 2;
    while (static_cast<size_t>(end - p) > kMaxStep) p = Word(p, sentence_left, false);
    size_t rem = end - p;  // 0..kMaxStep: filler words then '.'
    if (rem > 0) {
      while (rem - 1 > kMaxFiller) {
        p = Put(p, "flavor ");
        rem -= 7;
      }
      p = Put(p, kFiller[rem - 1]);
      *p++ = '.';
    }
    *p++ = '"';
    return p;
  }

 private:
  // One word of Text and what follows it: a space, ", ", or a sentence end.
  char* Word(char* p, int& sentence_left, bool last) {
    const Tables& t = T();
    const uint64_t r = rng_.Next();
    const size_t idx = r >> 54;
    const char* src = t.lower[idx];
    if (sentence_left == 0) {
      sentence_left = 4 + static_cast<int>(r & 15);
      src = t.capital[idx];
    }
    const bool quoted = ((r >> 8) & 255) == 0;  // an ""emphasised"" word, now and then
    if (quoted) p = Put(p, "\"\"");
    std::memcpy(p, src, 16);
    p += t.len[idx];
    if (quoted) p = Put(p, "\"\"");
    if (last) {
      *p++ = ((r >> 16) & 7) == 0 ? '!' : '.';
    } else if (--sentence_left == 0) {
      *p++ = ((r >> 16) & 7) == 0 ? '!' : '.';
      *p++ = ' ';
    } else if (((r >> 20) & 15) == 0) {
      *p++ = ',';
      *p++ = ' ';
    } else {
      *p++ = ' ';
    }
    return p;
  }

  // 1-6 title-cased content words; 1 in 16 has a comma and so is quoted.
  char* Summary(char* p, uint64_t r) {
    const Tables& t = T();
    const int words = 1 + static_cast<int>(Below(static_cast<uint32_t>(r), 6));
    const uint64_t w = rng_.Next();  // bits 0..53: six 9-bit word indices
    const bool comma = words >= 2 && ((w >> 58) & 15) == 0;
    if (comma) *p++ = '"';
    for (int i = 0; i < words; ++i) {
      const size_t idx = (w >> (i * 9)) & (kContentSlots - 1);
      if (i > 0) {
        if (comma && i == 1) *p++ = ',';
        *p++ = ' ';
      }
      std::memcpy(p, t.capital[idx], 16);
      p += t.len[idx];
    }
    if (((w >> 54) & 15) == 0) *p++ = '!';
    if (comma) *p++ = '"';
    return p;
  }

  // A user's profile name: a pure function of the user (so repeats match).
  static char* ProfileName(char* p, uint64_t h) {
    std::string_view first = kFirstNames[h & 63], last = kLastNames[(h >> 6) & 63];
    switch ((h >> 12) & 7) {
      case 0:
      case 1:
      case 2:
        p = Put(p, first);
        *p++ = ' ';
        return Put(p, last);
      case 3:
        return Put(p, first);
      case 4:  // Natalia Corres "Natalia Corres" style: quotes doubled inside a quoted field
        *p++ = '"';
        p = Put(p, first);
        *p++ = ' ';
        p = Put(p, last);
        p = Put(p, " \"\"");
        p = Put(p, kNicknames[(h >> 16) & 7]);
        return Put(p, "\"\"\"");
      case 5:  // "Last, First": a comma, so quoted
        *p++ = '"';
        p = Put(p, last);
        p = Put(p, ", ");
        p = Put(p, first);
        *p++ = '"';
        return p;
      case 6: {  // a handle: lower-case first name and two digits
        char* s = p;
        p = Put(p, first);
        *s = static_cast<char>(*s - 'A' + 'a');
        *p++ = static_cast<char>('0' + (h >> 16) % 10);
        *p++ = static_cast<char>('0' + (h >> 20) % 10);
        return p;
      }
      default:
        p = Put(p, first);
        *p++ = ' ';
        *p++ = last[0];
        *p++ = '.';
        return p;
    }
  }

  Rng rng_;
  uint64_t seed_;
  uint64_t id_base_;
  uint64_t records_ = 0;
};

}  // namespace

uint64_t ChunkLayout::chunk_count() const {
  if (total_bytes == 0 || chunk_bytes == 0) return 0;
  return (total_bytes + chunk_bytes - 1) / chunk_bytes;
}

uint64_t ChunkLayout::ChunkSize(uint64_t index) const {
  if (index >= chunk_count()) return 0;
  const uint64_t start = index * chunk_bytes;
  return total_bytes - start < chunk_bytes ? total_bytes - start : chunk_bytes;
}

void GenerateChunk(uint64_t seed, uint64_t index, std::span<char> out) {
  char* p = out.data();
  char* const end = p + out.size();
  if (out.size() < kCsvHeader.size()) {
    std::memcpy(p, kCsvHeader.data(), out.size());
    return;
  }
  p = Put(p, kCsvHeader);
  Writer writer(seed, index);
  // Whole records straight into the output while the longest one (plus its
  // 16-byte over-copy, well inside kMinTailBytes) surely fits.
  while (static_cast<size_t>(end - p) >= kMaxRecordBytes + kMinTailBytes) p = writer.Record(p);

  // The final record, built in scratch space so over-copies stay inside it.
  const size_t rem = end - p;
  if (rem == 0) return;
  std::array<char, kMaxRecordBytes + kMinTailBytes + 64> scratch;
  char* s = writer.Fields(scratch.data());
  const size_t fields = s - scratch.data();
  if (rem >= fields + 4) {
    s = writer.TextExact(s, rem - fields - 1);
    *s++ = '\n';
    assert(static_cast<size_t>(s - scratch.data()) == rem);
  } else {
    // Too small for a valid record (only a tiny last chunk): truncate.
    s = writer.TextExact(s, 3);
  }
  std::memcpy(p, scratch.data(), rem);
}

std::string GenerateChunk(uint64_t seed, uint64_t index, uint64_t size) {
  std::string out(size, '\0');
  GenerateChunk(seed, index, std::span<char>(out.data(), out.size()));
  return out;
}

}  // namespace faasnet::dataset
