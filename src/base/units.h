// Units in one place: byte sizes, bit rates and durations, parsed from and
// formatted to the strings users write ("10MB", "4KiB", "10Mbit", "70MB/s",
// "100ms"). MB = 10^6 bytes, MiB = 2^20 bytes; bits and bytes are never mixed
// silently: a rate in bits ends in "bit" or "bps", a rate in bytes in "B/s".
//
// Thread-safety: pure functions.
#ifndef FAASNET_BASE_UNITS_H_
#define FAASNET_BASE_UNITS_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace faasnet {

inline constexpr uint64_t kKB = 1000, kMB = 1000 * kKB, kGB = 1000 * kMB;
inline constexpr uint64_t kKiB = 1024, kMiB = 1024 * kKiB, kGiB = 1024 * kMiB;

// "1048576", "10MB", "10 MB", "4KiB", "1.5GB", "512B". Case-insensitive for the
// decimal suffixes (k/kb/m/mb/g/gb/t/tb), binary ones need the "i" (KiB, MiB).
// Fails on negative, fractional-byte or overflowing values and unknown suffixes.
Result<uint64_t> ParseBytes(std::string_view text);

// A bit rate in bits per second: "10Mbit", "1gbit", "600Mbps", "5Gbit/s",
// or a byte rate converted to bits: "70MB/s", "1GiB/s".
Result<uint64_t> ParseRateBps(std::string_view text);

// "100ms", "30s", "2m", "1h", "250us", "1.5s". A bare number is rejected
// (say which unit you mean).
Result<std::chrono::nanoseconds> ParseDuration(std::string_view text);

// "10.0 MB", "1.50 GB", "512 B" (decimal units, 3 significant digits).
std::string FormatBytes(uint64_t bytes);
// "70.0 MB/s" from bytes per second.
std::string FormatByteRate(double bytes_per_second);

}  // namespace faasnet

#endif  // FAASNET_BASE_UNITS_H_
