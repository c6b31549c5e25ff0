// Fuzzes the MQTT spool's log as `mqtt subscribe`, the publisher and
// `mqtt spool` read it (.bwoc/state/mqtt-spool/spool.jsonl): whatever the
// file holds, reading gives entries or an error, never a crash, and what the
// listing holds, a lookup by id finds the same.
#include <cstdint>
#include <string_view>

#include "bwoc/mqtt/spool.h"
#include "scratch.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bwoc::Workspace ws = [] {
    auto made = bwoc::Workspace::init(bwoc::fuzz::scratch_dir() / "ws", "fuzz");
    if (!made.ok()) __builtin_trap();
    return std::move(made).value();
  }();
  const auto file = ws.state_dir() / "mqtt-spool" / "spool.jsonl";
  {
    auto made = bwoc::mqtt::Spool::open(ws);
    if (!made.ok()) __builtin_trap();
  }
  bwoc::fuzz::write_bytes(file, std::string_view(reinterpret_cast<const char*>(data), size));
  auto spool = bwoc::mqtt::Spool::open(ws);
  if (!spool.ok()) return 0;
  auto all = spool->list();
  if (!all.ok()) return 0;
  if (all->size() != spool->size()) __builtin_trap();
  for (const auto& entry : *all) {
    auto one = spool->get(entry.id);
    if (!one || one->envelope != entry.envelope) __builtin_trap();
  }
  return 0;
}
