#include "bwoc/mqtt/publisher.h"

#include <algorithm>
#include <mutex>
#include <set>

#include "bwoc/core/commit_queue.h"
#include "bwoc/core/envelope.h"
#include "bwoc/core/log.h"
#include "bwoc/mqtt/resend_policy.h"
#include "connection.h"
#include "one_shot_send.h"
#include "receipt_tracker.h"

namespace bwoc::mqtt {

std::string agent_topic(const std::string& root, const std::string& agent, const std::string& slot) {
  return root + "/" + agent + "/" + slot;
}

// What the commit thread publishes: a new envelope (spooled first), or one
// the spool holds already (a retry).
struct PendingPublish {
  SpoolEntry entry;
  bool spooled = false;
};

struct Publisher::Impl {
  Impl(const Workspace& w, BrokerSettings b, Spool spool, PublicKey self_key, std::optional<SentLog> sent_log)
      : ws(w), broker(std::move(b)), tracker(std::move(spool), self_key, std::move(sent_log)), self(self_key) {}

  // Receipts for `from` come back on its topic; subscribe before the first
  // publish so that none is missed.
  Status ensure_receipt_subscription(const std::string& from) {
    std::string topic = agent_topic(broker.topic_root, from, "receipts");
    if (subscribed.count(topic) > 0) return ok_status();
    BWOC_RETURN_IF_ERROR(connection->subscribe(topic));
    subscribed.insert(topic);
    return ok_status();
  }

  Status send(const SpoolEntry& e) {
    BWOC_RETURN_IF_ERROR(ensure_receipt_subscription(e.from));
    // Its receipt is addressed to the key that signed it (a rotation may
    // have made that the previous one).
    auto sent_envelope = parse_envelope(e.envelope);
    tracker.expect(e.id, e.peer_key, sent_envelope.ok() ? sent_envelope.value().key : self);
    {
      std::lock_guard lock(mu);
      sent.push_back(e.id);
    }
    return connection->publish_windowed(e.topic, e.envelope, e.id, e.reply_topic);
  }

  void note_failure(const Error& error) {
    std::lock_guard lock(mu);
    if (!failure) failure = error;
  }

  // On the commit thread: one write and one fdatasync for every new
  // envelope of the batch, then each is published. Nothing is published
  // before it is durable.
  void commit(std::vector<PendingPublish>& batch) {
    std::vector<SpoolEntry> fresh;
    for (const PendingPublish& p : batch) {
      if (!p.spooled) fresh.push_back(p.entry);
    }
    bool spooled = true;
    if (!fresh.empty()) {
      if (Status st = tracker.spool().put_all(fresh); !st.ok()) {
        note_failure(st.error());
        spooled = false;
      }
    }
    for (const PendingPublish& p : batch) {
      if (!p.spooled && !spooled) continue;
      if (Status st = send(p.entry); !st.ok()) {
        note_failure(st.error());
        // The broker is away: the rest stays in the spool for a retry.
        if (st.error().code() != Errc::refused) break;
      }
    }
  }

  void start() {
    queue = std::make_unique<CommitQueue<PendingPublish>>(
        CommitQueueOptions{}, [this](std::vector<PendingPublish>& batch) { commit(batch); });
  }

  Workspace ws;
  BrokerSettings broker;
  ReceiptTracker tracker;
  PublicKey self;
  std::unique_ptr<Connection> connection;
  std::set<std::string> subscribed;  // the commit thread's
  std::mutex mu;                     // guards sent and failure
  std::vector<std::string> sent;
  std::optional<Error> failure;
  // Last: stopped (committing what it holds) before the connection goes.
  std::unique_ptr<CommitQueue<PendingPublish>> queue;
};

Publisher::Publisher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Publisher::~Publisher() = default;

Result<std::unique_ptr<Publisher>> Publisher::open(const Workspace& ws, const std::string& broker_url,
                                                   const PublisherOptions& options) {
  BWOC_ASSIGN_OR_RETURN(BrokerSettings broker, broker_settings(ws, broker_url, options.overrides));
  BWOC_ASSIGN_OR_RETURN(PublicKey self, ws.public_key());
  BWOC_ASSIGN_OR_RETURN(Spool spool, Spool::open(ws));
  auto sent = SentLog::open(ws);
  auto impl = std::make_unique<Impl>(ws, broker, std::move(spool), self,
                                     sent.ok() ? std::optional<SentLog>(std::move(sent).value()) : std::nullopt);
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
  impl->start();
  return std::unique_ptr<Publisher>(new Publisher(std::move(impl)));
}

const BrokerSettings& Publisher::broker() const { return impl_->broker; }

Status Publisher::publish(const Outgoing& m) {
  if (!is_valid_envelope_id(m.id)) return Error(Errc::invalid_argument, "not an envelope id: " + m.id);
  if (!is_valid_topic_name(m.topic)) return Error(Errc::invalid_argument, "not a topic to publish to: " + m.topic);
  PendingPublish p;
  SpoolEntry& entry = p.entry;
  entry.id = m.id;
  entry.from = m.from;
  entry.to = m.to;
  entry.broker = impl_->broker.url.text();
  entry.topic = m.topic;
  entry.reply_topic = agent_topic(impl_->broker.topic_root, m.from, "receipts");
  entry.peer_key = m.peer_key;
  entry.created = now_millis();
  entry.envelope = m.envelope;
  impl_->queue->push(std::move(p));
  return ok_status();
}

Result<std::size_t> Publisher::retry(const std::string& from, std::size_t* given_up) {
  BWOC_ASSIGN_OR_RETURN(std::vector<SpoolEntry> entries, impl_->tracker.spool().list());
  std::erase_if(entries, [&](const SpoolEntry& e) {
    return e.broker != impl_->broker.url.text() || (!from.empty() && e.from != from);
  });
  entries = still_worth_resending(impl_->ws, impl_->tracker.spool(), std::move(entries), given_up);
  for (SpoolEntry& e : entries) impl_->queue->push(PendingPublish{std::move(e), true});
  return entries.size();
}

void Publisher::flush() { impl_->queue->flush(); }

Result<std::vector<std::string>> Publisher::wait(std::chrono::milliseconds timeout) {
  flush();
  std::vector<std::string> sent;
  std::optional<Error> failure;
  {
    std::lock_guard lock(impl_->mu);
    sent = impl_->sent;
    failure = impl_->failure;
  }
  // The broker's PUBACK is waited for even when receipts are not: only then
  // is the envelope known to have left this machine.
  Status st = failure ? Status(*failure) : impl_->connection->drain(std::max(timeout, std::chrono::milliseconds(10'000)));
  if (!st.ok()) {
    // Not spooled (a full disk, a full spool), or the broker away: what was
    // spooled stays there for a retry.
    if (st.error().code() != Errc::refused && failure) return st.error();
    if (st.error().code() == Errc::refused) {
      // The broker said no (an ACL): resending cannot help. A lone envelope
      // leaves the spool, and the caller reports it as not sent.
      if (sent.size() == 1) (void)impl_->tracker.spool().remove(sent.front(), "refused by the broker");
      return st.error();
    }
    log::warning("mqtt.publish_unacknowledged", {{"error", st.error().message()}});
  }
  return impl_->tracker.wait(sent, std::chrono::steady_clock::now() + timeout);
}

std::optional<std::string> Publisher::receipt(const std::string& id) const { return impl_->tracker.receipt(id); }

Result<SendReport> MqttTransport::deliver(const PeerRoute& peer, const SignedEnvelope& signed_envelope,
                                          std::chrono::milliseconds timeout) {
  const Envelope& envelope = signed_envelope.envelope;
  if (!peer.mqtt) return Error(Errc::unavailable, "peer \"" + peer.key + "\" has no mqtt route");
  Outgoing m;
  m.envelope = signed_envelope.text;
  m.id = envelope.id;
  m.from = envelope.from;
  m.to = peer.key + "/" + envelope.to;
  m.topic = options_.exact_topic.empty() ? agent_topic(peer.mqtt->topic, envelope.to, "inbox") : options_.exact_topic;
  m.peer_key = peer.pubkey;
  if (!is_valid_topic_name(m.topic)) {
    return Error(Errc::invalid_argument, "cannot publish to \"" + m.topic + "\": wildcards are for subscribing");
  }
  BWOC_ASSIGN_OR_RETURN(BrokerSettings broker, broker_settings(ws_, peer.mqtt->broker, options_.overrides));
  // One envelope: a connection of its own, without Paho's threads (one_shot_send.h).
  OneShotTimeouts timeouts;
  timeouts.receipt = std::min(options_.receipt_timeout, timeout);
  auto report = send_one_envelope(ws_, broker, m, timeouts);
  // Unreachable now: nothing was kept (or it waits in the spool); the next transport may try.
  if (!report.ok() && report.error().code() == Errc::timeout) return Error(Errc::unavailable, report.error().message());
  return report;
}

}  // namespace bwoc::mqtt
