// Helpers shared by the core tests: the spec's test keys and small drafts.
#ifndef BWOC_TESTS_CORE_TEST_UTIL_H_
#define BWOC_TESTS_CORE_TEST_UTIL_H_

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "bwoc/core/encoding.h"
#include "bwoc/core/envelope.h"
#include "bwoc/core/keys.h"
#include "bwoc/core/requests.h"
#include "bwoc/core/workspace.h"

namespace bwoc::test {

inline SecretKey key_from_hex_seed(std::string_view hex) {
  auto raw = hex_decode_lower(hex);
  std::array<std::uint8_t, 32> seed{};
  std::copy(raw->begin(), raw->end(), seed.begin());
  return SecretKey::from_seed(seed);
}

// RFC 8032 test 1: the sender of the spec's §6 vector.
inline const SecretKey& vector_sender() {
  static const SecretKey k = key_from_hex_seed("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  return k;
}

// RFC 8032 test 2: the audience of the spec's §6 vector.
inline const SecretKey& vector_audience() {
  static const SecretKey k = key_from_hex_seed("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb");
  return k;
}

inline EnvelopeDraft draft_to(const PublicKey& aud, std::string to = "agent-b") {
  EnvelopeDraft d;
  d.kind = "message";
  d.from = "agent-a";
  d.to = std::move(to);
  d.aud = aud;
  d.payload = json::Value::object();
  d.payload.set("text", json::Value::string("hello"));
  return d;
}

// A request of `from` to `peer`/`agent` for the skill "count".
inline RequestDraft count_request(std::string peer, std::string agent, std::string from, UnixMillis deadline) {
  RequestDraft d;
  d.peer = std::move(peer);
  d.agent = std::move(agent);
  d.from = std::move(from);
  d.skill = "count";
  d.deadline = deadline;
  return d;
}

// A fresh directory under the system's temporary folder, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A workspace with a key and the given agents, created under `parent/name`.
Workspace make_workspace(const std::filesystem::path& parent, const std::string& name,
                         std::initializer_list<std::string> agents = {"agent-a", "agent-b"});

// Declares `peer` in `ws`'s routes.toml (replacing the file), reached by path.
void declare_peers(const Workspace& ws, std::initializer_list<const Workspace*> peers, std::string extra = "");

// Two workspaces, alpha and beta, each with a key and agents agent-a and
// agent-b, pinning each other and reached by path.
class TwoWorkspaces : public ::testing::Test {
 protected:
  void SetUp() override;
  // An envelope from alpha/agent-a to beta/agent-b, after `edit`.
  std::string envelope(const std::function<void(EnvelopeDraft&)>& edit = {});

  TempDir dir_;
  std::optional<Workspace> alpha_, beta_;
  std::optional<SecretKey> alpha_key_;
};

// Reads a whole file (tests only).
std::string read_file(const std::filesystem::path& file);
// Number of lines in a file, 0 when missing.
std::size_t count_lines(const std::filesystem::path& file);

}  // namespace bwoc::test

#endif  // BWOC_TESTS_CORE_TEST_UTIL_H_
