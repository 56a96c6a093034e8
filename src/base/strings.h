// Small string helpers shared by every module: case, trimming, splitting,
// hex and base64, URI encoding as AWS defines it, UTF-8 validation.
//
// Thread-safety: pure functions.
#ifndef FAASNET_BASE_STRINGS_H_
#define FAASNET_BASE_STRINGS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace faasnet {

std::string ToLower(std::string_view s);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
std::string_view Trim(std::string_view s);
// Splits on every `sep`; "a,,b" gives {"a", "", "b"}; "" gives {""}.
std::vector<std::string_view> Split(std::string_view s, char sep);

// Lower-case hex of the bytes.
std::string HexEncode(std::string_view bytes);
// Decodes hex (either case); nullopt on odd length or a non-hex digit.
std::optional<std::string> HexDecode(std::string_view hex);
std::string Base64Encode(std::string_view bytes);
// Strict standard base64 with padding; nullopt when malformed.
std::optional<std::string> Base64Decode(std::string_view text);

// AWS URI encoding (SigV4): every byte except A-Z a-z 0-9 - . _ ~ becomes %XX
// (upper-case hex); '/' is kept when `keep_slash`.
std::string UriEncode(std::string_view s, bool keep_slash);
// Decodes %XX (and '+' as a space when `plus_is_space`); nullopt on a bad escape.
std::optional<std::string> UriDecode(std::string_view s, bool plus_is_space = false);

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool IsValidUtf8(std::string_view s);

}  // namespace faasnet

#endif  // FAASNET_BASE_STRINGS_H_
