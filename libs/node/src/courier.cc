#include "bwoc/node/courier.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "bwoc/core/backoff.h"
#include "bwoc/core/dir_watch.h"
#include "bwoc/core/files.h"
#include "bwoc/core/log.h"
#include "bwoc/core/receipt.h"
#include "bwoc/core/result_push.h"
#include "bwoc/core/trust.h"
#include "bwoc/node/network.h"
#include "bwoc/node/node.h"
#include "bwoc/node/path_service.h"
#include "bwoc/peer/send.h"

namespace bwoc::node {

namespace {

using Clock = std::chrono::steady_clock;

// When to try a request again, and where its last attempt waits in a path
// peer's folder (another drop would only add a copy for it to take in).
struct Schedule {
  Clock::time_point next{};
  Backoff backoff;
  std::optional<std::filesystem::path> dropped_at;

  // The last attempt still waits in the peer's folder: its node is away, and
  // the copy there will do. Waits another pause.
  bool waits_in_folder(Clock::time_point steady_now) {
    std::error_code ec;
    if (!dropped_at || !std::filesystem::exists(*dropped_at, ec)) return false;
    next = steady_now + backoff.next();
    return true;
  }
};

// One attempt on its way.
struct Outgoing {
  RequestEntry entry;
  const PeerRoute* route = nullptr;
  SignedEnvelope signed_envelope;
};

// What one attempt came to.
struct Outcome {
  // unanswered: it left, and no answer came in the attempt's time (the
  // peer may be at work on it: its next copy is answered "working").
  enum class What { answered, dropped, unanswered, unreachable, failed } what = What::unreachable;
  std::string detail;
  std::string via;
  std::optional<std::filesystem::path> dropped_at;
};

// One pushed result on its way.
struct OutgoingPush {
  PushEntry entry;
  const PeerRoute* route = nullptr;
  SignedEnvelope signed_envelope;
};

json::Value request_payload(const RequestEntry& e) {
  json::Value p = json::Value::object({{"skill", e.draft.skill},
                                       {"input", e.draft.input},
                                       {std::string(kIdemMember), e.draft.idem},
                                       {std::string(kDeadlineMember), format_timestamp(e.draft.deadline)}});
  if (e.draft.version) p.set("version", *e.draft.version);
  return p;
}

}  // namespace

struct Courier::Impl {
  Impl(Workspace w, CourierOptions o, SecretKey k, std::unique_ptr<RequestStore> s, std::unique_ptr<PushStore> p)
      : ws(std::move(w)), options(std::move(o)), key(std::move(k)), store(std::move(s)), pushes(std::move(p)) {
    network = make_network(ws, options.attempt_timeout);
    agent_of = make_agent_resolver(std::min(options.attempt_timeout, std::chrono::milliseconds(10'000)));
  }

  Schedule& schedule_of(const std::string& id) {
    auto it = schedules.find(id);
    if (it == schedules.end()) {
      it = schedules.emplace(id, Schedule{Clock::time_point{}, Backoff(options.first_retry, options.most_retry), {}}).first;
    }
    return it->second;
  }
  // The same for a request first seen now: one another process (or an
  // earlier life of this one) sent a moment ago waits its first pause.
  Schedule& schedule_of(const std::string& id, const RequestEntry& e, UnixMillis now, Clock::time_point steady_now) {
    bool first = schedules.find(id) == schedules.end();
    Schedule& s = schedule_of(id);
    if (first && e.draft.not_before > now) s.next = steady_now + std::chrono::milliseconds(e.draft.not_before - now);
    if (first && e.last_attempt > 0) {
      auto since = std::chrono::milliseconds(std::max<UnixMillis>(now - e.last_attempt, 0));
      if (since < options.first_retry) s.next = std::max(s.next, steady_now + (options.first_retry - since));
    }
    return s;
  }

  // Why nothing more goes to `peer`: removed, revoked or UNTRUSTED now.
  static std::optional<std::string> why_not_to(const std::string& peer, const PeerRoute* route, TrustStore& trust,
                                               std::map<std::string, bool>& untrusted) {
    if (route == nullptr) return "peer \"" + peer + "\" was removed";
    if (Status revoked = refuse_if_revoked(*route); !revoked.ok()) return revoked.error().message();
    auto known = untrusted.find(route->key);
    if (known == untrusted.end()) {
      auto tier = trust.tier_of(route->pubkey);  // once a pass for each peer
      known = untrusted.emplace(route->key, tier.ok() && tier->has_value() && **tier <= kUntrusted).first;
    }
    if (known->second) return "peer \"" + peer + "\" is UNTRUSTED now";
    return std::nullopt;
  }

  // Settles what needs no network: deadlines passed, peers gone or distrusted.
  std::optional<RequestStore::Change> settle_here(const RequestEntry& e, const Routes& routes, TrustStore& trust,
                                                  std::map<std::string, bool>& untrusted, UnixMillis now) {
    auto change = [&](RequestState s, std::string why) {
      return std::optional<RequestStore::Change>(RequestStore::Change{e.id, s, std::move(why), "", {}, "", ""});
    };
    if (now >= e.draft.deadline) return change(RequestState::expired, "the deadline passed before an answer came");
    if (auto why = why_not_to(e.draft.peer, routes.find(e.draft.peer), trust, untrusted)) {
      return change(RequestState::cancelled, std::move(*why));
    }
    return std::nullopt;
  }

  // Pushes the results the callers may not have (result_push.h): over any
  // of the caller's transports, until its receipt comes back.
  Status push_results(const Routes& routes, TrustStore& trust, std::map<std::string, bool>& untrusted, UnixMillis now,
                      Clock::time_point steady_now, bool everything, PassReport& report) {
    BWOC_RETURN_IF_ERROR(pushes->refresh());
    std::vector<OutgoingPush> outgoing;
    for (const PushEntry& p : pushes->pending()) {
      const PeerRoute* route = routes.find(p.peer);
      if (route == nullptr) route = routes.find_by_pubkey(p.caller);  // renamed since
      std::optional<std::string> why;
      PushState final_state = PushState::cancelled;
      if (now >= p.deadline) {
        why = "the deadline passed before the caller's receipt came";
        final_state = PushState::expired;
      } else {
        why = why_not_to(p.peer, route, trust, untrusted);
      }
      if (why) {
        if (pushes->settle(p.id, final_state, *why, now).ok()) {
          log::info(final_state == PushState::expired ? "request.push_expired" : "request.push_cancelled",
                    {{"answer", p.id}, {"peer", p.peer}, {"reason", *why}});
          ++report.settled;
        }
        continue;
      }
      if (options.via) {
        std::vector<Via> ways = route->transports();
        if (std::find(ways.begin(), ways.end(), *options.via) == ways.end()) continue;
      }
      Schedule& s = schedule_of("push:" + p.id);
      if (!everything && (p.not_before > now || s.next > steady_now)) {
        ++report.waiting;
        continue;
      }
      if (s.waits_in_folder(steady_now)) {
        ++report.waiting;
        continue;
      }
      auto answer = parse_envelope(p.answer);
      if (!answer.ok()) {
        (void)pushes->settle(p.id, PushState::cancelled, "the kept answer does not read back", now);
        continue;
      }
      EnvelopeDraft draft;
      draft.kind = std::string(kOutcomeKind);
      draft.from = answer.value().from;
      draft.to = answer.value().to;
      draft.aud = route->pubkey;
      draft.payload = json::Value::object({{"answer", answer.value().doc}});
      auto signed_envelope = sign(draft, key);
      if (!signed_envelope.ok()) return signed_envelope.error();
      outgoing.push_back(OutgoingPush{p, route, std::move(signed_envelope).value()});
    }
    for (const OutgoingPush& out : outgoing) {
      // Recorded before it leaves: a receipt that comes back by path later is known.
      BWOC_RETURN_IF_ERROR(pushes->record_attempt(out.entry.id, out.signed_envelope.envelope.id, "", now));
    }
    for (const OutgoingPush& out : outgoing) {
      Schedule& s = schedule_of("push:" + out.entry.id);
      auto sent = send_for_answer(*out.route, out.signed_envelope);
      s.next = Clock::now() + s.backoff.next();
      if (!sent.ok()) {
        ++report.unreachable;
        log::event(log::Level::debug, "request.push_unreachable", {{"answer", out.entry.id}, {"peer", out.entry.peer},
                                                                   {"detail", sent.error().message()}});
        continue;
      }
      ++report.sent;
      if (!sent->report.reply || sent->report.reply->empty()) {
        s.dropped_at = sent->report.dropped_at;  // by path: the receipt comes back into our folder
        continue;
      }
      const Envelope& push = out.signed_envelope.envelope;
      auto receipt = verify_answer(*sent->report.reply, push.aud, push.key, push.id);
      if (!receipt.ok() || receipt.value().kind != kReceiptKind) {
        log::warning("request.push_receipt_refused", {{"answer", out.entry.id}, {"peer", out.entry.peer}});
        continue;
      }
      if (pushes->settle(out.entry.id, PushState::acknowledged, "receipt from the caller").ok()) {
        log::info("request.push_acknowledged", {{"answer", out.entry.id}, {"peer", out.entry.peer},
                                                {"via", std::string(via_name(sent->report.via))}});
      }
    }
    return ok_status();
  }

  Result<Outgoing> prepare(const RequestEntry& e, const PeerRoute& route, std::map<std::string, std::string>& agents) {
    std::string agent = e.draft.agent;
    if (agent.empty()) {
      auto known = agents.find(route.key);
      if (known == agents.end()) {
        BWOC_ASSIGN_OR_RETURN(std::string found, agent_of(route));
        known = agents.emplace(route.key, std::move(found)).first;
      }
      agent = known->second;
    }
    EnvelopeDraft draft;
    draft.kind = "skill.call";
    draft.from = e.draft.from;
    draft.to = agent;
    draft.aud = route.pubkey;
    draft.payload = request_payload(e);
    BWOC_RETURN_IF_ERROR(
        peer::seal_for(ws, draft, key.public_key(), route, peer::SealMode::automatic, network, options.attempt_timeout));
    BWOC_ASSIGN_OR_RETURN(SignedEnvelope signed_envelope, sign(draft, key));
    return Outgoing{e, &route, std::move(signed_envelope)};
  }

  // One attempt that wants its answer. Over path the answer comes back later
  // into our folder, and the store takes it whenever it comes: an empty
  // answer says "dropped", so that the drop counts as the delivery it is.
  Result<peer::SendResult> send_for_answer(const PeerRoute& route, const SignedEnvelope& envelope) {
    peer::DeliverOptions o;
    o.via = options.via;
    o.timeout = options.attempt_timeout;
    o.want_answer = true;
    o.unsigned_refusal_passes = true;
    o.await_path_answer = [](const SendReport&, Clock::time_point) -> Result<std::optional<std::string>> {
      return std::optional<std::string>(std::string());
    };
    return peer::deliver(route, envelope, o, network);
  }

  Outcome deliver(const Outgoing& out) {
    Outcome r;
    auto sent = send_for_answer(*out.route, out.signed_envelope);
    if (!sent.ok()) {
      Errc code = sent.error().code();
      r.what = code == Errc::timeout       ? Outcome::What::unanswered
               : code == Errc::unavailable ? Outcome::What::unreachable
                                           : Outcome::What::failed;
      r.detail = sent.error().message();
      return r;
    }
    r.via = std::string(via_name(sent->report.via));
    if (!sent->report.reply || sent->report.reply->empty()) {
      r.what = Outcome::What::dropped;
      r.dropped_at = sent->report.dropped_at;
      return r;
    }
    const Envelope& request = out.signed_envelope.envelope;
    auto checked = verify_answer(*sent->report.reply, request.aud, request.key, request.id);
    if (!checked.ok()) {
      r.what = Outcome::What::unreachable;  // a bad answer settles nothing: try again
      r.detail = "its answer is not valid (" + std::string(reason_code(checked.refusal().reason)) + ")";
      log::warning("request.answer_refused", {{"request", out.entry.id}, {"reason", r.detail}});
      return r;
    }
    Envelope answer = std::move(checked).value();
    if (Status opened = peer::open_answer(ws, answer, request.sealed); !opened.ok()) {
      r.what = Outcome::What::unreachable;
      r.detail = opened.error().message();
      return r;
    }
    auto verdict = store->take_answer(answer, r.via);
    r.what = Outcome::What::answered;
    if (!verdict.ok()) r.detail = verdict.error().message();
    return r;
  }

  Result<PassReport> pass(bool everything) {
    PassReport report;
    BWOC_RETURN_IF_ERROR(store->refresh());
    BWOC_ASSIGN_OR_RETURN(Routes routes, Routes::load(ws.routes_file(), ws.root()));
    auto shared_routes = std::make_shared<const Routes>(routes);
    TrustStore trust(ws, shared_routes, /*log_changes=*/false);
    UnixMillis now = now_millis();
    Clock::time_point steady_now = Clock::now();
    std::vector<RequestStore::Change> settled;
    std::vector<RequestEntry> due;
    std::map<std::string, bool> untrusted;
    std::set<std::string> probing;  // troubled peers given their one attempt in this pass
    std::lock_guard lock(mu);
    for (const RequestEntry& e : store->pending()) {
      if (!options.only.empty() && e.id != options.only) continue;
      if (auto c = settle_here(e, routes, trust, untrusted, now)) {
        log::info(c->state == RequestState::expired ? "request.expired" : "request.cancelled",
                  {{"request", e.id}, {"peer", e.draft.peer}, {"reason", c->reason}});
        settled.push_back(std::move(*c));
        continue;
      }
      Schedule& s = schedule_of(e.id, e, now, steady_now);
      if (!everything && s.next > steady_now) {
        ++report.waiting;
        continue;
      }
      if (s.waits_in_folder(steady_now)) {
        ++report.waiting;
        continue;
      }
      if (troubled.count(e.draft.peer) != 0 && !probing.insert(e.draft.peer).second) {
        s.next = steady_now + s.backoff.next();
        ++report.waiting;
        continue;
      }
      due.push_back(e);
    }
    if (!settled.empty()) {
      BWOC_RETURN_IF_ERROR(store->record(settled, now));
      report.settled = settled.size();
    }
    // Signed and recorded before any leaves: an answer is recognised
    // whenever it comes, even after this process is gone.
    std::vector<Outgoing> outgoing;
    std::vector<RequestStore::Attempt> attempts;
    std::vector<RequestStore::Change> failures;
    std::map<std::string, std::string> agents;
    for (const RequestEntry& e : due) {
      const PeerRoute* route = routes.find(e.draft.peer);
      if (options.via) {
        // A pass forced onto one transport leaves a peer without it to the
        // others: the request waits, it is not that peer's failure.
        std::vector<Via> ways = route->transports();
        if (std::find(ways.begin(), ways.end(), *options.via) == ways.end()) {
          ++report.waiting;
          continue;
        }
      }
      auto out = prepare(e, *route, agents);
      if (!out.ok()) {
        // The peer's agent could not be found, or its seal key read: most
        // often it is away. Only a definite no (a wrong key, a bad route) ends it.
        Errc code = out.error().code();
        if (code != Errc::refused && code != Errc::invalid_argument) {
          Schedule& s = schedule_of(e.id);
          s.next = steady_now + s.backoff.next();
          if (code == Errc::timeout) troubled.insert(e.draft.peer);
          ++report.unreachable;
        } else {
          failures.push_back(RequestStore::Change{e.id, RequestState::failed, out.error().message(), "", {}, "", ""});
        }
        continue;
      }
      attempts.push_back(RequestStore::Attempt{e.id, out->signed_envelope.envelope.id, route->pubkey, ""});
      outgoing.push_back(std::move(out).value());
    }
    if (!failures.empty()) BWOC_RETURN_IF_ERROR(store->record(failures, now));
    if (!attempts.empty()) BWOC_RETURN_IF_ERROR(store->record_attempts(attempts, now));

    std::vector<Outcome> outcomes(outgoing.size());
    std::atomic<std::size_t> next{0};
    auto work = [&] {
      for (std::size_t i; (i = next.fetch_add(1)) < outgoing.size();) outcomes[i] = deliver(outgoing[i]);
    };
    std::vector<std::thread> threads;
    std::size_t n = std::min(std::max<std::size_t>(options.parallel, 1), outgoing.size());
    for (std::size_t t = 1; t < n; ++t) threads.emplace_back(work);
    if (n > 0) work();
    for (std::thread& t : threads) t.join();

    std::vector<RequestStore::Change> changes;
    Clock::time_point after = Clock::now();
    for (std::size_t i = 0; i < outgoing.size(); ++i) {
      const RequestEntry& e = outgoing[i].entry;
      const Outcome& o = outcomes[i];
      Schedule& s = schedule_of(e.id);
      s.next = after + s.backoff.next();
      if (o.what == Outcome::What::unanswered) {
        troubled.insert(e.draft.peer);
      } else if (o.what != Outcome::What::failed) {
        troubled.erase(e.draft.peer);
      }
      switch (o.what) {
        case Outcome::What::answered:
          ++report.sent;
          ++report.answered;
          break;
        case Outcome::What::dropped:
          ++report.sent;
          s.dropped_at = o.dropped_at;
          changes.push_back(RequestStore::Change{e.id, RequestState::delivered, "", "", {}, o.via, ""});
          break;
        case Outcome::What::unanswered:
          ++report.sent;
          ++report.unanswered;
          log::event(log::Level::debug, "request.unanswered", {{"request", e.id}, {"peer", e.draft.peer}, {"detail", o.detail}});
          break;
        case Outcome::What::unreachable:
          ++report.unreachable;
          log::event(log::Level::debug, "request.unreachable", {{"request", e.id}, {"peer", e.draft.peer}, {"detail", o.detail}});
          break;
        case Outcome::What::failed:
          changes.push_back(RequestStore::Change{e.id, RequestState::failed, o.detail, "", {}, "", ""});
          break;
      }
    }
    if (!changes.empty()) BWOC_RETURN_IF_ERROR(store->record(changes));
    if (options.only.empty()) {
      BWOC_RETURN_IF_ERROR(push_results(routes, trust, untrusted, now, steady_now, everything, report));
    }
    // Answers to attempts that went by path come back into our drop folder:
    // taken in only while such an answer is awaited.
    bool awaited = false;
    for (const RequestEntry& e : store->pending()) {
      auto it = schedules.find(e.id);
      awaited = awaited || e.via == "path" || (it != schedules.end() && it->second.dropped_at);
    }
    if (options.pump && awaited) {
      if (Status st = options.pump(); !st.ok()) log::warning("request.pump_failed", {{"error", st.error().message()}});
    }
    return report;
  }

  std::chrono::milliseconds until_next_due(std::chrono::milliseconds cap) {
    std::lock_guard lock(mu);
    Clock::time_point now = Clock::now();
    std::chrono::milliseconds least = cap;
    for (const RequestEntry& e : store->pending()) {
      if (!options.only.empty() && e.id != options.only) continue;
      auto it = schedules.find(e.id);
      if (it == schedules.end()) return std::chrono::milliseconds(0);
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(it->second.next - now);
      least = std::min(least, std::max(left, std::chrono::milliseconds(0)));
    }
    return least;
  }

  Workspace ws;
  CourierOptions options;
  SecretKey key;
  std::unique_ptr<RequestStore> store;
  std::unique_ptr<PushStore> pushes;
  peer::Network network;
  peer::AgentResolver agent_of;
  std::mutex mu;  // guards schedules and troubled
  std::map<std::string, Schedule> schedules;
  // Peers whose last attempt got no answer in its time (they hang, or work
  // long): each pass sends them one attempt, not one for every request, so
  // that such a peer holds one delivery slot at a time and the others go
  // on. A peer that refuses the connection at once costs no slot: its
  // requests are each tried again.
  std::set<std::string> troubled;
};

Courier::Courier(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Courier::~Courier() = default;

Result<std::unique_ptr<Courier>> Courier::open(const Workspace& ws, CourierOptions options) {
  BWOC_ASSIGN_OR_RETURN(SecretKey key, ws.load_secret_key());
  BWOC_ASSIGN_OR_RETURN(std::unique_ptr<RequestStore> store, RequestStore::open(ws));
  BWOC_ASSIGN_OR_RETURN(std::unique_ptr<PushStore> pushes, PushStore::open(ws));
  return std::unique_ptr<Courier>(new Courier(
      std::make_unique<Impl>(ws, std::move(options), std::move(key), std::move(store), std::move(pushes))));
}

Result<PassReport> Courier::pass(bool everything) { return impl_->pass(everything); }
void Courier::limit_attempts_to(std::chrono::milliseconds most) {
  std::lock_guard lock(impl_->mu);
  impl_->options.attempt_timeout = std::max(most, std::chrono::milliseconds(1));
  impl_->agent_of = make_agent_resolver(std::min(impl_->options.attempt_timeout, std::chrono::milliseconds(10'000)));
}
std::chrono::milliseconds Courier::until_next_due(std::chrono::milliseconds cap) { return impl_->until_next_due(cap); }
RequestStore& Courier::store() { return *impl_->store; }

struct CourierThread::Impl {
  Impl(Workspace w, CourierOptions o) : ws(std::move(w)), options(std::move(o)) {}
  Workspace ws;
  CourierOptions options;
  std::atomic<bool> stopping{false};
  std::thread thread;

  void run() {
    // Checked this often for the stop flag, and for the lock another process holds.
    constexpr auto kTick = std::chrono::milliseconds(200);
    std::filesystem::path dir = RequestStore::file_of(ws).parent_path();
    if (Status st = ensure_directory(dir, 0700); !st.ok()) {
      log::error("request.courier_failed", {{"error", st.error().message()}});
      return;
    }
    std::optional<FileLock> lock;
    std::unique_ptr<Courier> courier;
    DirWatch watch({dir});
    Backoff trouble(std::chrono::seconds(1), std::chrono::seconds(30));
    while (!stopping) {
      if (!lock) {
        auto taken = FileLock::try_acquire(dir / "courier.lock");
        if (!taken.ok()) {
          watch.wait(kTick * 5);
          continue;
        }
        lock.emplace(std::move(taken).value());
      }
      if (!courier) {
        auto opened = Courier::open(ws, options);
        if (!opened.ok()) {
          log::error("request.courier_failed", {{"error", opened.error().message()}});
          wait_a_while(trouble.next());
          continue;
        }
        courier = std::move(opened).value();
      }
      auto report = courier->pass();
      if (!report.ok()) {
        log::warning("request.courier_pass_failed", {{"error", report.error().message()}});
        wait_a_while(trouble.next());
        continue;
      }
      trouble.reset();
      if (report->sent + report->settled > 0) {
        log::info("request.delivered", {{"sent", std::to_string(report->sent)},
                                        {"answered", std::to_string(report->answered)},
                                        {"unreachable", std::to_string(report->unreachable)},
                                        {"settled", std::to_string(report->settled)}});
      }
      // Woken by a new request (the outbox changed) or when one is due.
      watch.wait(courier->until_next_due(kTick));
    }
  }

  void wait_a_while(std::chrono::milliseconds d) {
    for (auto end = Clock::now() + d; !stopping && Clock::now() < end;) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
};

CourierThread::CourierThread(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::unique_ptr<CourierThread> CourierThread::start(const Workspace& ws, CourierOptions options) {
  auto impl = std::make_unique<Impl>(ws, std::move(options));
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->run(); });
  return std::unique_ptr<CourierThread>(new CourierThread(std::move(impl)));
}

CourierThread::~CourierThread() {
  impl_->stopping = true;
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::function<Status()> drop_folder_pump(const Workspace& ws) {
  // Answers that come back by path land in our drop folder: taken in
  // through our own node, whose request kinds hand them to the store.
  struct Pump {
    explicit Pump(Workspace w) : ws(std::move(w)), network(make_network(ws)) {}
    Status round() {
      std::lock_guard lock(mu);
      if (!inbound) {
        BWOC_ASSIGN_OR_RETURN(inbound, open_inbound(ws));
        ingest = std::make_unique<PathIngest>(*inbound, network);
      }
      auto r = ingest->round(1024);
      inbound->flush();
      if (!r.ok()) return r.error();
      return ok_status();
    }
    Workspace ws;
    peer::Network network;
    std::mutex mu;
    std::unique_ptr<Inbound> inbound;
    std::unique_ptr<PathIngest> ingest;
  };
  auto pump = std::make_shared<Pump>(ws);
  return [pump] { return pump->round(); };
}

Result<RequestEntry> await_request(const Workspace& ws, const std::string& id, std::chrono::milliseconds timeout,
                                   const std::function<void(const RequestProgress&)>& progress) {
  Clock::time_point start = Clock::now();
  Clock::time_point end = start + timeout;
  BWOC_RETURN_IF_ERROR(ws.ensure_node_folders());
  CourierOptions options;
  const std::chrono::milliseconds default_attempt_timeout = options.attempt_timeout;
  options.only = id;
  options.pump = drop_folder_pump(ws);
  BWOC_ASSIGN_OR_RETURN(std::unique_ptr<Courier> courier, Courier::open(ws, options));
  RequestStore& store = courier->store();
  DirWatch watch({ws.drop_dir() / "new", RequestStore::file_of(ws).parent_path()});
  for (;;) {
    BWOC_RETURN_IF_ERROR(store.refresh());
    auto entry = store.find(id);
    if (!entry) return Error(Errc::not_found, "no request \"" + id + "\" (see `bwoc requests`)");
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    if (progress) progress(RequestProgress{elapsed, *entry});
    if (is_final(entry->state) || Clock::now() >= end) return *entry;
    // An attempt waits no longer than the command does.
    courier->limit_attempts_to(std::min(default_attempt_timeout,
                                        std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now())));
    auto pass = courier->pass();
    if (!pass.ok()) return pass.error();
    BWOC_RETURN_IF_ERROR(store.refresh());
    if (auto now = store.find(id); now && is_final(now->state)) continue;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
    watch.wait(std::max(std::chrono::milliseconds(0), std::min({left, courier->until_next_due(left),
                                                                 std::chrono::milliseconds(500)})));
  }
}

}  // namespace bwoc::node
