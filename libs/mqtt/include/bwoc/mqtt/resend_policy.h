// Whether a spooled envelope is still worth sending again, decided each time
// the spool is resent (by `bwoc mqtt spool --retry` or a subscriber), against
// the routes and trust state as they are then.
//
// An envelope is given up, with a log line, when resending it cannot lead
// anywhere or must not: no declared peer holds its key any more (the peer
// was removed, revoked the key, or was declared again from a new invite:
// that key may be in other hands, and what is sealed to it they open); the
// peer was lowered to UNTRUSTED; the envelope is older than the maximum age
// the peer accepts (spec §3 check 8: it would be refused); or the deadline
// it carries (the top-level "deadline" member, a timestamp like "ts") has
// passed. Given up is final: the entry leaves the spool.
#ifndef BWOC_MQTT_RESEND_POLICY_H_
#define BWOC_MQTT_RESEND_POLICY_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bwoc/core/result.h"
#include "bwoc/core/routes.h"
#include "bwoc/core/timestamp.h"
#include "bwoc/core/trust.h"
#include "bwoc/core/workspace.h"
#include "bwoc/mqtt/spool.h"

namespace bwoc::mqtt {

class ResendPolicy {
 public:
  // Reads routes.toml and the trust state now.
  static Result<ResendPolicy> load(const Workspace& ws);

  // Why `entry` is given up at `now`, or nullopt to send it again.
  std::optional<std::string> give_up(const SpoolEntry& entry, UnixMillis now);

 private:
  ResendPolicy(std::shared_ptr<const Routes> routes, std::unique_ptr<TrustStore> trust, std::optional<PublicKey> self)
      : routes_(std::move(routes)), trust_(std::move(trust)), self_(std::move(self)) {}
  std::shared_ptr<const Routes> routes_;
  std::unique_ptr<TrustStore> trust_;
  std::optional<PublicKey> self_;
};

// The entries worth resending; the others leave the spool, each with a log
// line ("mqtt.spool_gave_up") and, when `given_up` is set, counted there.
std::vector<SpoolEntry> still_worth_resending(const Workspace& ws, Spool& spool, std::vector<SpoolEntry> entries,
                                              std::size_t* given_up = nullptr);

}  // namespace bwoc::mqtt

#endif  // BWOC_MQTT_RESEND_POLICY_H_
