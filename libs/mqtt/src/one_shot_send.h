// One envelope, end to end, on a connection of its own (one_shot_client.h):
// what `bwoc send --via mqtt` and `bwoc mqtt publish` do. The same steps as
// Publisher (publisher.h), without its threads: subscribe to the receipt
// topic, put the envelope in the spool (fdatasynced), publish it (QoS 1,
// Response Topic and Correlation Data), wait for the broker's PUBACK and then
// for the peer's receipt, which the ReceiptTracker verifies and which
// retires the spool entry.
#ifndef BWOC_MQTT_SRC_ONE_SHOT_SEND_H_
#define BWOC_MQTT_SRC_ONE_SHOT_SEND_H_

#include <chrono>

#include "bwoc/core/result.h"
#include "bwoc/core/transport.h"
#include "bwoc/core/workspace.h"
#include "bwoc/mqtt/broker.h"
#include "bwoc/mqtt/publisher.h"

namespace bwoc::mqtt {

struct OneShotTimeouts {
  std::chrono::milliseconds connect{10'000};
  // The broker's SUBACK and PUBACK: at least this, whatever the receipt's wait.
  std::chrono::milliseconds broker_answer{10'000};
  std::chrono::milliseconds receipt{10'000};
};

// Fails without spooling anything when the broker cannot be reached (the
// next transport may try); once spooled, a broker that goes away before its
// PUBACK is an error too, and the envelope stays in the spool for a retry. A
// publish the broker refuses leaves the spool (resending cannot help). No
// receipt in time is not an error: the report says not confirmed, and the
// envelope stays in the spool.
Result<SendReport> send_one_envelope(const Workspace& ws, const BrokerSettings& broker, const Outgoing& message,
                                     const OneShotTimeouts& timeouts);

}  // namespace bwoc::mqtt

#endif  // BWOC_MQTT_SRC_ONE_SHOT_SEND_H_
