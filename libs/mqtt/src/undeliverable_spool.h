// The MQTT spool and peers that went: an envelope that waits for a receipt
// is never sent again once no declared peer holds the key it is addressed
// and sealed to (the peer revoked it, was removed, or was declared again from
// a new invite). That key may be in other hands, and the peer's new key
// refuses it anyway; it leaves the spool with a log line that says why.
#ifndef BWOC_MQTT_UNDELIVERABLE_SPOOL_H_
#define BWOC_MQTT_UNDELIVERABLE_SPOOL_H_

#include "bwoc/core/routes.h"
#include "bwoc/mqtt/spool.h"

namespace bwoc::mqtt {

// True when `entry` may not go out any more (and is now out of `spool`).
// `own`: whether its key is this workspace's (an envelope to ourselves).
bool drop_if_undeliverable(Spool& spool, const Routes& routes, const SpoolEntry& entry, bool own);

}  // namespace bwoc::mqtt

#endif  // BWOC_MQTT_UNDELIVERABLE_SPOOL_H_
