// Publishing signed envelopes over MQTT, end to end.
//
// Every envelope goes into the spool (spool.h) before it is published, QoS 1,
// with an MQTT 5 Response Topic, <topic_root>/<from>/receipts, and its id as
// Correlation Data. The subscriber answers with a receipt signed by the peer's
// key once the envelope is on disk; the publisher verifies it (spec §3: from
// the peer asked, for us, answering this id) and only then forgets the
// envelope. Until then it stays in the spool, and retry() resends it.
#ifndef BWOC_MQTT_PUBLISHER_H_
#define BWOC_MQTT_PUBLISHER_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "bwoc/core/keys.h"
#include "bwoc/core/result.h"
#include "bwoc/core/transport.h"
#include "bwoc/core/workspace.h"
#include "bwoc/mqtt/broker.h"
#include "bwoc/mqtt/spool.h"

namespace bwoc::mqtt {

struct Outgoing {
  std::string envelope;  // signed, verbatim
  std::string id;
  std::string from;      // our agent (receipts come back on its topic)
  std::string to;        // "PEER/AGENT", for people
  std::string topic;     // where the peer's subscriber listens
  PublicKey peer_key;    // who must sign the receipt
};

struct PublisherOptions {
  BrokerOverrides overrides;
  std::chrono::milliseconds connect_timeout{10'000};
};

class Publisher {
 public:
  static Result<std::unique_ptr<Publisher>> open(const Workspace& ws, const std::string& broker_url,
                                                 const PublisherOptions& options = {});
  ~Publisher();

  // Queues an envelope and returns: a thread of the publisher writes what
  // was queued together to the spool with one fdatasync (group commit),
  // then publishes each (QoS 1; at most 16 unacknowledged). Nothing is
  // published before it is durable; wait() reports what failed.
  Status publish(const Outgoing& message);
  // Returns once every envelope queued so far is in the spool (durable) and
  // handed to the broker, or failed (wait() says how).
  void flush();
  // Publishes again what the spool holds for this broker (all agents, or
  // `from`), except what is no longer worth it (resend_policy.h): that
  // leaves the spool, counted in `given_up`.
  Result<std::size_t> retry(const std::string& from = {}, std::size_t* given_up = nullptr);
  // Waits until every queued envelope is spooled and published, the broker
  // acknowledged every publish and every receipt for them arrived, at most
  // `timeout`. Returns the ids still without receipt; they stay in the
  // spool. An error when an envelope could not be spooled or published, or
  // when the broker refused a publish (an ACL, say): no receipt can come.
  Result<std::vector<std::string>> wait(std::chrono::milliseconds timeout);
  // The verified receipt for `id`, once it arrived.
  std::optional<std::string> receipt(const std::string& id) const;

  const BrokerSettings& broker() const;

 private:
  struct Impl;
  explicit Publisher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Sending to a peer declared with mqtt = { broker, topic }: publishes to
// <topic>/<agent>/inbox and waits (bounded) for the signed receipt or
// answer. Without one in time the envelope stays in the spool and the
// delivery reports it as published, not confirmed.
struct MqttTransportOptions {
  std::chrono::milliseconds receipt_timeout{10'000};
  BrokerOverrides overrides;
  // Publish to this topic instead of the route's <topic>/<agent>/inbox.
  std::string exact_topic;
};

class MqttTransport : public EnvelopeTransport {
 public:
  MqttTransport(const Workspace& ws, MqttTransportOptions options = {}) : ws_(ws), options_(std::move(options)) {}
  Via via() const override { return Via::mqtt; }
  Result<SendReport> deliver(const PeerRoute& peer, const SignedEnvelope& envelope,
                             std::chrono::milliseconds timeout) override;

 private:
  const Workspace& ws_;
  MqttTransportOptions options_;
};

// <root>/<agent>/<slot>
std::string agent_topic(const std::string& root, const std::string& agent, const std::string& slot);

}  // namespace bwoc::mqtt

#endif  // BWOC_MQTT_PUBLISHER_H_
