// Fuzzes the trust state every tier lookup reads (.bwoc/state/trust.json, of
// either version): any file gives tiers or an error, never a crash; and
// ending a goal, done or expired, never raises a tier, whatever the file
// says. "@A" and "@B" in the input stand for the two declared peers' keys.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "bwoc/core/trust.h"

namespace {

struct Fixture {
  std::filesystem::path dir;
  std::optional<bwoc::Workspace> self;
  std::string keys[2];
  std::shared_ptr<const bwoc::Routes> routes;

  Fixture() {
    std::string pattern = (std::filesystem::exists("/dev/shm") ? std::string("/dev/shm") : "/tmp") + "/bwoc-fuzz-XXXXXX";
    dir = ::mkdtemp(pattern.data());
    self.emplace(bwoc::Workspace::init(dir / "self", "self").value());
    (void)self->keygen(false);
    std::string routes_text;
    for (int i = 0; i < 2; ++i) {
      std::string name = i == 0 ? "alpha" : "beta";
      auto peer = bwoc::Workspace::init(dir / name, name).value();
      keys[i] = peer.keygen(false).value().to_text();
      routes_text += "[[peer]]\nkey = \"" + name + "\"\npubkey = \"" + keys[i] + "\"\npath = \"" +
                     (dir / name).string() + "\"\n" + (i == 1 ? "tier = 2\n" : "");
    }
    std::ofstream(self->routes_file()) << routes_text;
    routes = std::make_shared<const bwoc::Routes>(bwoc::Routes::load(self->routes_file(), self->root()).value());
  }
  ~Fixture() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

void expect(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Fixture f;
  std::string text(reinterpret_cast<const char*>(data), size);
  for (int i = 0; i < 2; ++i) {
    std::string placeholder = i == 0 ? "@A" : "@B";
    for (std::size_t at = text.find(placeholder); at != std::string::npos; at = text.find(placeholder, at)) {
      text.replace(at, placeholder.size(), f.keys[i]);
      at += f.keys[i].size();
    }
  }
  std::filesystem::create_directories(f.self->state_dir());
  std::filesystem::remove(f.self->state_dir() / "trust-audit.jsonl");
  std::ofstream(f.self->state_dir() / "trust.json", std::ios::trunc) << text;

  bwoc::TrustStore store(*f.self, f.routes, false);
  bwoc::UnixMillis now = 1'800'000'000'000;
  store.set_clock([&] { return now; });
  auto tiers = store.list();
  if (!tiers.ok()) return 0;
  auto goals = store.goals();
  if (!goals.ok()) return 0;
  for (const bwoc::Goal& g : *goals) {
    if (g.state != "active") continue;
    auto before = store.list();
    if (!before.ok() || !store.finish_goal(g.id).ok()) return 0;
    auto after = store.list();
    if (!after.ok()) return 0;
    for (std::size_t p = 0; p < after->size(); ++p) expect((*after)[p].tier <= (*before)[p].tier);
  }
  // Whatever is left expires.
  auto before = store.list();
  now += 100LL * 365 * 86'400'000;
  auto after = store.list();
  if (before.ok() && after.ok()) {
    for (std::size_t p = 0; p < after->size(); ++p) expect((*after)[p].tier <= (*before)[p].tier);
  }
  return 0;
}
