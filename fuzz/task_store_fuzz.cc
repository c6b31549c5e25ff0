// Fuzzes the A2A task store as `a2a serve` reads it on start (a segment of
// task lines, damage, a torn tail): opening must not crash, and a task put
// after any content must read back after a restart (never glued onto what
// was there).
#include <cstdint>
#include <string_view>

#include "scratch.h"
#include "task_store.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::filesystem::path dir = bwoc::fuzz::scratch_dir() / "tasks";
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::filesystem::create_directories(dir);
  bwoc::fuzz::write_bytes(dir / "tasks-00000001.jsonl", std::string_view(reinterpret_cast<const char*>(data), size));

  const std::string id = "00112233445566778899aabbccddeeff";
  {
    auto store = bwoc::a2a::TaskStore::open(dir, {});
    if (!store.ok()) return 0;
    std::size_t total = 0;
    (void)(*store)->list("ed25519:owner", 0, 10, &total);
    (void)(*store)->get("0123456789abcdef0123456789abcdef");
    bwoc::a2a::TaskRecord t{id, "context", "ed25519:owner", id, bwoc::now_millis(), "completed", "{\"r\":1}"};
    if (!(*store)->put(t).ok() || !(*store)->sync().ok()) __builtin_trap();
  }
  auto store = bwoc::a2a::TaskStore::open(dir, {});
  if (!store.ok()) __builtin_trap();
  auto back = (*store)->get(id);
  if (!back || back->receipt != "{\"r\":1}") __builtin_trap();
  return 0;
}
