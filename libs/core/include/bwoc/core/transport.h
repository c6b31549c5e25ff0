// What the core asks of a transport, and what it gets back.
//
// A sender hands a signed envelope to an EnvelopeTransport; the path
// transport (drop_folder.h) lives in core because it is only files, the A2A
// and MQTT transports live in libs/a2a and libs/mqtt and are handed to the
// peer logic (libs/peer) by the command that wires everything together.
#ifndef BWOC_CORE_TRANSPORT_H_
#define BWOC_CORE_TRANSPORT_H_

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "bwoc/core/envelope.h"
#include "bwoc/core/result.h"
#include "bwoc/core/routes.h"

namespace bwoc {

struct SendReport {
  Via via = Via::path;
  // What happened, for people: "dropped into /srv/oracle/.bwoc/drop/new/…".
  std::string detail;
  // True when the peer confirmed with a signed receipt that verified.
  bool confirmed = false;
  // The peer's signed answer, when the transport carries one.
  std::optional<std::string> reply;
  // Path: the entry left in the peer's drop folder (gone once its node took it in).
  std::optional<std::filesystem::path> dropped_at;
};

// What to tell a person when a peer refused an envelope of ours. A peer
// never says which check failed (spec §3), so this names no check: it says
// what most often causes it, and where the peer's operator can see why.
inline std::string refused_by_peer(std::string_view peer) {
  return "peer \"" + std::string(peer) +
         "\" did not accept our envelope, and by design does not say why: most often it has not added this "
         "workspace yet (they run `bwoc peer add` with the code `bwoc invite` prints here); their "
         "`bwoc inbox refusals` shows the reason";
}

class EnvelopeTransport {
 public:
  virtual ~EnvelopeTransport() = default;
  virtual Via via() const = 0;
  // Delivers one signed envelope to `peer`, waiting at most `timeout` for
  // its answer. Errc::unavailable (refused, unreachable) and Errc::timeout
  // (no answer in time) mean the peer was not reached this way, and the next
  // transport may be tried with the same envelope; any other error is final
  // (a bad answer is never papered over by a retry).
  virtual Result<SendReport> deliver(const PeerRoute& peer, const SignedEnvelope& envelope,
                                     std::chrono::milliseconds timeout) = 0;
  // The X25519 key `peer` publishes this way (the A2A agent card does),
  // checked against its pinned key's signature; nullopt when none.
  virtual std::optional<SealPublicKey> advertised_seal_key(const PeerRoute& peer, std::chrono::milliseconds timeout) {
    (void)peer;
    (void)timeout;
    return std::nullopt;
  }
};

}  // namespace bwoc

#endif  // BWOC_CORE_TRANSPORT_H_
