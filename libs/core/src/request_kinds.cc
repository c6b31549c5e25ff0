#include "bwoc/core/request_kinds.h"

#include <mutex>

#include "bwoc/core/log.h"
#include "bwoc/core/requests.h"

namespace bwoc {

namespace {

// The store, opened when the first answer comes (most nodes never ask).
class Answers {
 public:
  explicit Answers(const Workspace& ws) : ws_(ws) {}

  Result<std::optional<std::string>> take(const InboundRequest& r) {
    // Only an answer with a `re` can be about a request of ours.
    if (!r.envelope.re) return std::optional<std::string>();
    BWOC_ASSIGN_OR_RETURN(RequestStore * store, open());
    auto verdict = store->take_answer(r.envelope, via_name(r.via));
    if (!verdict.ok()) log::warning("request.answer_not_taken", {{"error", verdict.error().message()}});
    return std::optional<std::string>();
  }

 private:
  Result<RequestStore*> open() {
    std::lock_guard lock(mu_);
    if (!store_) {
      BWOC_ASSIGN_OR_RETURN(store_, RequestStore::open(ws_));
    }
    return store_.get();
  }

  Workspace ws_;
  std::mutex mu_;
  std::unique_ptr<RequestStore> store_;
};

}  // namespace

void add_request_kinds(Inbound& inbound) {
  auto answers = std::make_shared<Answers>(inbound.workspace());
  for (std::string_view kind : {"skill.result", "error"}) {
    KindHandler h;
    h.stored = true;     // in the inbox like every answer
    h.blocking = true;   // taking it syncs the outbox: not on the commit thread
    h.act = [answers](const InboundRequest& r) { return answers->take(r); };
    inbound.add_kind(std::string(kind), std::move(h));
  }
}

}  // namespace bwoc
