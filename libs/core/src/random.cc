#include "bwoc/core/random.h"

#include <sodium.h>

#include <array>
#include <cstdlib>
#include <mutex>

#include "bwoc/core/encoding.h"

namespace bwoc {

void crypto_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) std::abort();  // no randomness source: nothing here can be safe
  });
}

void random_bytes(std::span<std::uint8_t> out) {
  crypto_init();
  randombytes_buf(out.data(), out.size());
}

std::string random_id() {
  std::array<std::uint8_t, 16> raw;
  random_bytes(raw);
  return hex_encode(raw);
}

}  // namespace bwoc
