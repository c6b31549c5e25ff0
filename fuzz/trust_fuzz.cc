// Fuzzes the trust state as every node reads it (.bwoc/state/trust.json:
// tiers, failure counts, goals): any content must give tiers and goals or a
// one-line error, never a crash, and tiers stay within 0..3.
#include <cstdint>
#include <memory>
#include <string_view>

#include "bwoc/core/keys.h"
#include "bwoc/core/routes.h"
#include "bwoc/core/trust.h"
#include "scratch.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bwoc::PublicKey peer_key = bwoc::SecretKey::generate().public_key();
  static const bwoc::Workspace ws = [] {
    auto made = bwoc::Workspace::init(bwoc::fuzz::scratch_dir() / "ws", "fuzz");
    if (!made.ok() || !made->keygen(false).ok()) __builtin_trap();
    return std::move(made).value();
  }();
  static const std::shared_ptr<const bwoc::Routes> routes = [] {
    std::string text = "[[peer]]\nkey = \"beta\"\npubkey = \"" + peer_key.to_text() + "\"\npath = \"../beta\"\n";
    return std::make_shared<const bwoc::Routes>(std::move(bwoc::Routes::parse(text, "routes.toml", ws.root())).value());
  }();
  std::filesystem::create_directories(ws.state_dir());
  bwoc::fuzz::write_bytes(ws.state_dir() / "trust.json", std::string_view(reinterpret_cast<const char*>(data), size));
  bwoc::TrustStore store(ws, routes, false);
  if (auto peers = store.list(); peers.ok()) {
    for (const bwoc::PeerTrust& p : *peers) {
      if (p.tier < 0 || p.tier > 3) __builtin_trap();
    }
  }
  (void)store.goals();
  if (auto tier = store.tier_of(peer_key); tier.ok() && *tier && (**tier < 0 || **tier > 3)) __builtin_trap();
  return 0;
}
