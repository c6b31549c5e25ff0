#include "bwoc/core/receiver.h"

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <vector>

#include "bwoc/core/commit_queue.h"
#include "bwoc/core/files.h"
#include "bwoc/core/inbox.h"
#include "bwoc/core/refusal_log.h"
#include "bwoc/core/replay_guard.h"
#include "inbox_files.h"
#include "routes_watch.h"
#include "wait_for_callback.h"

namespace bwoc {

namespace fs = std::filesystem;

std::string_view outcome_name(Delivery::Outcome outcome) {
  switch (outcome) {
    case Delivery::Outcome::accepted: return "accepted";
    case Delivery::Outcome::duplicate: return "duplicate";
    case Delivery::Outcome::refused: return "refused";
    case Delivery::Outcome::denied: return "denied";
    case Delivery::Outcome::failed: return "failed";
  }
  return "failed";
}

namespace {

constexpr std::int64_t kFutureToleranceMs = 60'000;  // spec §3 check 8
constexpr std::int64_t kPruneIntervalMs = 10 * 60'000;

// The oldest ts any envelope may have under `routes` at `now`: what the seen
// ids must cover.
UnixMillis window_start(const Routes& routes, UnixMillis now) {
  return now - routes.longest_max_age_ms() - kFutureToleranceMs;
}

Refusal before_horizon(UnixMillis horizon) {
  return Refusal{Reason::stale, "ts is before " + format_timestamp(horizon) +
                                    ", since when the seen-id store is complete: ids older than that may have been "
                                    "forgotten under a shorter max_age, so a replay could not be told"};
}

}  // namespace

struct Receiver::Impl {
  // An envelope that passed checks 1-8, on its way to the commit thread,
  // which does check 9, policy and the append for a whole batch at once.
  struct Pending {
    std::shared_ptr<const Envelope> env;
    std::string text;
    Via via = Via::path;
    std::string source;
    UnixMillis now = 0;
    Delivery delivery;
    Done done;
    std::optional<SeenEntry> entry;  // set when accepted
  };

  Impl(const Workspace& w, PublicKey self_key, ReceiverOptions o, Routes routes, SeenLog seen_log, FileLock lock,
       UnixMillis now)
      : ws(w),
        self(self_key),
        opts(std::move(o)),
        refusals(w.refusal_log_file()),
        routes_watch(w.routes_file(), w.root(), std::move(routes), opts.routes_recheck_ms, now),
        log(std::move(seen_log)),
        accept_lock(std::move(lock)),
        inboxes(w, refusals) {}

  // ---- checks 1–8 ----
  // Returns the parsed envelope, or fills `d` with the refusal.
  std::shared_ptr<const Envelope> pre_checks(Checked<Envelope> parsed, Via via, UnixMillis now, Delivery& d) {
    if (!parsed.ok()) {
      d.refusal = parsed.refusal();
      return nullptr;
    }
    auto env = std::make_shared<Envelope>(std::move(parsed).value());  // mutable until opened (issue 16)
    d.envelope = env;
    auto rts = routes_watch.current(now);

    // Check 4: a pinned key.
    // (Issue 16: a rotated peer's previous key counts during its grace
    // period, a revoked key never; so does our own previous key.)
    const PeerRoute* peer = nullptr;
    if (is_own(env->key, now)) {
      d.peer = "self";
    } else if ((peer = rts->find_sender(env->key, now)) != nullptr) {
      d.peer = peer->key;
    } else if (rts = routes_watch.current(now, /*look_now=*/true); (peer = rts->find_sender(env->key, now)) != nullptr) {
      d.peer = peer->key;
    } else {
      d.refusal = Refusal{Reason::unknown_sender, "key is not pinned in routes.toml"};
      return nullptr;
    }
    // Check 5: addressed to this workspace.
    if (!is_own(env->aud, now)) {
      d.refusal = Refusal{Reason::wrong_audience, "aud is another workspace's key"};
      return nullptr;
    }
    // Check 6: an agent of this workspace.
    if (!has_agent(env->to)) {
      d.refusal = Refusal{Reason::unknown_recipient, "no agent \"" + env->to + "\" here"};
      return nullptr;
    }
    // Check 7: the signature.
    thread_local std::string scratch;
    if (!verify_signature(*env, scratch)) {
      d.refusal = Refusal{Reason::bad_signature, "signature does not verify with the sender's key"};
      return nullptr;
    }
    // Check 8: age. (The seen-id store's horizon is checked with check 9,
    // under the lock that keeps it.)
    if (env->ts > now + kFutureToleranceMs) {
      d.refusal = Refusal{Reason::future, "ts is " + std::to_string((env->ts - now) / 1000) + " s ahead"};
      return nullptr;
    }
    std::int64_t max_age = peer && peer->max_age_ms ? *peer->max_age_ms : default_max_age_ms(via);
    if (env->ts < now - max_age) {
      d.refusal = Refusal{Reason::stale, "older than " + format_duration(max_age) + " over " + std::string(via_name(via))};
      return nullptr;
    }
    // Issue 16: a sealed payload is opened here, after the signature and
    // before anything is stored or acted on.
    if (opts.open) {
      if (auto refusal = opts.open(*env, peer)) {
        d.refusal = std::move(refusal);
        return nullptr;
      }
    }
    return env;
  }

  bool is_own(const PublicKey& key, UnixMillis now) const { return opts.own_key ? opts.own_key(key, now) : key == self; }

  bool has_agent(const std::string& name) {
    {
      std::lock_guard<std::mutex> lk(agents_mu);
      if (known_agents.count(name)) return true;
    }
    if (!ws.has_agent(name)) return false;
    std::lock_guard<std::mutex> lk(agents_mu);
    known_agents.insert(name);
    return true;
  }

  void log_refusal(const Delivery& d, std::string_view text, Via via, std::string_view source, UnixMillis now) {
    RefusalRecord r;
    r.at = now;
    r.via = via;
    r.reason = d.refusal                                  ? std::string(reason_code(d.refusal->reason))
               : d.outcome == Delivery::Outcome::denied ? "denied:" + d.policy
                                                        : "failed";
    r.detail = d.refusal ? d.refusal->detail : (d.error ? d.error->message() : "");
    r.source = std::string(source);
    r.bytes = text.size();
    if (d.envelope) {
      r.key = d.envelope->key.to_text();
      r.id = d.envelope->id;
      r.kind = d.envelope->kind;
      r.from = d.envelope->from;
      r.to = d.envelope->to;
    }
    if (!d.peer.empty()) r.peer = d.peer;
    refusals.append(r);
  }

  // Check 8 against the horizon, then check 9, against the index; requires
  // mu. Fills `d` and returns false when the envelope is not new.
  bool check_new(const Envelope& env, Delivery& d, bool detailed) {
    if (env.ts < horizon) {
      d.outcome = Delivery::Outcome::refused;
      d.refusal = before_horizon(horizon);
      return false;
    }
    auto hit = index.find(env.key, env.id);
    if (!hit) return true;
    if (hit->sig_tag == sig_tag_of(env.sig)) {
      d.outcome = Delivery::Outcome::duplicate;
      d.refusal = Refusal{Reason::replayed, detailed ? "exact repeat of an envelope accepted at " +
                                                           format_timestamp(hit->accepted_at)
                                                     : "already accepted"};
      d.accepted_at = hit->accepted_at;
    } else {
      d.outcome = Delivery::Outcome::refused;
      d.refusal = Refusal{Reason::replayed, detailed ? "id already accepted from this sender with other content"
                                                     : "already accepted"};
    }
    return false;
  }

  // Checks 8 (horizon) and 9 without recording anything: `d` becomes
  // accepted, duplicate or refused.
  void check_seen(const Envelope& env, UnixMillis now, Delivery& d) {
    std::lock_guard<std::mutex> lk(mu);
    {
      auto shared = accept_lock.hold(FileLock::Mode::shared);
      // Without the lock the index may miss what another process appended
      // meanwhile; a dry run still answers from what it knows.
      (void)log.catch_up(index, inboxes.marks(), horizon);
      inboxes.index_tail_readonly(env.to, horizon, now, index, unlogged);
    }
    if (check_new(env, d, /*detailed=*/false)) d.outcome = Delivery::Outcome::accepted;  // would be accepted
  }

  void maybe_prune(UnixMillis now) {
    if (now - last_prune < kPruneIntervalMs) return;
    last_prune = now;
    // Forget only below the horizon, and move it first: from here on the
    // store vouches for nothing older, whatever max_age says later.
    horizon = std::max(horizon, window_start(*routes_watch.current(now), now));
    index.prune(horizon);
    (void)log.compact_if_due(horizon);
  }

  // What one batch does to one agent's inbox.
  struct InboxBatch {
    std::optional<Error> error;
    std::uint64_t start = 0;  // the inbox's size before this batch's lines
    std::string lines;        // this batch's lines, written with one write()
    std::vector<Pending*> accepted;
    bool sync = false;        // lines to make durable: ours, or another process's we rely on
  };

  // The whole durable step for a batch. Under mu and the workspace's flock:
  // checks 8 (horizon) and 9 and policy for each envelope, in order (so a
  // repeat within the batch is caught), and one append per inbox. Outside
  // the lock: one fdatasync per inbox, then the seen log, then every answer.
  // I/O threads never touch the inbox, so they never wait behind a sync.
  void commit(std::vector<Pending>& batch) {
    std::map<std::string, InboxBatch> touched;
    std::vector<SeenEntry> entries;
    std::map<std::string, InboxMark> batch_marks;
    {
      std::lock_guard<std::mutex> lk(mu);
      auto held = accept_lock.hold();
      UnixMillis now = batch.back().now;
      if (held.ok()) (void)log.catch_up(index, inboxes.marks(), horizon);  // unreadable: a longer inbox scan
      entries.swap(unlogged);
      for (Pending& p : batch) {
        const Envelope& env = *p.env;
        Delivery& d = p.delivery;
        auto [it, first] = touched.try_emplace(env.to);
        InboxBatch& ib = it->second;
        if (first) {
          if (!held.ok()) {
            ib.error = held.error();
          } else if (auto tail = inboxes.index_tail(env.to, horizon, p.now, index, entries); !tail.ok()) {
            ib.error = tail.error();
          } else {
            ib.sync = tail->found;
            ib.start = tail->end;
          }
        }
        if (ib.error) {
          d.outcome = Delivery::Outcome::failed;
          d.error = ib.error;
          continue;
        }
        if (!check_new(env, d, /*detailed=*/true)) continue;
        // Policy, for new envelopes only: an exact repeat already has its answer.
        if (opts.policy) {
          if (auto why = opts.policy(env, d.peer)) {
            d.outcome = Delivery::Outcome::denied;
            d.policy = *why;
            continue;
          }
        }
        index.insert(env.key, env.id, env.ts, p.now, sig_tag_of(env.sig));
        p.entry = SeenEntry{env.key, env.id, env.ts, p.now, sig_tag_of(env.sig), env.to};
        ib.lines += format_inbox_line(p.text, p.now, p.via);
        ib.accepted.push_back(&p);
        d.outcome = Delivery::Outcome::accepted;
        d.accepted_at = p.now;
      }
      for (auto& [agent, ib] : touched) {
        if (ib.lines.empty()) continue;
        Status wrote = inboxes.append(agent, ib.lines);
        if (!wrote.ok()) {
          fail_accepted(ib, wrote.error());  // the file holds none of the lines
          continue;
        }
        inboxes.marks()[agent].offset = ib.start + ib.lines.size();
        ib.sync = true;
      }
      maybe_prune(now);
    }

    // Durable before anyone is told: one fdatasync per inbox.
    for (auto& [agent, ib] : touched) {
      if (!ib.sync) continue;
      const std::uint64_t end = ib.start + ib.lines.size();
      if (Status synced = inboxes.sync(agent); !synced.ok()) {
        std::lock_guard<std::mutex> lk(mu);
        auto held = accept_lock.hold();
        // Not one of these lines was acknowledged: cut them off, so that a
        // retry is stored rather than found (the disk may not have them).
        inboxes.take_back(agent, ib.start, end);
        fail_accepted(ib, synced.error());
        continue;
      }
      batch_marks[agent] = inboxes.mark_at(agent, end);
    }
    stats_commits.fetch_add(1, std::memory_order_relaxed);
    for (Pending& p : batch) {
      if (p.entry) entries.push_back(*p.entry);
    }
    {
      std::lock_guard<std::mutex> lk(mu);
      // Under the flock, so that no compaction replaces the file mid-append.
      auto held = accept_lock.hold();
      Status logged = held.ok() ? log.append(entries, batch_marks, horizon) : Status(held.error());
      if (!logged.ok()) {
        // The log does not have these entries, and a later mark will pass
        // their inbox lines: they go first in the next append.
        unlogged.insert(unlogged.end(), std::make_move_iterator(entries.begin()),
                        std::make_move_iterator(entries.end()));
      }
    }
    for (Pending& p : batch) {
      Delivery& d = p.delivery;
      switch (d.outcome) {
        case Delivery::Outcome::accepted: stats_accepted.fetch_add(1, std::memory_order_relaxed); break;
        case Delivery::Outcome::duplicate: stats_duplicates.fetch_add(1, std::memory_order_relaxed); break;
        case Delivery::Outcome::failed: stats_failed.fetch_add(1, std::memory_order_relaxed); break;
        case Delivery::Outcome::refused: stats_refused.fetch_add(1, std::memory_order_relaxed); break;
        case Delivery::Outcome::denied: stats_denied.fetch_add(1, std::memory_order_relaxed); break;
      }
      if (d.outcome != Delivery::Outcome::accepted) log_refusal(d, p.text, p.via, p.source, p.now);
      if (p.done) p.done(std::move(d));
    }
  }

  // Every acceptance of `ib` becomes a failure; requires mu.
  void fail_accepted(InboxBatch& ib, const Error& e) {
    for (Pending* p : ib.accepted) {
      index.erase(p->env->key, p->env->id);
      p->entry.reset();
      p->delivery.outcome = Delivery::Outcome::failed;
      p->delivery.error = e;
    }
    ib.accepted.clear();
  }

  Workspace ws;
  PublicKey self;
  ReceiverOptions opts;
  RefusalLog refusals;
  RoutesWatch routes_watch;

  std::mutex agents_mu;
  std::set<std::string> known_agents;

  std::mutex mu;  // with the accept lock: index, horizon, log, inboxes
  SeenIndex index;
  UnixMillis horizon = 0;  // the index knows every accepted envelope with a ts at or after it
  SeenLog log;
  FileLock accept_lock;  // .bwoc/state/accept.lock, shared by every process
  InboxFiles inboxes;
  // Entries the seen log does not have yet (found by a dry run, or carried
  // by an append that failed): logged by the next commit, before its marks.
  std::vector<SeenEntry> unlogged;
  UnixMillis last_prune = 0;

  std::atomic<std::uint64_t> stats_accepted{0}, stats_duplicates{0}, stats_refused{0}, stats_denied{0},
      stats_failed{0}, stats_commits{0};

  // Last: its thread commits into everything above, and stops first.
  std::unique_ptr<CommitQueue<Pending>> queue;
};

Result<std::unique_ptr<Receiver>> Receiver::open(const Workspace& workspace, ReceiverOptions options) {
  BWOC_ASSIGN_OR_RETURN(PublicKey self, workspace.public_key());
  // An invalid routes.toml stops the start: a typo in who is trusted must be
  // loud. Later edits that do not parse keep the last good routes.
  BWOC_ASSIGN_OR_RETURN(Routes routes, Routes::load(workspace.routes_file(), workspace.root()));
  BWOC_RETURN_IF_ERROR(ensure_directory(workspace.state_dir(), 0700));
  BWOC_ASSIGN_OR_RETURN(SeenLog log, SeenLog::open(workspace.state_dir()));
  BWOC_ASSIGN_OR_RETURN(FileLock lock, FileLock::open(workspace.state_dir() / "accept.lock"));
  UnixMillis now = options.clock();
  UnixMillis horizon = window_start(routes, now);
  auto impl = std::make_unique<Impl>(workspace, self, std::move(options), std::move(routes), std::move(log),
                                     std::move(lock), now);
  // Ids older than the window are not needed; reading from there, and the
  // log's own horizon, make this process's.
  impl->horizon = horizon;
  // Read the seen ids now, so that the first delivery does not wait for it.
  (void)impl->log.catch_up(impl->index, impl->inboxes.marks(), impl->horizon);
  impl->last_prune = now;
  CommitQueueOptions queue;
  queue.lull = impl->opts.commit_lull;
  queue.max_delay = impl->opts.max_commit_delay;
  queue.max_batch = impl->opts.max_batch;
  impl->queue = std::make_unique<CommitQueue<Impl::Pending>>(
      queue, [raw = impl.get()](std::vector<Impl::Pending>& batch) { raw->commit(batch); });
  return std::unique_ptr<Receiver>(new Receiver(std::move(impl)));
}

Receiver::Receiver(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Receiver::~Receiver() = default;

const Workspace& Receiver::workspace() const { return impl_->ws; }

std::shared_ptr<const Routes> Receiver::routes() { return impl_->routes_watch.current(impl_->opts.clock()); }
void Receiver::routes_changed() { (void)impl_->routes_watch.current(impl_->opts.clock(), /*look_now=*/true); }

Receiver::Stats Receiver::stats() const {
  Stats s;
  s.accepted = impl_->stats_accepted.load();
  s.duplicates = impl_->stats_duplicates.load();
  s.refused = impl_->stats_refused.load();
  s.denied = impl_->stats_denied.load();
  s.failed = impl_->stats_failed.load();
  s.commits = impl_->stats_commits.load();
  return s;
}

void Receiver::receive(std::string_view text, Via via, std::string_view source, Done done) {
  // Checks 1-8 here, on the caller's thread: the CPU work (Ed25519) spreads
  // over the callers; the commit thread does the rest for a whole batch.
  receive_parsed(parse_envelope(text), std::string(text), via, source, std::move(done));
}

void Receiver::receive_parsed(Checked<Envelope> parsed, std::string text, Via via, std::string_view source,
                              Done done) {
  Impl& m = *impl_;
  UnixMillis now = m.opts.clock();
  Delivery d;
  auto env = m.pre_checks(std::move(parsed), via, now, d);
  submit(std::move(env), std::move(text), via, source, now, std::move(d), std::move(done));
}

void Receiver::submit(std::shared_ptr<const Envelope> env, std::string text, Via via, std::string_view source,
                      UnixMillis now, Delivery d, Done done) {
  Impl& m = *impl_;
  if (!env) {
    d.outcome = Delivery::Outcome::refused;
    m.log_refusal(d, text, via, source, now);
    m.stats_refused.fetch_add(1, std::memory_order_relaxed);
    if (done) done(std::move(d));
    return;
  }
  Impl::Pending p;
  p.env = std::move(env);
  p.text = std::move(text);
  p.via = via;
  p.source = std::string(source);
  p.now = now;
  p.delivery = std::move(d);
  p.done = std::move(done);
  m.queue->push(std::move(p));
}

Delivery Receiver::receive_sync(std::string_view text, Via via, std::string_view source) {
  return wait_for_callback<Delivery>([&](auto done) { receive(text, via, source, std::move(done)); });
}

Delivery Receiver::check(std::string_view text, Via via) {
  Impl& m = *impl_;
  UnixMillis now = m.opts.clock();
  Delivery d;
  auto env = m.pre_checks(parse_envelope(text), via, now, d);
  if (!env) {
    d.outcome = Delivery::Outcome::refused;
    return d;
  }
  m.check_seen(*env, now, d);
  return d;
}

Delivery Receiver::verify(Checked<Envelope> parsed, std::string_view text, Via via, std::string_view source) {
  Impl& m = *impl_;
  UnixMillis now = m.opts.clock();
  Delivery d;
  auto env = m.pre_checks(std::move(parsed), via, now, d);
  if (!env) {
    d.outcome = Delivery::Outcome::refused;
  } else {
    m.check_seen(*env, now, d);
    if (d.outcome == Delivery::Outcome::accepted && m.opts.policy) {
      if (auto why = m.opts.policy(*env, d.peer)) {
        d.outcome = Delivery::Outcome::denied;
        d.policy = *why;
      }
    }
  }
  if (d.outcome != Delivery::Outcome::accepted) m.log_refusal(d, text, via, source, now);
  return d;
}

void Receiver::flush() { impl_->queue->flush(); }

}  // namespace bwoc
