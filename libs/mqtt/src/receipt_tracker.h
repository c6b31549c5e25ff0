// Matches receipts that come back over MQTT to spooled envelopes.
//
// A receipt is taken only when it verifies against the spool entry it
// answers: signed by the key of the peer that was asked, addressed to this
// workspace, `re` the envelope's id. Then the entry leaves the spool. Anyone
// can publish on a receipt topic; what does not verify is logged and ignored.
#ifndef BWOC_MQTT_SRC_RECEIPT_TRACKER_H_
#define BWOC_MQTT_SRC_RECEIPT_TRACKER_H_

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "bwoc/core/keys.h"
#include "bwoc/core/sent_log.h"
#include "bwoc/mqtt/spool.h"

namespace bwoc::mqtt {

class ReceiptTracker {
 public:
  // `self`: the key receipts are addressed to when the envelope's own is
  // unknown. Each confirmation is recorded in `sent` (sent_log.h), when given.
  ReceiptTracker(Spool spool, PublicKey self, std::optional<SentLog> sent = std::nullopt)
      : spool_(std::move(spool)), self_(self), sent_(std::move(sent)) {}

  Spool& spool() { return spool_; }

  // Records that a receipt for `id` signed by `peer`, addressed to `asker`
  // (the key that signed the envelope), is awaited.
  void expect(const std::string& id, const PublicKey& peer, const PublicKey& asker);
  // A message that arrived on a receipt topic. True when it confirmed an envelope.
  bool on_message(const std::string& payload);
  // Waits until none of `ids` is still awaited, at most until `deadline`.
  // Returns those still awaited.
  std::vector<std::string> wait(const std::vector<std::string>& ids, std::chrono::steady_clock::time_point deadline);
  std::optional<std::string> receipt(const std::string& id) const;
  std::uint64_t confirmed() const;

 private:
  Spool spool_;
  PublicKey self_;
  std::optional<SentLog> sent_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::pair<PublicKey, PublicKey>> awaited_;  // id → (peer, asker)
  std::map<std::string, std::string> receipts_;  // kept only for ids awaited here
  std::uint64_t confirmed_ = 0;
};

}  // namespace bwoc::mqtt

#endif  // BWOC_MQTT_SRC_RECEIPT_TRACKER_H_
