#include "bwoc/core/request_kinds.h"

#include <map>
#include <mutex>

#include "bwoc/core/log.h"
#include "bwoc/core/requests.h"

namespace bwoc {

namespace {

// The store, opened when the first answer comes (most nodes never ask).
class Answers {
 public:
  Answers(const Workspace& ws, std::function<UnixMillis()> clock) : ws_(ws), clock_(std::move(clock)) {}

  // Before the answer is stored: one the store would refuse never reaches
  // the inbox. Two answers that would each settle the same request (two
  // attempts answered, taken in together) are told apart here, before
  // either is taken: the first one through is the one kept.
  std::optional<std::string> admit(const Envelope& answer) {
    if (!answer.re) return std::nullopt;
    auto store = open();
    auto judged = store.ok() ? store.value()->judge_answer(answer, clock_())
                             : Result<RequestStore::Judgement>(store.error());
    if (!judged.ok()) {
      // Stored as before; taking it is tried again (and logged) once it is.
      log::warning("request.answer_not_judged", {{"id", answer.id}, {"error", judged.error().message()}});
      return std::nullopt;
    }
    if (judged->verdict == AnswerVerdict::refused) return judged->reason;
    if (judged->verdict != AnswerVerdict::taken || !is_final(judged->change.state)) return std::nullopt;
    std::lock_guard lock(mu_);
    auto [settling, first] = settling_.try_emplace(judged->change.request, answer.id);
    if (first || settling->second == answer.id) return std::nullopt;
    std::string why = "replayed: another answer settles the request";
    log::info("request.answer_refused", {{"reason", why}, {"request", judged->change.request}, {"kind", answer.kind}});
    return why;
  }

  Result<std::optional<std::string>> take(const InboundRequest& r) {
    // Only an answer with a `re` can be about a request of ours.
    if (!r.envelope.re) return std::optional<std::string>();
    BWOC_ASSIGN_OR_RETURN(RequestStore * store, open());
    auto verdict = store->take_answer(r.envelope, via_name(r.via), clock_());
    if (!verdict.ok()) log::warning("request.answer_not_taken", {{"error", verdict.error().message()}});
    {
      // Taken (or not): the store itself now says what a later answer is.
      std::lock_guard lock(mu_);
      std::erase_if(settling_, [&](const auto& s) { return s.second == r.envelope.id; });
    }
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
  std::function<UnixMillis()> clock_;
  std::mutex mu_;
  std::unique_ptr<RequestStore> store_;
  // Request id → the answer admitted to settle it, until it is taken.
  std::map<std::string, std::string> settling_;
};

}  // namespace

void add_request_kinds(Inbound& inbound) {
  Inbound* node = &inbound;  // owns the handlers, so outlives them
  auto answers = std::make_shared<Answers>(inbound.workspace(), [node] { return node->now(); });
  for (std::string_view kind : {"skill.result", "error"}) {
    KindHandler h;
    h.stored = true;     // in the inbox like every answer
    h.blocking = true;   // taking it syncs the outbox: not on the commit thread
    h.admit = [answers](const Envelope& answer) { return answers->admit(answer); };
    h.act = [answers](const InboundRequest& r) { return answers->take(r); };
    inbound.add_kind(std::string(kind), std::move(h));
  }
}

}  // namespace bwoc
