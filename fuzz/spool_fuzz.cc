// Fuzzes the MQTT spool as `mqtt subscribe`, the publisher and `mqtt spool`
// read it (.bwoc/state/mqtt-spool/<id>.json): listing and reading an entry
// must give the entry or an error, never a crash.
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
  static bwoc::mqtt::Spool spool = std::move(bwoc::mqtt::Spool::open(ws)).value();
  const std::string id = "00112233445566778899aabbccddeeff";
  bwoc::fuzz::write_bytes(spool.dir() / (id + ".json"), std::string_view(reinterpret_cast<const char*>(data), size));
  auto all = spool.list();
  auto one = spool.get(id);
  // What one reader accepts, the other does too.
  if (all.ok() != one.has_value()) __builtin_trap();
  if (one && (all->size() != 1 || (*all)[0].envelope != one->envelope)) __builtin_trap();
  return 0;
}
