#include "bwoc/core/push_kinds.h"

#include <mutex>

#include "bwoc/core/key_ring.h"
#include "bwoc/core/log.h"
#include "bwoc/core/receipt.h"
#include "bwoc/core/requests.h"
#include "bwoc/core/result_push.h"
#include "bwoc/core/seal.h"
#include "bwoc/core/sent_log.h"

namespace bwoc {

namespace {

// The stores, opened on first use (most nodes never see a push).
class Pushes {
 public:
  explicit Pushes(Inbound& inbound) : inbound_(inbound) {}

  // The caller's end: a result pushed to us.
  Result<std::optional<std::string>> take_outcome(const InboundRequest& r) {
    auto refuse = [&](std::string_view why) {
      log::warning("request.outcome_refused", {{"peer", r.peer}, {"id", r.envelope.id}, {"reason", std::string(why)}});
      return std::optional<std::string>();  // its receipt still says it came: nothing to push again
    };
    const json::Value& payload = r.envelope.payload();
    const json::Value* document = payload.is_object() ? payload.find("answer") : nullptr;
    if (document == nullptr || !document->is_object()) return refuse("no answer inside");
    Checked<Envelope> parsed = envelope_from_document(*document);
    if (!parsed.ok()) return refuse("the answer inside does not parse: " + parsed.refusal().detail);
    Envelope answer = std::move(parsed).value();
    std::string scratch;
    if (!verify_signature(answer, scratch)) return refuse("the answer inside does not verify");
    if (answer.key != r.envelope.key) return refuse("the answer inside is from another key");
    std::shared_ptr<const WorkspaceKeys> keys = inbound_.keys();
    if (!keys->is_own(answer.aud, inbound_.now())) return refuse("the answer inside is not for us");
    if (answer.sealed) {
      auto opened = open_payload(answer, keys->seal_secrets(inbound_.now()));
      if (!opened.ok()) return refuse("the sealed answer inside does not open");
      answer.opened = std::make_shared<const json::Value>(std::move(opened).value());
    }
    BWOC_ASSIGN_OR_RETURN(RequestStore * store, requests());
    auto verdict = store->take_answer(answer, via_name(r.via));
    if (!verdict.ok()) log::warning("request.answer_not_taken", {{"error", verdict.error().message()}});
    return std::optional<std::string>();
  }

  // The provider's end: a receipt for one of our pushes.
  Result<std::optional<std::string>> take_receipt(const InboundRequest& r) {
    if (!r.envelope.re) return std::optional<std::string>();
    BWOC_ASSIGN_OR_RETURN(PushStore * store, pushes());
    std::optional<std::string> push = store->push_of_attempt(*r.envelope.re);
    if (!push) {
      BWOC_RETURN_IF_ERROR(store->refresh());
      push = store->push_of_attempt(*r.envelope.re);
    }
    if (!push) return std::optional<std::string>();  // a receipt for something else
    std::optional<PushEntry> entry = store->find(*push);
    if (!entry || entry->caller != r.envelope.key) {
      log::warning("request.receipt_refused", {{"peer", r.peer}, {"re", *r.envelope.re}, {"reason", "wrong key"}});
      return std::optional<std::string>();
    }
    BWOC_ASSIGN_OR_RETURN(bool moved, store->settle(*push, PushState::acknowledged, "receipt from the caller"));
    if (moved) {
      log::info("request.push_acknowledged", {{"peer", r.peer}, {"answer", *push}, {"via", std::string(via_name(r.via))}});
      if (auto sent = SentLog::open(inbound_.workspace()); sent.ok()) {
        SentRecord record;
        record.id = *r.envelope.re;
        record.state = SentState::receipt_verified;
        record.at = inbound_.now();
        record.via = r.via;
        record.detail = "the caller's receipt for the pushed result came back";
        (void)sent->record(record);
      }
    }
    return std::optional<std::string>();
  }

 private:
  Result<RequestStore*> requests() {
    std::lock_guard lock(mu_);
    if (!requests_) {
      BWOC_ASSIGN_OR_RETURN(requests_, RequestStore::open(inbound_.workspace()));
    }
    return requests_.get();
  }
  Result<PushStore*> pushes() {
    std::lock_guard lock(mu_);
    if (!pushes_) {
      BWOC_ASSIGN_OR_RETURN(pushes_, PushStore::open(inbound_.workspace()));
    }
    return pushes_.get();
  }

  Inbound& inbound_;
  std::mutex mu_;
  std::unique_ptr<RequestStore> requests_;
  std::unique_ptr<PushStore> pushes_;
};

}  // namespace

void add_push_kinds(Inbound& inbound) {
  auto pushes = std::make_shared<Pushes>(inbound);
  KindHandler outcome;
  outcome.stored = true;    // kept, and its receipt is the acknowledgement
  outcome.blocking = true;  // taking it syncs the outbox
  outcome.act = [pushes](const InboundRequest& r) { return pushes->take_outcome(r); };
  inbound.add_kind(std::string(kOutcomeKind), std::move(outcome));

  KindHandler receipt;
  receipt.stored = false;  // receipts are never kept
  receipt.blocking = true;
  receipt.act = [pushes](const InboundRequest& r) { return pushes->take_receipt(r); };
  inbound.add_kind(std::string(kReceiptKind), std::move(receipt));
}

}  // namespace bwoc
