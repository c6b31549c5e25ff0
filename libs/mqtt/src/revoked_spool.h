// The MQTT spool and revoked peers: an envelope that waits for a receipt from
// a peer whose key was revoked since is never sent again. It is sealed to,
// and addressed to, keys now in other hands, and the peer's new key will
// refuse it anyway; it leaves the spool with a log line that says why.
#ifndef BWOC_MQTT_REVOKED_SPOOL_H_
#define BWOC_MQTT_REVOKED_SPOOL_H_

#include "bwoc/core/routes.h"
#include "bwoc/mqtt/spool.h"

namespace bwoc::mqtt {

// True when `entry` was for a revoked peer (and is now out of `spool`).
bool drop_if_revoked(Spool& spool, const Routes& routes, const SpoolEntry& entry);

}  // namespace bwoc::mqtt

#endif  // BWOC_MQTT_REVOKED_SPOOL_H_
