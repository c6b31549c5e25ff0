// `bwoc mqtt subscribe`: one agent's inbox, fed from an MQTT broker.
//
// Every payload that arrives on the subscribed topics goes to the node's
// inbound layer (bwoc/core/inbound.h): every receiver check of spec §3, then
// what its kind means. Stored envelopes are in the agent's inbox exactly
// once (the replay guard drops what the broker redelivers), refused ones go
// to the refusal log. The answer (a receipt once an envelope is on disk, or
// the kind's own answer) is published to the sender's Response Topic, so
// that the sender can forget it (publisher.h).
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

#include "bwoc/core/inbound.h"
#include "bwoc/core/result.h"
#include "bwoc/core/service.h"
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

class Subscriber : public service::Service {
 public:
  // `inbound` serves options.agent and must outlive the subscriber.
  static Result<std::unique_ptr<Subscriber>> start(const Workspace& ws, const SubscribeOptions& options,
                                                   Inbound& inbound);
  // Stops reading, stores what arrived, sends the answers it can, disconnects.
  ~Subscriber() override;

  const std::vector<std::string>& topics() const;
  const std::string& client_id() const;

  // service::Service
  std::string_view kind() const override { return "mqtt"; }
  const std::string& agent() const override;
  std::string status() const override;
  std::string endpoint() const override;  // the broker
  std::vector<std::pair<std::string, std::string>> stats() const override;
  void stop() override;

  struct Counts {
    std::uint64_t received = 0, accepted = 0, duplicates = 0, refused = 0, denied = 0, failed = 0;
    std::uint64_t commits = 0, receipts_sent = 0, receipts_lost = 0, resent = 0, confirmed = 0;
    bool connected = false;
  };
  Counts counts() const;

 private:
  struct Impl;
  explicit Subscriber(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bwoc::mqtt

#endif  // BWOC_MQTT_SUBSCRIBER_H_
