#include "s3/conditional.h"

#include <cstdio>

#include "base/strings.h"

namespace faasnet::s3 {

namespace {

using std::chrono::days;
using std::chrono::seconds;
using std::chrono::sys_days;
using std::chrono::year_month_day;

constexpr std::string_view kShortDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::string_view kLongDays[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

struct Civil {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
};

Civil ToCivil(TimePoint t) {
  auto secs = std::chrono::floor<seconds>(t);
  auto d = std::chrono::floor<days>(secs);
  year_month_day ymd(d);
  std::chrono::hh_mm_ss hms(secs - d);
  return {static_cast<int>(ymd.year()),
          static_cast<int>(static_cast<unsigned>(ymd.month())),
          static_cast<int>(static_cast<unsigned>(ymd.day())),
          static_cast<int>(hms.hours().count()),
          static_cast<int>(hms.minutes().count()),
          static_cast<int>(hms.seconds().count())};
}

std::optional<TimePoint> FromCivil(const Civil& c) {
  year_month_day ymd{std::chrono::year(c.year), std::chrono::month(static_cast<unsigned>(c.month)),
                     std::chrono::day(static_cast<unsigned>(c.day))};
  if (!ymd.ok() || c.hour > 23 || c.minute > 59 || c.second > 60) return std::nullopt;
  return sys_days(ymd) + std::chrono::hours(c.hour) + std::chrono::minutes(c.minute) + seconds(c.second);
}

// A cursor over the text; every Take* consumes on success only.
class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  bool Done() const { return s_.empty(); }
  bool Take(std::string_view lit) {
    if (!s_.starts_with(lit)) return false;
    s_.remove_prefix(lit.size());
    return true;
  }
  // Exactly `n` digits (or 1..n when `n_min` < n).
  bool Digits(size_t n_min, size_t n, int* out) {
    size_t i = 0;
    int v = 0;
    while (i < n && i < s_.size() && s_[i] >= '0' && s_[i] <= '9') v = v * 10 + (s_[i++] - '0');
    if (i < n_min) return false;
    s_.remove_prefix(i);
    *out = v;
    return true;
  }
  bool Month(int* out) {
    for (int m = 0; m < 12; ++m) {
      if (Take(kMonths[m])) return *out = m + 1, true;
    }
    return false;
  }
  bool Time(Civil* c) {
    return Digits(2, 2, &c->hour) && Take(":") && Digits(2, 2, &c->minute) && Take(":") && Digits(2, 2, &c->second);
  }
  bool Zone() { return Take("GMT") || Take("UTC"); }
  // 1..9 fractional-second digits, scaled to nanoseconds.
  bool Fraction(int64_t* nanos) {
    size_t n = 0;
    int64_t v = 0;
    while (n < 9 && n < s_.size() && s_[n] >= '0' && s_[n] <= '9') v = v * 10 + (s_[n++] - '0');
    if (n == 0) return false;
    s_.remove_prefix(n);
    for (size_t i = n; i < 9; ++i) v *= 10;
    *nanos = v;
    return true;
  }

 private:
  std::string_view s_;
};

// "Sun, 06 Nov 1994 08:49:37 GMT"
std::optional<TimePoint> ParseImfFixdate(std::string_view s) {
  Cursor c(s);
  Civil v;
  bool day_name = false;
  for (auto d : kShortDays) day_name = day_name || c.Take(d);
  if (!day_name || !c.Take(", ") || !c.Digits(2, 2, &v.day) || !c.Take(" ") || !c.Month(&v.month) || !c.Take(" ") ||
      !c.Digits(4, 4, &v.year) || !c.Take(" ") || !c.Time(&v) || !c.Take(" ") || !c.Zone() || !c.Done()) {
    return std::nullopt;
  }
  return FromCivil(v);
}

// "Sunday, 06-Nov-94 08:49:37 GMT"
std::optional<TimePoint> ParseRfc850(std::string_view s) {
  Cursor c(s);
  Civil v;
  bool day_name = false;
  for (auto d : kLongDays) day_name = day_name || c.Take(d);
  if (!day_name || !c.Take(", ") || !c.Digits(2, 2, &v.day) || !c.Take("-") || !c.Month(&v.month) || !c.Take("-") ||
      !c.Digits(2, 2, &v.year) || !c.Take(" ") || !c.Time(&v) || !c.Take(" ") || !c.Zone() || !c.Done()) {
    return std::nullopt;
  }
  v.year += v.year >= 70 ? 1900 : 2000;
  return FromCivil(v);
}

// "Sun Nov  6 08:49:37 1994"
std::optional<TimePoint> ParseAsctime(std::string_view s) {
  Cursor c(s);
  Civil v;
  bool day_name = false;
  for (auto d : kShortDays) day_name = day_name || c.Take(d);
  if (!day_name || !c.Take(" ") || !c.Month(&v.month) || !c.Take(" ")) return std::nullopt;
  c.Take(" ");  // space-padded day
  if (!c.Digits(1, 2, &v.day) || !c.Take(" ") || !c.Time(&v) || !c.Take(" ") || !c.Digits(4, 4, &v.year) || !c.Done()) {
    return std::nullopt;
  }
  return FromCivil(v);
}

std::string_view Unquote(std::string_view etag) {
  etag = Trim(etag);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return etag;
}

bool ModifiedAfter(TimePoint last_modified, TimePoint since) {
  return std::chrono::floor<seconds>(last_modified) > std::chrono::floor<seconds>(since);
}

Preconditions Read(HeaderSpan headers, std::string_view prefix) {
  auto get = [&](std::string_view name) { return FindHeader(headers, std::string(prefix) + std::string(name)); };
  auto date = [&](std::string_view name) -> std::optional<TimePoint> {
    auto v = get(name);
    return v ? ParseHttpDate(Trim(*v)) : std::nullopt;
  };
  Preconditions p;
  p.if_match = get("if-match");
  p.if_none_match = get("if-none-match");
  p.if_modified_since = date("if-modified-since");
  p.if_unmodified_since = date("if-unmodified-since");
  return p;
}

}  // namespace

std::string FormatHttpDate(TimePoint t) {
  Civil c = ToCivil(t);
  auto weekday = std::chrono::weekday(std::chrono::floor<days>(t)).c_encoding();
  char buf[40];
  snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT", kShortDays[weekday].data(), c.day,
           kMonths[c.month - 1].data(), c.year, c.hour, c.minute, c.second);
  return buf;
}

std::optional<TimePoint> ParseHttpDate(std::string_view text) {
  if (auto t = ParseImfFixdate(text)) return t;
  if (auto t = ParseRfc850(text)) return t;
  return ParseAsctime(text);
}

std::string FormatIso8601(TimePoint t) {
  Civil c = ToCivil(t);
  auto ms = std::chrono::floor<std::chrono::milliseconds>(t) - std::chrono::floor<seconds>(t);
  char buf[40];
  snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", c.year, c.month, c.day, c.hour, c.minute, c.second,
           static_cast<int>(ms.count()));
  return buf;
}

std::optional<TimePoint> ParseIso8601(std::string_view text) {
  Cursor c(text);
  Civil v;
  if (!c.Digits(4, 4, &v.year) || !c.Take("-") || !c.Digits(2, 2, &v.month) || !c.Take("-") ||
      !c.Digits(2, 2, &v.day) || !c.Take("T") || !c.Time(&v)) {
    return std::nullopt;
  }
  int64_t nanos = 0;
  if (c.Take(".") && !c.Fraction(&nanos)) return std::nullopt;
  if (!c.Take("Z") || !c.Done()) return std::nullopt;
  auto t = FromCivil(v);
  if (!t) return std::nullopt;
  return *t + std::chrono::duration_cast<TimePoint::duration>(std::chrono::nanoseconds(nanos));
}

bool EtagListMatches(std::string_view header, std::string_view etag, bool weak) {
  etag = Unquote(etag);
  if (Trim(header) == "*") return true;
  for (std::string_view item : Split(header, ',')) {
    item = Trim(item);
    bool is_weak = item.starts_with("W/");
    if (is_weak) {
      if (!weak) continue;
      item.remove_prefix(2);
    }
    if (!item.empty() && Unquote(item) == etag) return true;
  }
  return false;
}

Preconditions ReadPreconditions(HeaderSpan headers) { return Read(headers, ""); }
Preconditions ReadCopySourcePreconditions(HeaderSpan headers) { return Read(headers, "x-amz-copy-source-"); }

S3Error EvaluatePreconditions(const Preconditions& p, std::string_view etag, TimePoint last_modified,
                              bool get_or_head) {
  if (p.if_match) {
    if (!EtagListMatches(*p.if_match, etag, /*weak=*/false)) return S3Error::PreconditionFailed();
  } else if (p.if_unmodified_since && ModifiedAfter(last_modified, *p.if_unmodified_since)) {
    return S3Error::PreconditionFailed();
  }
  if (p.if_none_match) {
    if (EtagListMatches(*p.if_none_match, etag, /*weak=*/true)) {
      return get_or_head ? S3Error::NotModified() : S3Error::PreconditionFailed();
    }
  } else if (get_or_head && p.if_modified_since && !ModifiedAfter(last_modified, *p.if_modified_since)) {
    return S3Error::NotModified();
  }
  return S3Error::Ok();
}

S3Error EvaluateCopySourcePreconditions(const Preconditions& p, std::string_view etag, TimePoint last_modified) {
  S3Error e = EvaluatePreconditions(p, etag, last_modified, /*get_or_head=*/true);
  if (e.code == "NotModified") return S3Error::PreconditionFailed();
  return e;
}

}  // namespace faasnet::s3
