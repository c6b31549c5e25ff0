// Fuzzes invite codes, which arrive through chat apps and email: any input
// gives an invite or a one-line error, and an accepted invite encodes back
// to a code that decodes to the same invite.
#include <cstdint>
#include <string_view>

#include "bwoc/peer/invite.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto invite = bwoc::peer::decode_invite(text);
  if (invite.ok()) {
    auto again = bwoc::peer::decode_invite(bwoc::peer::encode_invite(*invite));
    if (!again.ok() || again->name != invite->name || !(again->pubkey == invite->pubkey) ||
        again->url != invite->url || again->path != invite->path) {
      __builtin_trap();
    }
    (void)bwoc::peer::peer_table(*invite, "alias");
  }
  return 0;
}
