// The caller's side of requests in the inbound layer: answers (skill.result,
// error) that come back to one of this workspace's requests, by any
// transport (a drop into our folder, a push to our A2A or MQTT endpoint), go
// to the request store (requests.h). It judges each one before it is stored
// (KindHandler::admit): one it refuses (from the wrong key, for a request we
// never made, after the deadline, a second answer to a settled request) is
// logged, counted as refused, and never reaches the agent's inbox; one it
// takes is stored, then moves its request. Answers to anything else are
// stored as before and left alone.
#ifndef BWOC_CORE_REQUEST_KINDS_H_
#define BWOC_CORE_REQUEST_KINDS_H_

#include "bwoc/core/inbound.h"

namespace bwoc {

void add_request_kinds(Inbound& inbound);

}  // namespace bwoc

#endif  // BWOC_CORE_REQUEST_KINDS_H_
