#include "bwoc/mqtt/publisher.h"

#include <algorithm>
#include <mutex>
#include <set>

#include "bwoc/core/envelope.h"
#include "bwoc/core/log.h"
#include "connection.h"
#include "receipt_tracker.h"
#include "undeliverable_spool.h"

namespace bwoc::mqtt {

std::string agent_topic(const std::string& root, const std::string& agent, const std::string& slot) {
  return root + "/" + agent + "/" + slot;
}

struct Publisher::Impl {
  Impl(BrokerSettings b, Spool spool, PublicKey self_key)
      : broker(std::move(b)), tracker(std::move(spool), self_key), self(self_key) {}

  // Receipts for `from` come back on its topic; subscribe before the first
  // publish so that none is missed.
  Status ensure_receipt_subscription(const std::string& from) {
    std::string topic = agent_topic(broker.topic_root, from, "receipts");
    if (subscribed.count(topic) > 0) return ok_status();
    BWOC_RETURN_IF_ERROR(connection->subscribe(topic));
    subscribed.insert(topic);
    return ok_status();
  }

  Status send(const std::string& id, const std::string& from, const std::string& topic, const std::string& envelope,
              const PublicKey& peer) {
    if (!is_valid_topic_name(topic)) return Error(Errc::invalid_argument, "not a topic to publish to: " + topic);
    BWOC_RETURN_IF_ERROR(ensure_receipt_subscription(from));
    // Its receipt is addressed to the key that signed it (a rotation may
    // have made that the previous one).
    auto sent_envelope = parse_envelope(envelope);
    tracker.expect(id, peer, sent_envelope.ok() ? sent_envelope.value().key : self);
    sent.push_back(id);
    return connection->publish_windowed(topic, envelope, id,
                                        agent_topic(broker.topic_root, from, "receipts"));
  }

  BrokerSettings broker;
  std::filesystem::path routes_file;
  std::filesystem::path root;
  ReceiptTracker tracker;
  PublicKey self;
  std::unique_ptr<Connection> connection;
  std::set<std::string> subscribed;
  std::vector<std::string> sent;
};

Publisher::Publisher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Publisher::~Publisher() = default;

Result<std::unique_ptr<Publisher>> Publisher::open(const Workspace& ws, const std::string& broker_url,
                                                   const PublisherOptions& options) {
  BWOC_ASSIGN_OR_RETURN(BrokerSettings broker, broker_settings(ws, broker_url, options.overrides));
  BWOC_ASSIGN_OR_RETURN(PublicKey self, ws.public_key());
  BWOC_ASSIGN_OR_RETURN(Spool spool, Spool::open(ws));
  auto impl = std::make_unique<Impl>(broker, std::move(spool), self);
  impl->routes_file = ws.routes_file();
  impl->root = ws.root();
  ConnectionOptions co;
  co.broker = broker;
  co.client_id = "bwoc-pub-" + random_id().substr(0, 12);
  co.connect_timeout = std::chrono::duration_cast<std::chrono::seconds>(options.connect_timeout);
  Impl* raw = impl.get();
  BWOC_ASSIGN_OR_RETURN(impl->connection,
                        Connection::open(co, [raw](IncomingMessage m) { raw->tracker.on_message(m.payload); },
                                         [](const std::string& what) {
                                           log::event(log::Level::debug, "mqtt.connection", {{"event", what}});
                                         }));
  return std::unique_ptr<Publisher>(new Publisher(std::move(impl)));
}

const BrokerSettings& Publisher::broker() const { return impl_->broker; }

Status Publisher::publish(const Outgoing& m) {
  SpoolEntry entry;
  entry.id = m.id;
  entry.from = m.from;
  entry.to = m.to;
  entry.broker = impl_->broker.url.text();
  entry.topic = m.topic;
  entry.reply_topic = agent_topic(impl_->broker.topic_root, m.from, "receipts");
  entry.peer_key = m.peer_key;
  entry.created = now_millis();
  entry.envelope = m.envelope;
  BWOC_RETURN_IF_ERROR(impl_->tracker.spool().put(entry));
  return impl_->send(m.id, m.from, m.topic, m.envelope, m.peer_key);
}

Result<std::size_t> Publisher::retry(const std::string& from) {
  BWOC_ASSIGN_OR_RETURN(std::vector<SpoolEntry> entries, impl_->tracker.spool().list());
  BWOC_ASSIGN_OR_RETURN(Routes routes, Routes::load(impl_->routes_file, impl_->root));
  std::size_t n = 0;
  for (const SpoolEntry& e : entries) {
    if (e.broker != impl_->broker.url.text() || (!from.empty() && e.from != from)) continue;
    if (drop_if_undeliverable(impl_->tracker.spool(), routes, e, e.peer_key == impl_->self)) continue;
    BWOC_RETURN_IF_ERROR(impl_->send(e.id, e.from, e.topic, e.envelope, e.peer_key));
    ++n;
  }
  return n;
}

Result<std::vector<std::string>> Publisher::wait(std::chrono::milliseconds timeout) {
  // The broker's PUBACK is waited for even when receipts are not: only then
  // is the envelope known to have left this machine.
  if (Status st = impl_->connection->drain(std::max(timeout, std::chrono::milliseconds(10'000))); !st.ok()) {
    if (st.error().code() == Errc::refused) {
      // The broker said no (an ACL): resending cannot help. A lone envelope
      // leaves the spool, and the caller reports it as not sent.
      if (impl_->sent.size() == 1) (void)impl_->tracker.spool().remove(impl_->sent.front());
      return st.error();
    }
    log::warning("mqtt.publish_unacknowledged", {{"error", st.error().message()}});
  }
  return impl_->tracker.wait(impl_->sent, std::chrono::steady_clock::now() + timeout);
}

std::optional<std::string> Publisher::receipt(const std::string& id) const { return impl_->tracker.receipt(id); }

Result<SendReport> MqttTransport::deliver(const PeerRoute& peer, const SignedEnvelope& signed_envelope,
                                          std::chrono::milliseconds timeout) {
  const std::string& envelope_text = signed_envelope.text;
  const Envelope& envelope = signed_envelope.envelope;
  if (!peer.mqtt) return Error(Errc::unavailable, "peer \"" + peer.key + "\" has no mqtt route");
  PublisherOptions po;
  po.overrides = options_.overrides;
  auto publisher = Publisher::open(ws_, peer.mqtt->broker, po);
  if (!publisher.ok()) {
    // Unreachable now: keep nothing, let the next transport try.
    return publisher.error().code() == Errc::unavailable || publisher.error().code() == Errc::timeout
               ? Error(Errc::unavailable, publisher.error().message())
               : publisher.error();
  }
  Outgoing m;
  m.envelope = envelope_text;
  m.id = envelope.id;
  m.from = envelope.from;
  m.to = peer.key + "/" + envelope.to;
  m.topic = options_.exact_topic.empty() ? agent_topic(peer.mqtt->topic, envelope.to, "inbox") : options_.exact_topic;
  m.peer_key = peer.pubkey;
  if (!is_valid_topic_name(m.topic)) {
    return Error(Errc::invalid_argument, "cannot publish to \"" + m.topic + "\": wildcards are for subscribing");
  }
  BWOC_RETURN_IF_ERROR((*publisher)->publish(m));
  BWOC_ASSIGN_OR_RETURN(std::vector<std::string> pending, (*publisher)->wait(std::min(options_.receipt_timeout, timeout)));
  SendReport report;
  report.via = Via::mqtt;
  if (pending.empty()) {
    report.confirmed = true;
    report.reply = (*publisher)->receipt(envelope.id);
    report.detail = "published to " + m.topic + " on " + (*publisher)->broker().url.text() + ", receipt verified";
  } else {
    report.detail = "published to " + m.topic + " on " + (*publisher)->broker().url.text() +
                    "; no receipt yet, kept in the spool for `bwoc mqtt spool --retry`";
  }
  return report;
}

}  // namespace bwoc::mqtt
