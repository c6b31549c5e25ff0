// Randomness from the operating system's CSPRNG (through libsodium), for
// keys, envelope ids and unique file names.
//
// It sits below keys.h and files.h, which both need it, so that neither has
// to include the other.
#ifndef BWOC_CORE_RANDOM_H_
#define BWOC_CORE_RANDOM_H_

#include <cstdint>
#include <span>
#include <string>

namespace bwoc {

// Makes sure libsodium is initialised; every function here and in keys.h
// calls it. Aborts when the system has no randomness source.
void crypto_init();

// Fills `out` from the CSPRNG.
void random_bytes(std::span<std::uint8_t> out);
// 16 random bytes as 32 lowercase hex digits: an envelope id, a task id.
std::string random_id();

}  // namespace bwoc

#endif  // BWOC_CORE_RANDOM_H_
