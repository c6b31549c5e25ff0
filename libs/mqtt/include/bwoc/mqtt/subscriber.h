// `bwoc mqtt subscribe`: one agent's inbox, fed from an MQTT broker.
//
// Every payload that arrives on the subscribed topics goes through every
// receiver check of spec §3; accepted envelopes are appended to the agent's
// inbox exactly once (the receiver's replay guard drops what the broker
// redelivers), refused ones go to the refusal log. Once an envelope is on
// disk the subscriber publishes its signed receipt to the sender's Response
// Topic, so that the sender can forget it (publisher.h).
//
// The session is persistent (clean start off, with a session expiry), so the
// broker keeps QoS 1 messages while the subscriber is away; reconnects back
// off from 1 s to 30 s and subscribe again. The broker may not send packets
// larger than an envelope, and at most `max_pending` envelopes (64 MiB) are between
// arrival and receipt: beyond that the subscriber stops reading and the
// broker holds the rest.
#ifndef BWOC_MQTT_SUBSCRIBER_H_
#define BWOC_MQTT_SUBSCRIBER_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bwoc/core/result.h"
#include "bwoc/core/workspace.h"
#include "bwoc/mqtt/broker.h"

namespace bwoc::mqtt {

struct SubscribeOptions {
  std::string agent;
  std::string broker_url;
  std::vector<std::string> topics;  // default: <topic_root>/<agent>/inbox
  BrokerOverrides overrides;
  std::string client_id;            // default: derived from the workspace key and the agent
  std::chrono::seconds session_expiry{7 * 86'400};
  std::size_t max_pending = 1024;
  // How often this agent's own unconfirmed envelopes in the spool are resent.
  std::chrono::seconds retry_interval{30};
};

class Subscriber {
 public:
  static Result<std::unique_ptr<Subscriber>> start(const Workspace& ws, const SubscribeOptions& options);
  // Stops reading, stores what arrived, sends the receipts it can, disconnects.
  ~Subscriber();
  void stop();

  const std::vector<std::string>& topics() const;
  const std::string& client_id() const;

  struct Stats {
    std::uint64_t received = 0, accepted = 0, duplicates = 0, refused = 0, denied = 0, failed = 0;
    std::uint64_t commits = 0, receipts_sent = 0, receipts_lost = 0, resent = 0, confirmed = 0;
    bool connected = false;
  };
  Stats stats() const;

 private:
  struct Impl;
  explicit Subscriber(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Runs a subscriber until SIGTERM or SIGINT: says it is ready (a log line,
// and READY=1 to systemd), logs a stats line every minute, then stops cleanly.
Status subscribe(const Workspace& ws, const SubscribeOptions& options,
                 const std::function<void(const Subscriber&)>& on_ready);

}  // namespace bwoc::mqtt

#endif  // BWOC_MQTT_SUBSCRIBER_H_
