#include "one_shot_send.h"

#include <algorithm>

#include "bwoc/core/envelope.h"
#include "bwoc/core/sent_log.h"
#include "one_shot_client.h"
#include "receipt_tracker.h"

namespace bwoc::mqtt {

Result<SendReport> send_one_envelope(const Workspace& ws, const BrokerSettings& broker, const Outgoing& m,
                                     const OneShotTimeouts& timeouts) {
  using Clock = OneShotClient::Clock;
  if (!is_valid_envelope_id(m.id)) return Error(Errc::invalid_argument, "not an envelope id: " + m.id);
  if (!is_valid_topic_name(m.topic)) return Error(Errc::invalid_argument, "not a topic to publish to: " + m.topic);
  BWOC_ASSIGN_OR_RETURN(PublicKey self, ws.public_key());
  BWOC_ASSIGN_OR_RETURN(Spool spool, Spool::open(ws));
  auto sent_log = SentLog::open(ws);
  ReceiptTracker tracker(std::move(spool), self,
                         sent_log.ok() ? std::optional<SentLog>(std::move(sent_log).value()) : std::nullopt);

  ConnectionOptions co;
  co.broker = broker;
  co.client_id = "bwoc-send-" + random_id().substr(0, 12);
  co.connect_timeout = std::max(std::chrono::seconds(1), std::chrono::ceil<std::chrono::seconds>(timeouts.connect));
  BWOC_ASSIGN_OR_RETURN(
      std::unique_ptr<OneShotClient> client,
      OneShotClient::connect(co, [&tracker](const std::string&, const std::string& payload) {
        tracker.on_message(payload);
      }));

  // Subscribed before publishing, so that the receipt cannot come first.
  SpoolEntry entry;
  entry.id = m.id;
  entry.from = m.from;
  entry.to = m.to;
  entry.broker = broker.url.text();
  entry.topic = m.topic;
  entry.reply_topic = agent_topic(broker.topic_root, m.from, "receipts");
  entry.peer_key = m.peer_key;
  entry.created = now_millis();
  entry.envelope = m.envelope;
  BWOC_RETURN_IF_ERROR(client->subscribe(entry.reply_topic, Clock::now() + timeouts.broker_answer));

  // Durable before it leaves this machine.
  BWOC_RETURN_IF_ERROR(tracker.spool().put(entry));
  // Its receipt is addressed to the key that signed it (a rotation may have
  // made that the previous one).
  auto sent_envelope = parse_envelope(m.envelope);
  tracker.expect(m.id, m.peer_key, sent_envelope.ok() ? sent_envelope.value().key : self);

  Clock::time_point published_by = Clock::now() + std::max(timeouts.broker_answer, timeouts.receipt);
  if (Status st = client->publish(m.topic, m.envelope, entry.reply_topic, m.id, published_by); !st.ok()) {
    if (st.error().code() == Errc::refused) {
      // The broker said no (an ACL): resending cannot help.
      (void)tracker.spool().remove(m.id, "refused by the broker");
      return st.error();
    }
    return Error(st.error().code(), st.error().message() + "; " + m.id +
                                        " is kept in the spool for `bwoc mqtt spool --retry`");
  }

  // A broker that hangs up after its PUBACK took the envelope: its receipt
  // may still come later, to a retry.
  auto receipt_came = client->run_until([&] { return tracker.receipt(m.id).has_value(); },
                                        Clock::now() + timeouts.receipt);
  SendReport report;
  report.via = Via::mqtt;
  std::string where = "published to " + m.topic + " on " + broker.url.text();
  if (receipt_came.ok() && *receipt_came) {
    report.confirmed = true;
    report.reply = tracker.receipt(m.id);
    report.detail = where + ", receipt verified";
  } else {
    report.detail = where + "; no receipt yet, kept in the spool for `bwoc mqtt spool --retry`";
  }
  return report;
}

}  // namespace bwoc::mqtt
