// Skills as kinds of the inbound layer (bwoc/core/inbound.h):
//
//   skill.discover: a read (never stored), answered by the recipient agent's
//                   skill host with the skills the caller's tier may see;
//   skill.call:     stored exactly once, then run on the node's workers;
//                   its answer is kept, so a repeat gets the same bytes.
//
// It also sets the node's offer (what a tier sees) for transports that
// publish skills their own way (the A2A agent card).
#ifndef BWOC_SKILL_KINDS_H_
#define BWOC_SKILL_KINDS_H_

#include "bwoc/core/inbound.h"
#include "bwoc/skill/host.h"

namespace bwoc::skill {

// Each agent's skill host is opened when a request first names it.
void add_skill_kinds(Inbound& inbound, HostOptions options = {});

}  // namespace bwoc::skill

#endif  // BWOC_SKILL_KINDS_H_
