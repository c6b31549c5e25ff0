#include "bwoc/skill/kinds.h"

#include <map>
#include <mutex>

#include "bwoc/core/log.h"
#include "bwoc/core/request_ledger.h"
#include "bwoc/core/requests.h"
#include "bwoc/core/result_push.h"
#include "bwoc/core/trust.h"

namespace bwoc::skill {

namespace {

// Time kept, before a request's deadline, for its answer to be recorded and
// sent back: a run ends this long before the deadline at the latest.
constexpr std::int64_t kAnswerMarginMs = 1000;

// The skill hosts of one node, one per agent, opened on first use.
class Hosts {
 public:
  Hosts(Inbound& inbound, HostOptions options) : inbound_(inbound), options_(std::move(options)) {
    if (!options_.routes) options_.routes = [this] { return inbound_.routes(); };
  }

  Result<SkillHost*> host_for(const std::string& agent) {
    std::lock_guard lock(mu_);
    auto it = hosts_.find(agent);
    if (it == hosts_.end()) {
      BWOC_ASSIGN_OR_RETURN(auto host, SkillHost::open(inbound_.workspace(), agent, options_));
      it = hosts_.emplace(agent, std::move(host)).first;
    }
    return it->second.get();
  }

  // `decorate` sees (and may add to) the answer's payload before it is signed.
  using Decorate = std::function<void(std::string_view kind, json::Value& payload)>;
  Result<std::optional<std::string>> respond(const InboundRequest& r, const Decorate& decorate = {},
                                             UnixMillis not_after = 0) {
    BWOC_ASSIGN_OR_RETURN(SkillHost * host, host_for(r.envelope.to));
    Inbound& node = inbound_;
    const Envelope& request = r.envelope;
    AnswerSigner sign = [&node, &request, &decorate](std::string_view kind, json::Value payload) {
      if (decorate) decorate(kind, payload);
      return node.sign_answer(request, kind, std::move(payload));
    };
    BWOC_ASSIGN_OR_RETURN(std::string text, host->respond(request, r.peer, r.tier, r.repeat, sign, r.stop, not_after));
    return std::optional<std::string>(std::move(text));
  }

  std::optional<std::chrono::milliseconds> longest_run(const InboundRequest& r) {
    auto host = host_for(r.envelope.to);
    if (!host.ok()) return std::nullopt;
    return (*host)->longest_run(r.envelope, r.tier);
  }

 private:
  Inbound& inbound_;
  HostOptions options_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<SkillHost>> hosts_;
};

// A skill.call that carries `idem` and `deadline` (a request that outlives
// the call): the ledger decides whether it runs, once per (key, idem).
class Requests {
 public:
  Requests(Inbound& inbound, std::shared_ptr<Hosts> hosts) : inbound_(inbound), hosts_(std::move(hosts)) {}

  Result<std::optional<std::string>> respond(const InboundRequest& r) {
    auto terms = request_terms(r.envelope.payload(), r.envelope.to);
    if (!terms.ok()) return answer(r, kErrorKind, state_payload(terms.error().message(), "failed", ""));
    if (!terms->has_value()) return hosts_->respond(r);
    const RequestTerms& t = **terms;
    if (t.deadline - now_millis() > kMaxRequestDeadlineMs) {
      return answer(r, kErrorKind, state_payload("A deadline is at most 30 days away", "failed", t.idem));
    }
    BWOC_ASSIGN_OR_RETURN(RequestLedger * ledger, open_ledger());
    // The tier is the one now, when the action runs: work queued before the
    // peer was lowered to UNTRUSTED or removed (in the drop folder, in the
    // broker's session, behind other work) is refused, for good.
    if (r.peer != "self" && r.tier <= kUntrusted) {
      std::string why = r.tier < 0 ? "peer \"" + r.peer + "\" is no longer declared"
                                   : "peer \"" + r.peer + "\" is UNTRUSTED now";
      BWOC_ASSIGN_OR_RETURN(bool refused, ledger->refuse(r.envelope.key, t, r.peer, why));
      log::warning("request.refused", {{"peer", r.peer}, {"idem", t.idem}, {"id", r.envelope.id}, {"reason", why},
                                       {"recorded", refused ? "yes" : "settled before"}});
      if (r.tier >= 0) {
        // A refusal by policy counts as the skill host counts its own (decay).
        TrustStore trust(inbound_.workspace(), inbound_.routes());
        auto decayed = trust.record_outcome(r.envelope.key, false, "calls to " + r.envelope.to);
        if (!decayed.ok()) log::warning("trust.update_failed", {{"error", decayed.error().message()}});
      }
      return answer(r, kErrorKind, state_payload(std::string(kNotPermitted), "failed", t.idem));
    }
    // Started only when it can end, answer kept, before the deadline.
    RequestTerms admitted = t;
    UnixMillis not_after = t.deadline - kAnswerMarginMs;
    if (auto longest = hosts_->longest_run(r)) admitted.longest_run_ms = longest->count() + kAnswerMarginMs;
    BWOC_ASSIGN_OR_RETURN(RequestLedger::Decision d, ledger->begin(r.envelope.key, admitted, r.peer));
    using What = RequestLedger::Decision::What;
    switch (d.what) {
      case What::stored:
        return answer(r, d.kind, std::move(d.payload));
      case What::working:
        return answer(r, kErrorKind, state_payload("Working", "working", t.idem));
      case What::expired:
        log::info("request.expired", {{"peer", r.peer}, {"idem", t.idem}, {"id", r.envelope.id}});
        return answer(r, kErrorKind, state_payload("Expired", "expired", t.idem));
      case What::interrupted:
        return answer(r, kErrorKind, state_payload("Interrupted", "failed", t.idem));
      case What::refused:
        return answer(r, kErrorKind, state_payload(std::string(kNotPermitted), "failed", t.idem));
      case What::other_work:
        log::warning("request.idem_reused",
                     {{"peer", r.peer}, {"idem", t.idem}, {"id", r.envelope.id}, {"skill", t.skill}});
        return answer(r, kErrorKind, state_payload("Idempotency key reused for other work", "failed", t.idem));
      case What::run:
        break;
    }
    std::string kind;
    json::Value payload;
    // The answer is the skill's own, as a plain call gets it, with `idem`
    // (what makes it an answer to a request); kept for the repeats.
    const std::string& idem = t.idem;
    auto text = hosts_->respond(
        r,
        [&](std::string_view k, json::Value& p) {
          if (p.is_object()) p.set(std::string(kIdemMember), idem);
          kind = std::string(k);
          payload = p;
        },
        not_after);
    if (!text.ok()) {
      // Started and ended without an answer: a repeat is told so, not "working".
      kind = std::string(kErrorKind);
      payload = state_payload("Skill failed", "failed", t.idem);
      (void)ledger->finish(r.envelope.key, t, kind, payload);
      return text;
    }
    if (Status st = ledger->finish(r.envelope.key, t, kind, payload); !st.ok()) {
      // The work ran; a repeat will be told it was interrupted, never run twice.
      log::error("request.answer_not_kept", {{"peer", r.peer}, {"idem", t.idem}, {"error", st.error().message()}});
    }
    if (*text && r.peer != "self") push_later(r, t, **text);
    return text;
  }

 private:
  static json::Value state_payload(std::string error, std::string_view state, std::string_view idem) {
    json::Value p = json::Value::object({{"error", std::move(error)}, {"state", std::string(state)}});
    if (!idem.empty()) p.set(std::string(kIdemMember), std::string(idem));
    return p;
  }
  Result<std::optional<std::string>> answer(const InboundRequest& r, std::string_view kind, json::Value payload) {
    BWOC_ASSIGN_OR_RETURN(std::string text, inbound_.sign_answer(r.envelope, kind, std::move(payload)));
    return std::optional<std::string>(std::move(text));
  }
  // The answer goes back on the way the request came; in case the caller
  // is gone by then, it is also kept to be pushed (result_push.h).
  void push_later(const InboundRequest& r, const RequestTerms& t, const std::string& text) {
    auto parsed = parse_envelope(text);
    if (!parsed.ok()) return;
    PushStore::Draft d;
    d.peer = r.peer;
    d.caller = r.envelope.key;
    d.answer = text;
    d.answer_id = parsed.value().id;
    d.deadline = t.deadline;
    d.not_before = now_millis() + kPushGraceMs;
    Status st = open_pushes();
    if (st.ok()) st = pushes_->enqueue(d);
    if (!st.ok()) log::warning("request.push_not_kept", {{"peer", r.peer}, {"idem", t.idem}, {"error", st.error().message()}});
  }
  Status open_pushes() {
    std::lock_guard lock(mu_);
    if (!pushes_) {
      BWOC_ASSIGN_OR_RETURN(pushes_, PushStore::open(inbound_.workspace()));
    }
    return ok_status();
  }
  Result<RequestLedger*> open_ledger() {
    std::lock_guard lock(mu_);
    if (!ledger_) {
      BWOC_ASSIGN_OR_RETURN(ledger_, RequestLedger::open(inbound_.workspace()));
    }
    return ledger_.get();
  }

  Inbound& inbound_;
  std::shared_ptr<Hosts> hosts_;
  std::mutex mu_;
  std::unique_ptr<RequestLedger> ledger_;
  std::unique_ptr<PushStore> pushes_;
};

}  // namespace

void add_skill_kinds(Inbound& inbound, HostOptions options) {
  auto hosts = std::make_shared<Hosts>(inbound, std::move(options));
  KindHandler discover;
  discover.stored = false;
  discover.act = [hosts](const InboundRequest& r) { return hosts->respond(r); };
  inbound.add_kind(std::string(kDiscoverKind), std::move(discover));

  KindHandler call;
  call.blocking = true;
  auto requests = std::make_shared<Requests>(inbound, hosts);
  call.act = [requests](const InboundRequest& r) { return requests->respond(r); };
  inbound.add_kind(std::string(kCallKind), std::move(call));

  if (!inbound.agent().empty()) {
    std::string agent = inbound.agent();
    inbound.set_offer([hosts, agent](int tier) -> Result<json::Value> {
      BWOC_ASSIGN_OR_RETURN(SkillHost * host, hosts->host_for(agent));
      return host->discovery(tier);
    });
  }
}

}  // namespace bwoc::skill
