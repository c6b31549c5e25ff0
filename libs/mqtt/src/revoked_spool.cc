#include "revoked_spool.h"

#include "bwoc/core/log.h"

namespace bwoc::mqtt {

bool drop_if_revoked(Spool& spool, const Routes& routes, const SpoolEntry& entry) {
  if (!routes.is_revoked_key(entry.peer_key)) return false;
  Status removed = spool.remove(entry.id);
  log::warning("mqtt.spool_dropped", {{"id", entry.id},
                                      {"to", entry.to},
                                      {"why", "the peer revoked its key: it needs a new invite"},
                                      {"removed", removed.ok() ? "yes" : removed.error().message()}});
  return true;
}

}  // namespace bwoc::mqtt
