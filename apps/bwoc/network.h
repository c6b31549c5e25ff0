// The transports this build of bwoc can use, for sending.
#ifndef BWOC_APPS_BWOC_NETWORK_H_
#define BWOC_APPS_BWOC_NETWORK_H_

#include "bwoc/core/workspace.h"
#include "bwoc/peer/network.h"
#include "bwoc/peer/reach.h"

namespace bwoc::cli {

peer::Network make_network(const Workspace& ws);
// How `peer list` checks each transport in this build.
peer::Probers make_probers();

}  // namespace bwoc::cli

#endif  // BWOC_APPS_BWOC_NETWORK_H_
