// Fuzzes routes.toml loading (toml++ plus bwoc's validation): any input must
// give routes or a one-line error, never a crash or an exception.
#include <cstdint>
#include <string_view>

#include "bwoc/core/routes.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto routes = bwoc::Routes::parse(text, "routes.toml", "/workspace");
  if (routes.ok()) {
    for (const auto& p : routes->peers()) {
      (void)routes->find(p.key);
      (void)routes->find_by_pubkey(p.pubkey);
    }
    (void)routes->longest_max_age_ms();
  }
  return 0;
}
