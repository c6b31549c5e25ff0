// Durable enqueues into the outbox (bwoc/core/outbox.h): envelopes a second
// from one process, each append returning only once its record is synced.
//
//   outbox_bench [--threads N] [--envelopes M] [--dir DIR]
//
// N threads each enqueue M/N signed envelopes (one record each, about the
// size of a skill request) one at a time, as N concurrent commands or
// couriers would; appends that meet share a write and an fdatasync. Prints
// one line: threads, envelopes, seconds, envelopes/s, and the same for one
// thread alone (no sharing: one sync per envelope).
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "bwoc/core/envelope.h"
#include "bwoc/core/keys.h"
#include "bwoc/core/outbox.h"

namespace {

using Clock = std::chrono::steady_clock;

double run(const std::filesystem::path& file, int threads, int envelopes, const std::string& envelope) {
  auto outbox = bwoc::Outbox::open(file);
  if (!outbox.ok()) {
    std::fprintf(stderr, "outbox_bench: %s\n", outbox.error().message().c_str());
    std::exit(1);
  }
  auto record = bwoc::json::parse(envelope);
  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  Clock::time_point start = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      while (next.fetch_add(1) < envelopes) {
        bwoc::json::Value r = bwoc::json::Value::object({{"op", "envelope"}, {"env", *record}});
        if (!(*outbox)->append(std::move(r)).ok()) failed = true;
      }
    });
  }
  for (auto& th : pool) th.join();
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (failed) {
    std::fprintf(stderr, "outbox_bench: an append failed\n");
    std::exit(1);
  }
  return seconds;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 16;
  int envelopes = 20000;
  std::filesystem::path dir;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--threads") threads = std::max(1, std::atoi(argv[i + 1]));
    else if (a == "--envelopes") envelopes = std::max(1, std::atoi(argv[i + 1]));
    else if (a == "--dir") dir = argv[i + 1];
    else {
      std::fprintf(stderr, "usage: outbox_bench [--threads N] [--envelopes M] [--dir DIR]\n");
      return 2;
    }
  }
  if (dir.empty()) {
    char tmpl[] = "/var/tmp/outbox-bench-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return 1;
    dir = tmpl;
  }
  std::array<std::uint8_t, 32> seed{};
  seed[0] = 1;
  bwoc::SecretKey key = bwoc::SecretKey::from_seed(seed);
  bwoc::EnvelopeDraft d;
  d.kind = "skill.call";
  d.from = "agent-a";
  d.to = "agent-b";
  d.aud = key.public_key();
  d.payload = bwoc::json::Value::object({{"skill", "summarize"},
                                         {"input", bwoc::json::Value::object({{"text", std::string(200, 'x')}})},
                                         {"idem", "0123456789abcdef0123456789abcdef"},
                                         {"deadline", "2026-12-02T00:00:00.000Z"}});
  auto signed_envelope = bwoc::sign_envelope(d, key);
  if (!signed_envelope.ok()) return 1;
  double shared = run(dir / "shared.jsonl", threads, envelopes, *signed_envelope);
  int alone_count = std::min(envelopes, 2000);
  double alone = run(dir / "alone.jsonl", 1, alone_count, *signed_envelope);
  std::printf("outbox: %d threads, %d envelopes of %zu bytes in %.2f s: %.0f envelopes/s (one thread: %.0f/s)\n",
              threads, envelopes, signed_envelope->size(), shared, envelopes / shared, alone_count / alone);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}
