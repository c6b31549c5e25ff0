// Signing, verification and canonicalization of envelopes, side by side in
// one run with bare libsodium Ed25519 verification of the same bytes: the
// bound that the whole verify path is measured against.
//
//   build/bench/bench_envelope --benchmark_min_time=2
#include <benchmark/benchmark.h>
#include <sodium.h>

#include <string>

#include "bwoc/core/envelope.h"
#include "bwoc/core/jcs.h"
#include "bwoc/core/json.h"
#include "bwoc/core/keys.h"
#include "bwoc/core/seal.h"

namespace {

using bwoc::EnvelopeDraft;

// A payload of about `bytes` bytes that looks like real traffic: a few
// fields, a text with non-ASCII characters, and numbers.
bwoc::json::Value payload_of(std::size_t bytes) {
  std::string text;
  const std::string unit = "Root cause: a stale cache entry after the failover; fix rolled out at 14:02. Caf\xC3\xA9. ";
  while (text.size() + unit.size() < bytes) text += unit;
  return bwoc::json::Value::object({{"score", 4},
                                    {"ratio", 0.875},
                                    {"tags", bwoc::json::Value::array({"deploy", "cache", "incident"})},
                                    {"comment", text}});
}

struct Fixture {
  explicit Fixture(std::size_t payload_bytes) : sender(bwoc::SecretKey::generate()), receiver(bwoc::SecretKey::generate()) {
    EnvelopeDraft d;
    d.kind = "feedback";
    d.from = "agent-guanyin";
    d.to = "agent-wenchang";
    d.aud = receiver.public_key();
    d.payload = payload_of(payload_bytes);
    draft = d;
    text = *bwoc::sign_envelope(d, sender);
    envelope = bwoc::parse_envelope(text).value();
    envelope.append_signed_bytes(signed_bytes);
    EnvelopeDraft s = d;
    (void)bwoc::seal_draft(s, sender.public_key(), seal.public_key(), std::nullopt);
    sealed_text = *bwoc::sign_envelope(s, sender);
    bwoc::Envelope sealed = bwoc::parse_envelope(sealed_text).value();
    sealed.append_signed_bytes(sealed_signed_bytes);
    sealed_sig = sealed.sig;
  }
  bwoc::SecretKey sender, receiver;
  bwoc::SealSecretKey seal = bwoc::SealSecretKey::generate();
  std::string sealed_text;          // the same payload, sealed to `seal`
  std::string sealed_signed_bytes;  // what its signature covers
  bwoc::Signature sealed_sig;
  EnvelopeDraft draft;
  std::string text;
  bwoc::Envelope envelope;
  std::string signed_bytes;
};

const Fixture& fixture(std::size_t bytes) {
  static const Fixture f256(256), f1k(1024), f4k(4096);
  return bytes == 256 ? f256 : bytes == 1024 ? f1k : f4k;
}

// The bound: libsodium verifying the very bytes bwoc signs.
void BM_BareEd25519Verify(benchmark::State& state) {
  const Fixture& f = fixture(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    int rc = crypto_sign_verify_detached(f.envelope.sig.bytes.data(),
                                         reinterpret_cast<const unsigned char*>(f.signed_bytes.data()),
                                         f.signed_bytes.size(), f.envelope.key.bytes.data());
    benchmark::DoNotOptimize(rc);
  }
  state.counters["envelope_bytes"] = static_cast<double>(f.text.size());
}

// The whole verify path: strict parse, checks 1-3, JCS, Ed25519.
void BM_VerifyPath(benchmark::State& state) {
  const Fixture& f = fixture(static_cast<std::size_t>(state.range(0)));
  std::string scratch;
  for (auto _ : state) {
    auto env = bwoc::parse_envelope(f.text);
    bool ok = env.ok() && bwoc::verify_signature(env.value(), scratch);
    if (!ok) state.SkipWithError("verification failed");
    benchmark::DoNotOptimize(ok);
  }
  state.counters["envelope_bytes"] = static_cast<double>(f.text.size());
}

// The bound for a sealed envelope: libsodium verifying its signed bytes.
void BM_BareEd25519VerifySealed(benchmark::State& state) {
  const Fixture& f = fixture(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    int rc = crypto_sign_verify_detached(f.sealed_sig.bytes.data(),
                                         reinterpret_cast<const unsigned char*>(f.sealed_signed_bytes.data()),
                                         f.sealed_signed_bytes.size(), f.envelope.key.bytes.data());
    benchmark::DoNotOptimize(rc);
  }
  state.counters["envelope_bytes"] = static_cast<double>(f.sealed_text.size());
}

// The whole receive path of a sealed envelope: strict parse, checks 1-3,
// JCS, Ed25519, then the opening (X25519, BLAKE2b, XChaCha20-Poly1305, the
// strict parse of the payload).
void BM_SealedReceivePath(benchmark::State& state) {
  const Fixture& f = fixture(static_cast<std::size_t>(state.range(0)));
  std::string scratch;
  const bwoc::SealSecretKey* secrets[] = {&f.seal};
  for (auto _ : state) {
    auto env = bwoc::parse_envelope(f.sealed_text);
    bool ok = env.ok() && bwoc::verify_signature(env.value(), scratch);
    auto payload = bwoc::open_payload(env.value(), secrets);
    if (!ok || !payload.ok()) state.SkipWithError("the sealed envelope did not verify and open");
    benchmark::DoNotOptimize(payload);
  }
  state.counters["envelope_bytes"] = static_cast<double>(f.sealed_text.size());
}

// What opening costs at least: libsodium's X25519 alone.
void BM_BareX25519(benchmark::State& state) {
  const Fixture& f = fixture(1024);
  bwoc::SealSecretKey other = bwoc::SealSecretKey::generate();
  unsigned char shared[32];
  for (auto _ : state) {
    int rc = crypto_scalarmult(shared, f.seal.secret().data(), other.public_key().bytes.data());
    benchmark::DoNotOptimize(rc);
  }
}

// Only the parts bwoc adds: parse, checks 1-3, JCS (no Ed25519).
void BM_ParseAndCanonicalize(benchmark::State& state) {
  const Fixture& f = fixture(static_cast<std::size_t>(state.range(0)));
  std::string scratch;
  for (auto _ : state) {
    auto env = bwoc::parse_envelope(f.text);
    scratch.clear();
    env.value().append_signed_bytes(scratch);
    benchmark::DoNotOptimize(scratch.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * f.text.size()));
}

void BM_Canonicalize(benchmark::State& state) {
  const Fixture& f = fixture(static_cast<std::size_t>(state.range(0)));
  std::string out;
  for (auto _ : state) {
    out.clear();
    bwoc::jcs::canonicalize(f.envelope.doc, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * f.text.size()));
}

void BM_Sign(benchmark::State& state) {
  const Fixture& f = fixture(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    auto text = bwoc::sign_envelope(f.draft, f.sender);
    benchmark::DoNotOptimize(text);
  }
}

void BM_BareEd25519Sign(benchmark::State& state) {
  const Fixture& f = fixture(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    bwoc::Signature sig = f.sender.sign(f.signed_bytes);
    benchmark::DoNotOptimize(sig);
  }
}

}  // namespace

BENCHMARK(BM_BareEd25519Verify)->Arg(256)->Arg(1024)->Arg(4096);
BENCHMARK(BM_VerifyPath)->Arg(256)->Arg(1024)->Arg(4096);
BENCHMARK(BM_BareEd25519VerifySealed)->Arg(256)->Arg(1024)->Arg(4096);
BENCHMARK(BM_SealedReceivePath)->Arg(256)->Arg(1024)->Arg(4096);
BENCHMARK(BM_BareX25519);
BENCHMARK(BM_ParseAndCanonicalize)->Arg(256)->Arg(1024)->Arg(4096);
BENCHMARK(BM_Canonicalize)->Arg(256)->Arg(1024)->Arg(4096);
BENCHMARK(BM_BareEd25519Sign)->Arg(256)->Arg(1024)->Arg(4096);
BENCHMARK(BM_Sign)->Arg(256)->Arg(1024)->Arg(4096);

BENCHMARK_MAIN();
