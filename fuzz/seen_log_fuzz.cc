// Fuzzes the seen-id log as a node reads it on start (.bwoc/state/seen.log:
// entries, marks, horizons, damage, a torn tail): reading it must not crash,
// and an entry appended after any content must read back (never glued onto
// what was there).
#include <cstdint>
#include <map>
#include <string_view>

#include "bwoc/core/keys.h"
#include "bwoc/core/replay_guard.h"
#include "scratch.h"

namespace {

constexpr std::string_view kId = "0123456789abcdef0123456789abcdef";
constexpr bwoc::UnixMillis kTs = 4'102'444'800'000;  // 2100-01-01

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bwoc::PublicKey key = bwoc::SecretKey::generate().public_key();
  const std::filesystem::path state = bwoc::fuzz::scratch_dir() / "state";
  std::error_code ec;
  std::filesystem::remove_all(state, ec);
  std::filesystem::create_directories(state);
  bwoc::fuzz::write_bytes(state / "seen.log", std::string_view(reinterpret_cast<const char*>(data), size));

  auto writer = bwoc::SeenLog::open(state);
  if (!writer.ok()) return 0;
  bwoc::SeenIndex index;
  std::map<std::string, bwoc::InboxMark> marks;
  bwoc::UnixMillis horizon = 0;
  (void)writer->catch_up(index, marks, horizon);
  if (!writer->append({bwoc::SeenEntry{key, std::string(kId), kTs, kTs, 7, "agent"}}, {}, 0).ok()) __builtin_trap();

  auto reader = bwoc::SeenLog::open(state);
  bwoc::SeenIndex again;
  std::map<std::string, bwoc::InboxMark> again_marks;
  bwoc::UnixMillis again_horizon = 0;
  if (!reader.ok() || !reader->catch_up(again, again_marks, again_horizon).ok()) __builtin_trap();
  // Found, unless the log's own horizon says an entry that old is forgotten.
  if (again_horizon <= kTs && !again.find(key, kId)) __builtin_trap();
  return 0;
}
