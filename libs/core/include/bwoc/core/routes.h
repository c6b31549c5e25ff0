// Declared peers: the [[peer]] tables of .bwoc/routes.toml.
//
// A peer is pinned by its public key: an envelope is trusted only because its
// key equals a key declared here. Loading validates every field and refuses
// the whole file on the first problem, naming the file and line; a typo in a
// security file must be loud, so unknown fields are errors too.
#ifndef BWOC_CORE_ROUTES_H_
#define BWOC_CORE_ROUTES_H_

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bwoc/core/keys.h"
#include "bwoc/core/result.h"
#include "bwoc/core/seal.h"
#include "bwoc/core/timestamp.h"

namespace bwoc {

enum class Via { path, a2a, mqtt };
std::string_view via_name(Via via);
std::optional<Via> via_from_name(std::string_view name);  // "path", "a2a" (or "url"), "mqtt"

struct MqttRoute {
  std::string broker;  // mqtt://host:port or mqtts://host:port
  std::string topic;   // topic root: deliveries go to <topic>/<agent>/inbox
};

struct PeerRoute {
  std::string key;   // local alias
  std::string name;  // a label for people
  PublicKey pubkey;
  // The peer's agent to address when a command names none (an MQTT-only
  // peer has no card or export to ask).
  std::optional<std::string> agent;
  // false: none of the peer's shared documents is read (`peer learn` refuses).
  bool allowlist = true;
  std::optional<std::filesystem::path> path;  // absolute
  std::optional<std::string> url;
  std::optional<MqttRoute> mqtt;
  std::optional<int> tier;                // 0..3
  std::optional<std::int64_t> max_age_ms;  // overrides the transport's maximum age
  int line = 0;                            // where it is declared

  // Sealed payloads (seal.h). `seal`: "required" (every envelope to it is
  // sealed, and its unsealed ones are refused), "never", or unset: sealed
  // when its X25519 key is known. `seal_key` comes with `seal_key_sig`, the
  // pinned Ed25519 key's signature over it, checked when the file is read.
  enum class Seal { automatic, required, never };
  Seal seal = Seal::automatic;
  std::optional<SealPublicKey> seal_key;
  std::optional<Signature> seal_key_sig;
  // Key rotation: the key it replaced, still accepted until `previous_until`.
  std::optional<PublicKey> previous_pubkey;
  std::optional<UnixMillis> previous_until;
  // Revocation: when its pinned key was revoked. Nothing signed by it is
  // accepted; the peer needs a new invite.
  std::optional<UnixMillis> revoked;

  // The ways to reach it, in the order they are tried.
  std::vector<Via> transports() const;
};

// Nothing goes to a peer whose key was revoked, and nothing of its is read:
// its keys are in other hands, and what is sealed to it they open. An error
// (refused) that says it needs a new invite, or ok.
Status refuse_if_revoked(const PeerRoute& peer);

// What holds for a peer's key at `now`, for people: "pinned", "rotated: old
// key … accepted until …", or "revoked …: needs a new invite".
std::string key_state(const PeerRoute& peer, UnixMillis now);

// The [[peer]] table that declares `peer` (key, name, pubkey and the ways to
// reach it), as routes.toml text that Routes::parse reads back.
std::string format_peer(const PeerRoute& peer);

// The maximum age of spec §3 check 8 for an envelope that came by `via`.
std::int64_t default_max_age_ms(Via via);

class Routes {
 public:
  // An empty or missing file declares no peers; anything invalid is an error.
  static Result<Routes> load(const std::filesystem::path& file, const std::filesystem::path& workspace_root);
  static Result<Routes> parse(std::string_view text, const std::filesystem::path& file,
                              const std::filesystem::path& workspace_root);

  const std::vector<PeerRoute>& peers() const { return peers_; }
  const PeerRoute* find(std::string_view key) const;
  // The peer whose key `key` is, now or before a rotation.
  const PeerRoute* find_by_pubkey(const PublicKey& key) const;
  // The peer whose envelopes signed by `key` are accepted at `now` (spec §3
  // check 4): its pinned key unless revoked, or its previous key during the
  // grace period of a rotation.
  const PeerRoute* find_sender(const PublicKey& key, UnixMillis now) const;
  // Whether what waits for `key` (the MQTT spool's envelopes) may still go
  // out: a declared peer holds it, now or as the key it rotated from, and
  // has not revoked it. Not for a removed peer, nor for the old key of one
  // declared again from a new invite after a revocation (that key, and what
  // is sealed to it, is in other hands).
  bool may_send_to_key(const PublicKey& key) const;
  // The longest maximum age any envelope may have here (what the replay window must cover).
  std::int64_t longest_max_age_ms() const;

 private:
  std::vector<PeerRoute> peers_;
};

// A peer alias: [a-z0-9][a-z0-9._-]{0,63}, like a workspace name.
bool is_valid_peer_key(std::string_view key);

// Credentials never travel in URLs: a password there would end up in invite
// codes, routes.toml, `peer list`, systemd units and logs. Whether `url`
// holds user information (scheme://user:password@host). Any '@' counts, since
// a password may hold '/', '?' or '#' that would hide where the host begins;
// every peer and broker URL bwoc takes is refused with url_user_info_error().
bool url_has_user_info(std::string_view url);
// The error for such a URL: names `what` (a flag, a field), never the URL,
// and says where a broker's password goes instead (docs/MQTT.md).
Error url_user_info_error(std::string_view what);

}  // namespace bwoc

#endif  // BWOC_CORE_ROUTES_H_
