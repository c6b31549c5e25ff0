// Byte encodings used on the wire: strict base64 (RFC 4648 §4 and §5) and hex.
//
// Decoders accept the canonical spelling only (padding where the variant has
// it, zero padding bits, no white space), so that one key or signature has
// exactly one text form.
#ifndef BWOC_CORE_ENCODING_H_
#define BWOC_CORE_ENCODING_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bwoc {

// Standard alphabet with '=' padding (RFC 4648 §4).
std::string base64_encode(std::span<const std::uint8_t> bytes);
std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text);

// URL- and filename-safe alphabet without padding (RFC 4648 §5), for invite codes.
std::string base64url_encode(std::span<const std::uint8_t> bytes);
std::optional<std::vector<std::uint8_t>> base64url_decode(std::string_view text);

// Lowercase hex.
std::string hex_encode(std::span<const std::uint8_t> bytes);
// Decodes lowercase hex only (envelope ids are lowercase by contract).
std::optional<std::vector<std::uint8_t>> hex_decode_lower(std::string_view text);

inline std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace bwoc

#endif  // BWOC_CORE_ENCODING_H_
