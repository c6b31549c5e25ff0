#include "bwoc/core/inbound.h"

#include <cmath>
#include <condition_variable>
#include <mutex>

#include "bwoc/core/key_ring.h"
#include "bwoc/core/log.h"
#include "bwoc/core/rate_limit.h"
#include "bwoc/core/receipt.h"
#include "bwoc/core/seal.h"
#include "bwoc/core/trust.h"
#include "bwoc/core/work_queue.h"
#include "wait_for_callback.h"

namespace bwoc {

namespace {

// Receiver policy reasons this layer gives, and reads back from the Delivery.
constexpr std::string_view kRecipientPolicy = "recipient";
constexpr std::string_view kRateLimitedPolicy = "rate_limited";
constexpr std::string_view kTierPolicy = "tier";
constexpr std::string_view kAdmitPolicyPrefix = "admit:";

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

bool is_answer_kind(std::string_view kind) {
  return kind == kReceiptKind || kind == kErrorKind || ends_with(kind, ".result");
}

std::string_view disposition_name(InboundResult::Disposition d) {
  switch (d) {
    case InboundResult::Disposition::answered: return "answered";
    case InboundResult::Disposition::stored: return "stored";
    case InboundResult::Disposition::silent: return "silent";
    case InboundResult::Disposition::not_accepted: return "not_accepted";
    case InboundResult::Disposition::rate_limited: return "rate_limited";
    case InboundResult::Disposition::busy: return "busy";
    case InboundResult::Disposition::failed: return "failed";
    case InboundResult::Disposition::cancelled: return "cancelled";
  }
  return "failed";
}

struct Inbound::Impl {
  Impl(const Workspace& w, InboundOptions o, std::unique_ptr<KeyRing> k)
      : ws(w), options(std::move(o)), ring(std::move(k)), per_key(options.rate_per_key, options.burst_per_key) {}

  Workspace ws;
  InboundOptions options;
  std::unique_ptr<KeyRing> ring;
  std::unique_ptr<Receiver> receiver;
  std::map<std::string, KindHandler, std::less<>> kinds;
  std::function<Result<json::Value>(int)> offer;
  std::unique_ptr<WorkQueue> workers;
  TokenBuckets per_key;

  // Actions under way, so that flush() can wait for them.
  std::mutex actions_mu;
  std::condition_variable actions_cv;
  std::size_t actions_running = 0;

  const KindHandler* handler_for(std::string_view kind) const {
    auto it = kinds.find(kind);
    return it == kinds.end() ? nullptr : &it->second;
  }

  int tier_now(const PublicKey& sender) {
    TrustStore trust(ws, receiver->routes(), /*log_changes=*/true);
    auto tier = trust.tier_of(sender);
    if (!tier.ok()) {
      log::warning("inbound.trust_unreadable", {{"error", tier.error().message()}});
      return -1;
    }
    return tier->value_or(-1);
  }

  // The receiver's policy: after checks 1–9, before anything is stored.
  std::optional<std::string> policy(const Envelope& env) {
    if (!options.agent.empty() && env.to != options.agent) return std::string(kRecipientPolicy);
    if (per_key.take(env.key.to_text()) > 0) return std::string(kRateLimitedPolicy);
    if (const KindHandler* h = handler_for(env.kind)) {
      if (h->min_tier && tier_now(env.key) < *h->min_tier) return std::string(kTierPolicy);
      if (h->admit) {
        if (auto why = h->admit(env)) return std::string(kAdmitPolicyPrefix) + *why;
      }
    }
    return std::nullopt;
  }

  // An answer is signed by the key the request was addressed to (during a
  // rotation's grace period, perhaps the previous one), and sealed back to
  // the asker when the request was sealed.
  Result<std::string> sign_answer(const Envelope& request, std::string_view kind, json::Value payload) const {
    auto keys = ring->keys();
    const SecretKey& signer = keys->signer_for(request.aud, options.clock());
    EnvelopeDraft draft = answer_draft(request, kind, std::move(payload));
    if (request.sealed) {
      BWOC_ASSIGN_OR_RETURN(SealPublicKey reply, reply_key(request));
      BWOC_RETURN_IF_ERROR(seal_draft(draft, signer.public_key(), reply, own_seal_key(*keys)));
    }
    return sign_envelope(draft, signer);
  }

  Result<std::string> receipt(const Envelope& request, UnixMillis accepted_at) const {
    auto keys = ring->keys();
    const SecretKey& signer = keys->signer_for(request.aud, options.clock());
    std::optional<SealPublicKey> seal_to;
    if (request.sealed) {
      BWOC_ASSIGN_OR_RETURN(seal_to, reply_key(request));
    }
    return make_receipt(signer, request, accepted_at, seal_to, own_seal_key(*keys));
  }

  static std::optional<SealPublicKey> own_seal_key(const WorkspaceKeys& keys) {
    return keys.seal ? std::optional<SealPublicKey>(keys.seal->public_key()) : std::nullopt;
  }

  // Where answers to a sealed request are sealed: the key it names, else the
  // one its sender's route pins.
  Result<SealPublicKey> reply_key(const Envelope& request) const {
    if (auto named = reply_key_of(request)) return *named;
    auto routes = receiver->routes();
    const PeerRoute* route = routes ? routes->find_by_pubkey(request.key) : nullptr;
    if (route != nullptr && route->seal_key) return *route->seal_key;
    if (auto own = ws.seal_key(); own.ok() && ring->keys()->is_own(request.key, options.clock())) return *own;
    return Error(Errc::not_found, "the sealed request names no key to seal its answer to");
  }


  // A policy refusal of a verified sender: a signed error (spec §3), or
  // silence when the policy is about this endpoint rather than the sender.
  InboundResult refused_by_policy(Delivery d) {
    InboundResult r;
    std::string_view why = d.policy;
    if (why == kRateLimitedPolicy) {
      r.disposition = InboundResult::Disposition::rate_limited;
    } else if (is_answer_kind(d.envelope->kind)) {
      // Answers are never answered, not even with a refusal.
      r.disposition = InboundResult::Disposition::not_accepted;
    } else if (why == kTierPolicy || starts_with(why, kAdmitPolicyPrefix)) {
      std::string text = why == kTierPolicy ? std::string(kNotPermitted) : std::string(why.substr(kAdmitPolicyPrefix.size()));
      auto answer = sign_answer(*d.envelope, kErrorKind, json::Value::object({{"error", text}}));
      if (answer.ok()) {
        r.disposition = InboundResult::Disposition::answered;
        r.answer = std::move(answer).value();
      } else {
        r.disposition = InboundResult::Disposition::failed;
      }
    } else {
      r.disposition = InboundResult::Disposition::not_accepted;
    }
    r.delivery = std::move(d);
    return r;
  }

  // What a delivery that every check let through becomes: the kind's action
  // (on a worker when it blocks), or a receipt, or nothing.
  void act(Delivery d, const KindHandler* h, bool stored, Via via, const Done& done, const Progress& progress) {
    InboundResult r;
    r.stored = stored;
    if (h == nullptr || !h->act) {
      bool answer_kind = is_answer_kind(d.envelope->kind);
      r.disposition = stored && !answer_kind ? InboundResult::Disposition::stored : InboundResult::Disposition::silent;
      r.delivery = std::move(d);
      return done(std::move(r));
    }
    // Only what is kept is followed: a read is answered once, when it is done.
    const bool followed = h->blocking && stored && progress.queued;
    std::stop_source stop = followed ? std::stop_source() : std::stop_source(std::nostopstate);
    // A copy (the envelope is shared): `d` is still needed here when the
    // work cannot be queued, or to tell the transport it was.
    auto run = [this, h, via, done, d = h->blocking ? Delivery(d) : std::move(d), stored, stop,
                started = followed ? progress.started : nullptr]() mutable {
      InboundResult out;
      out.stored = stored;
      if (stop.stop_requested()) {
        out.disposition = InboundResult::Disposition::cancelled;
        out.delivery = std::move(d);
        return done(std::move(out));
      }
      if (started) started();
      int tier = tier_now(d.envelope->key);
      InboundRequest request{*d.envelope, d.peer, tier, d.outcome == Delivery::Outcome::duplicate, via,
                             stop.get_token()};
      auto answer = h->act(request);
      if (!answer.ok()) {
        log::error("inbound.action_failed", {{"kind", d.envelope->kind}, {"id", d.envelope->id},
                                             {"peer", d.peer}, {"error", answer.error().message()}});
        out.disposition = InboundResult::Disposition::failed;
      } else if (answer->has_value()) {
        out.disposition = InboundResult::Disposition::answered;
        out.answer = std::move(**answer);
      } else {
        // An answer that a kind looks at (a request's result) is still never answered.
        bool receipt = stored && !is_answer_kind(d.envelope->kind);
        out.disposition = receipt ? InboundResult::Disposition::stored : InboundResult::Disposition::silent;
      }
      out.delivery = std::move(d);
      done(std::move(out));
    };
    if (!h->blocking) return run();
    {
      std::lock_guard lk(actions_mu);
      ++actions_running;
    }
    auto counted = [this, run = std::move(run)]() mutable {
      run();
      std::lock_guard lk(actions_mu);
      if (--actions_running == 0) actions_cv.notify_all();
    };
    if (options.wait_when_busy) {
      workers->post(std::move(counted));
    } else if (!workers->try_post(counted)) {
      {
        std::lock_guard lk(actions_mu);
        if (--actions_running == 0) actions_cv.notify_all();
      }
      log::warning("inbound.busy", {{"kind", d.envelope->kind}, {"id", d.envelope->id}, {"peer", d.peer}});
      InboundResult busy;
      busy.stored = stored;
      busy.disposition = InboundResult::Disposition::busy;
      busy.delivery = std::move(d);
      return done(std::move(busy));
    }
    if (followed) progress.queued(d, std::move(stop));
  }

  // The receiver's verdict, turned into a result.
  void decided(Delivery d, const KindHandler* h, bool stored, Via via, const Done& done, const Progress& progress) {
    switch (d.outcome) {
      case Delivery::Outcome::accepted:
      case Delivery::Outcome::duplicate:
        return act(std::move(d), h, stored, via, done, progress);
      case Delivery::Outcome::denied:
        return done(refused_by_policy(std::move(d)));
      case Delivery::Outcome::failed: {
        InboundResult r;
        r.disposition = InboundResult::Disposition::failed;
        r.delivery = std::move(d);
        return done(std::move(r));
      }
      case Delivery::Outcome::refused:
        break;
    }
    InboundResult r;
    r.disposition = InboundResult::Disposition::not_accepted;
    r.delivery = std::move(d);
    done(std::move(r));
  }
};

Inbound::Inbound(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Inbound::~Inbound() {
  if (!impl_) return;
  impl_->receiver->flush();
  impl_->workers.reset();  // finishes what is queued
  impl_->receiver.reset();
}

Result<std::unique_ptr<Inbound>> Inbound::open(const Workspace& ws, InboundOptions options) {
  if (!options.agent.empty() && !ws.has_agent(options.agent)) {
    return Error(Errc::not_found, "no agent \"" + options.agent + "\" in workspace \"" + ws.name() + "\"");
  }
  for (double v : {options.rate_per_key, options.burst_per_key}) {
    if (!std::isfinite(v) || v < 0) {
      return Error(Errc::invalid_argument, "the rate per key must be a number of 0 (no limit) or more");
    }
  }
  BWOC_ASSIGN_OR_RETURN(std::unique_ptr<KeyRing> ring, KeyRing::open(ws, options.clock, options.routes_recheck_ms));
  auto impl = std::make_unique<Impl>(ws, std::move(options), std::move(ring));
  Impl* raw = impl.get();
  ReceiverOptions ropts;
  ropts.clock = impl->options.clock;
  ropts.routes_recheck_ms = impl->options.routes_recheck_ms;
  ropts.policy = [raw](const Envelope& env, const std::string&) { return raw->policy(env); };
  use_key_ring(ropts, *raw->ring);  // our own keys, and sealed payloads opened after check 8
  BWOC_ASSIGN_OR_RETURN(impl->receiver, Receiver::open(ws, std::move(ropts)));
  impl->workers = std::make_unique<WorkQueue>(std::max<std::size_t>(impl->options.workers, 1),
                                              std::max<std::size_t>(impl->options.max_queued, 1));
  return std::unique_ptr<Inbound>(new Inbound(std::move(impl)));
}

void Inbound::add_kind(std::string kind, KindHandler handler) { impl_->kinds[std::move(kind)] = std::move(handler); }

void Inbound::set_offer(std::function<Result<json::Value>(int tier)> offer) { impl_->offer = std::move(offer); }

Result<json::Value> Inbound::offer(int tier) const {
  if (!impl_->offer) return json::Value::object({{"skills", json::Value::array()}});
  return impl_->offer(tier);
}

void Inbound::receive(std::string_view text, Via via, std::string_view source, Done done, Progress progress) {
  dispatch(parse_envelope(text), std::string(text), via, source, std::move(done), std::move(progress));
}

void Inbound::receive_document(json::Value document, std::string text, Via via, std::string_view source, Done done,
                               Progress progress) {
  Checked<Envelope> parsed = envelope_from_embedded(std::move(document), text);
  dispatch(std::move(parsed), std::move(text), via, source, std::move(done), std::move(progress));
}

void Inbound::dispatch(Checked<Envelope> parsed, std::string text, Via via, std::string_view source, Done done,
                       Progress progress) {
  Impl& m = *impl_;
  const KindHandler* h = parsed.ok() ? m.handler_for(parsed.value().kind) : nullptr;
  bool stored = h == nullptr || h->stored;
  if (parsed.ok() && parsed.value().kind == kReceiptKind) stored = false;  // acknowledgements are not kept
  if (!stored) {
    Delivery d = m.receiver->verify(std::move(parsed), text, via, source);
    return m.decided(std::move(d), h, false, via, done, progress);
  }
  m.receiver->receive_parsed(
      std::move(parsed), std::move(text), via, source,
      [this, h, via, done = std::move(done), progress = std::move(progress)](Delivery d) mutable {
        impl_->decided(std::move(d), h, true, via, done, progress);
      });
}

InboundResult Inbound::receive_sync(std::string_view text, Via via, std::string_view source) {
  return wait_for_callback<InboundResult>([&](auto done) { receive(text, via, source, std::move(done)); });
}

Result<std::string> Inbound::receipt(const Delivery& delivery) const {
  if (!delivery.envelope) return Error(Errc::internal, "no envelope to make a receipt for");
  return impl_->receipt(*delivery.envelope, delivery.accepted_at);
}

Result<std::string> Inbound::sign_answer(const Envelope& request, std::string_view kind, json::Value payload) const {
  return impl_->sign_answer(request, kind, std::move(payload));
}

std::string Inbound::derive_id(std::string_view purpose, const PublicKey& sender, std::string_view request_id) const {
  return derived_id(impl_->ring->keys()->key, purpose, sender, request_id);
}

Delivery Inbound::check(std::string_view text, Via via) {
  Delivery d = impl_->receiver->check(text, via);
  if (d.outcome == Delivery::Outcome::accepted && d.envelope && !impl_->options.agent.empty() &&
      d.envelope->to != impl_->options.agent) {
    d.outcome = Delivery::Outcome::denied;
    d.policy = std::string(kRecipientPolicy);
  }
  return d;
}

std::optional<int> Inbound::tier_of(const PublicKey& key) {
  int tier = impl_->tier_now(key);
  if (tier < 0) return std::nullopt;
  return tier;
}

void Inbound::flush() {
  impl_->receiver->flush();
  std::unique_lock lk(impl_->actions_mu);
  impl_->actions_cv.wait(lk, [&] { return impl_->actions_running == 0; });
}

const Workspace& Inbound::workspace() const { return impl_->ws; }
const std::string& Inbound::agent() const { return impl_->options.agent; }
PublicKey Inbound::public_key() const { return impl_->ring->keys()->key.public_key(); }
std::shared_ptr<const WorkspaceKeys> Inbound::keys() const { return impl_->ring->keys(); }
std::shared_ptr<const Routes> Inbound::routes() { return impl_->receiver->routes(); }
UnixMillis Inbound::now() const { return impl_->options.clock(); }
void Inbound::routes_changed() { impl_->receiver->routes_changed(); }
Receiver::Stats Inbound::receiver_stats() const { return impl_->receiver->stats(); }

}  // namespace bwoc
