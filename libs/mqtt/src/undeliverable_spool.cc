#include "undeliverable_spool.h"

#include "bwoc/core/log.h"

namespace bwoc::mqtt {

bool drop_if_undeliverable(Spool& spool, const Routes& routes, const SpoolEntry& entry, bool own) {
  if (own || routes.may_send_to_key(entry.peer_key)) return false;
  Status removed = spool.remove(entry.id);
  log::warning("mqtt.spool_dropped",
               {{"id", entry.id},
                {"to", entry.to},
                {"why", "no declared peer holds its key any more (revoked, removed, or declared again from a new invite)"},
                {"removed", removed.ok() ? "yes" : removed.error().message()}});
  return true;
}

}  // namespace bwoc::mqtt
