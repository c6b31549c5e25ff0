// Fuzzes the receiving path's parsers: strict JSON, checks 1-3, the signed
// bytes and signature verification. Properties checked on every input that
// parses: canonical JSON is a fixed point, and re-parses to an equal value.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "bwoc/core/envelope.h"
#include "bwoc/core/jcs.h"
#include "bwoc/core/json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);

  auto value = bwoc::json::parse(text);
  if (value.ok()) {
    std::string once = bwoc::jcs::canonicalize(*value);
    auto again = bwoc::json::parse(once);
    // The only canonical text the strict parser refuses: an integral double
    // in [2^53, 1e21), which JCS writes as a too-large integer literal.
    if (again.ok()) {
      if (bwoc::jcs::canonicalize(*again) != once) std::abort();
    }
    std::string written = bwoc::json::write(*value);
    auto back = bwoc::json::parse(written);
    if (back.ok() && !(*back == *value)) std::abort();
  }

  auto envelope = bwoc::parse_envelope(text);
  if (envelope.ok()) {
    std::string scratch;
    (void)bwoc::verify_signature(envelope.value(), scratch);
    if (scratch.rfind(envelope.value().sealed ? bwoc::kSignedBytesPrefixV2 : bwoc::kSignedBytesPrefix, 0) != 0) std::abort();
  }
  return 0;
}
