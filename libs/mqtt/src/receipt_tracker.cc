#include "receipt_tracker.h"

#include "bwoc/core/envelope.h"
#include "bwoc/core/log.h"
#include "bwoc/core/receipt.h"

namespace bwoc::mqtt {

void ReceiptTracker::expect(const std::string& id, const PublicKey& peer, const PublicKey& asker) {
  std::lock_guard<std::mutex> lk(mu_);
  awaited_[id] = {peer, asker};
}

bool ReceiptTracker::on_message(const std::string& payload) {
  auto parsed = parse_envelope(payload);
  if (!parsed.ok() || !parsed.value().re) {
    log::warning("mqtt.receipt_ignored", {{"why", "not a signed answer"}});
    return false;
  }
  const std::string& id = *parsed.value().re;
  std::optional<PublicKey> peer;
  PublicKey asker = self_;
  bool awaited_here = false;
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (auto it = awaited_.find(id); it != awaited_.end()) {
      peer = it->second.first;
      asker = it->second.second;
      awaited_here = true;
    }
  }
  if (!peer) {
    // Sent by another process of this workspace, or before a restart.
    auto entry = spool_.get(id);
    if (!entry) return false;  // already confirmed: a repeated receipt
    peer = entry->peer_key;
    // Addressed to the key that signed it, which a rotation may have made the previous one.
    if (auto sent = parse_envelope(entry->envelope); sent.ok()) asker = sent.value().key;
  }
  auto checked = verify_answer(payload, *peer, asker, id);
  if (!checked.ok()) {
    log::warning("mqtt.receipt_refused", {{"id", id}, {"reason", std::string(reason_code(checked.refusal().reason))}});
    return false;
  }
  if (Status st = spool_.remove(id); !st.ok()) {
    log::warning("mqtt.spool_remove_failed", {{"id", id}, {"error", st.error().message()}});
  }
  if (sent_) {
    SentRecord r;
    r.id = id;
    r.via = Via::mqtt;
    r.state = SentState::receipt_verified;
    r.detail = "receipt verified from the MQTT spool";
    (void)sent_->record(r);
  }
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (awaited_here && awaited_.erase(id) > 0) receipts_[id] = payload;
    ++confirmed_;
  }
  cv_.notify_all();
  return true;
}

std::vector<std::string> ReceiptTracker::wait(const std::vector<std::string>& ids,
                                              std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lk(mu_);
  // Receipts come back about in the order sent: each wake-up looks on from
  // the first id still awaited, so that waiting for n costs O(n) in all,
  // not O(n) for every receipt.
  std::size_t first_awaited = 0;
  cv_.wait_until(lk, deadline, [&] {
    while (first_awaited < ids.size() && awaited_.count(ids[first_awaited]) == 0) ++first_awaited;
    return first_awaited == ids.size();
  });
  std::vector<std::string> out;
  for (std::size_t i = first_awaited; i < ids.size(); ++i) {
    if (awaited_.count(ids[i]) > 0) out.push_back(ids[i]);
  }
  return out;
}

std::optional<std::string> ReceiptTracker::receipt(const std::string& id) const {
  std::lock_guard<std::mutex> lk(mu_);
  auto it = receipts_.find(id);
  if (it == receipts_.end()) return std::nullopt;
  return it->second;
}

std::uint64_t ReceiptTracker::confirmed() const {
  std::lock_guard<std::mutex> lk(mu_);
  return confirmed_;
}

}  // namespace bwoc::mqtt
