// What the core asks of a transport, and what it gets back.
//
// A sender hands a signed envelope to an EnvelopeTransport; the path
// transport (drop_folder.h) lives in core because it is only files, the A2A
// and MQTT transports live in libs/a2a and libs/mqtt and are handed to the
// peer logic (libs/peer) by the command that wires everything together.
#ifndef BWOC_CORE_TRANSPORT_H_
#define BWOC_CORE_TRANSPORT_H_

#include <optional>
#include <string>

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
};

class EnvelopeTransport {
 public:
  virtual ~EnvelopeTransport() = default;
  virtual Via via() const = 0;
  // Delivers one signed envelope to `peer`. Errc::unavailable means the peer
  // could not be reached this way, and the next transport may be tried; any
  // other error is final (a bad receipt is never papered over by a retry).
  virtual Result<SendReport> deliver(const PeerRoute& peer, const std::string& envelope_text,
                                     const Envelope& envelope) = 0;
};

}  // namespace bwoc

#endif  // BWOC_CORE_TRANSPORT_H_
