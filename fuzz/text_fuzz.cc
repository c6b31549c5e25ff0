// Fuzzes the small text parsers that see outside input: timestamps,
// durations, keys, signatures, base64, hex and inbox lines.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "bwoc/core/encoding.h"
#include "bwoc/core/inbox.h"
#include "bwoc/core/keys.h"
#include "bwoc/core/timestamp.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);

  if (auto t = bwoc::parse_timestamp(text); t.ok()) {
    if (bwoc::format_timestamp(*t) != text) std::abort();  // one spelling per instant
  }
  (void)bwoc::parse_time_argument(text);
  (void)bwoc::parse_duration(text);
  if (auto k = bwoc::PublicKey::from_text(text); k.ok()) {
    if (k->to_text() != text) std::abort();
  }
  if (auto b = bwoc::base64_decode(text)) {
    if (bwoc::base64_encode(*b) != text) std::abort();  // canonical only
  }
  if (auto b = bwoc::base64url_decode(text)) {
    if (bwoc::base64url_encode(*b) != text) std::abort();
  }
  (void)bwoc::hex_decode_lower(text);
  (void)bwoc::parse_inbox_line(text);
  return 0;
}
