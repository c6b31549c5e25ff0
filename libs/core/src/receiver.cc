#include "bwoc/core/receiver.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "bwoc/core/files.h"
#include "bwoc/core/inbox.h"
#include "bwoc/core/refusal_log.h"
#include "bwoc/core/replay_guard.h"
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

std::uint32_t sig_tag_of(const Signature& sig) {
  return (std::uint32_t{sig.bytes[0]} << 24) | (std::uint32_t{sig.bytes[1]} << 16) |
         (std::uint32_t{sig.bytes[2]} << 8) | sig.bytes[3];
}

// A file descriptor shared between the accept path and the commit thread, so
// that an inbox reopened after rotation stays open until its last sync.
struct SharedFd {
  explicit SharedFd(int f) : fd(f) {}
  ~SharedFd() {
    if (fd >= 0) ::close(fd);
  }
  SharedFd(const SharedFd&) = delete;
  SharedFd& operator=(const SharedFd&) = delete;
  int fd;
};

}  // namespace

struct Receiver::Impl {
  Impl(const Workspace& w, PublicKey self_key, ReceiverOptions o, SeenLog seen_log, int lock)
      : ws(w),
        self(self_key),
        opts(std::move(o)),
        refusals(w.refusal_log_file()),
        log(std::move(seen_log)),
        lock_fd(lock) {}

  ~Impl() {
    {
      std::lock_guard<std::mutex> lk(q_mu);
      stopping = true;
    }
    q_cv.notify_all();
    if (committer.joinable()) committer.join();
    if (lock_fd >= 0) ::close(lock_fd);
  }

  // ---- routes, reloaded when routes.toml changes ----
  // `look_now`: look at the file whatever the interval (a key we do not
  // know may be a peer declared a moment ago).
  std::shared_ptr<const Routes> current_routes(UnixMillis now, bool look_now = false) {
    std::lock_guard<std::mutex> lk(routes_mu);
    if (routes && !look_now && now - routes_checked_at < opts.routes_recheck_ms) return routes;
    routes_checked_at = now;
    struct stat st {};
    bool exists = ::stat(ws.routes_file().c_str(), &st) == 0;
    bool changed = !routes || !exists || st.st_ino != routes_stat.st_ino || st.st_size != routes_stat.st_size ||
                   st.st_mtim.tv_sec != routes_stat.st_mtim.tv_sec ||
                   st.st_mtim.tv_nsec != routes_stat.st_mtim.tv_nsec;
    if (!changed) return routes;
    auto loaded = Routes::load(ws.routes_file(), ws.root());
    if (loaded.ok()) {
      routes = std::make_shared<const Routes>(std::move(loaded).value());
      routes_stat = st;
    }
    return routes;
  }

  // ---- checks 1–8 ----
  // Returns the parsed envelope, or fills `d` with the refusal.
  std::shared_ptr<const Envelope> pre_checks(std::string_view text, Via via, UnixMillis now, Delivery& d,
                                             std::int64_t& window_ms) {
    return pre_checks_parsed(parse_envelope(text), via, now, d, window_ms);  // checks 1–3, then 4–8
  }

  std::shared_ptr<const Envelope> pre_checks_parsed(Checked<Envelope> parsed, Via via, UnixMillis now, Delivery& d,
                                                    std::int64_t& window_ms) {
    if (!parsed.ok()) {
      d.refusal = parsed.refusal();
      return nullptr;
    }
    auto env = std::make_shared<Envelope>(std::move(parsed).value());  // mutable until opened (issue 16)
    d.envelope = env;
    auto rts = current_routes(now);
    window_ms = rts->longest_max_age_ms() + kFutureToleranceMs;

    // Check 4: a pinned key.
    // (Issue 16: a rotated peer's previous key counts during its grace
    // period, a revoked key never; so does our own previous key.)
    const PeerRoute* peer = nullptr;
    if (is_own(env->key, now)) {
      d.peer = "self";
    } else if ((peer = rts->find_sender(env->key, now)) != nullptr) {
      d.peer = peer->key;
    } else if (rts = current_routes(now, /*look_now=*/true); (peer = rts->find_sender(env->key, now)) != nullptr) {
      d.peer = peer->key;
      window_ms = rts->longest_max_age_ms() + kFutureToleranceMs;
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
    // Check 8: age.
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

  void check_seen(const Envelope& env, UnixMillis now, std::int64_t window_ms, Delivery& d);

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

  // ---- the accept state (guarded by mu and the flock) ----
  struct AgentInbox {
    std::shared_ptr<SharedFd> fd;
    dev_t device = 0;
    ino_t inode = 0;
  };

  // An envelope that passed checks 1-8, on its way to the commit thread,
  // which does check 9, policy and the append for a whole batch at once.
  struct Pending {
    std::shared_ptr<const Envelope> env;
    std::string text;
    Via via = Via::path;
    std::string source;
    UnixMillis now = 0;
    std::int64_t window_ms = 0;
    Delivery delivery;
    Done done;
    std::optional<SeenEntry> entry;  // set when accepted
  };

  Result<AgentInbox*> inbox_for(const std::string& agent) {
    fs::path path = ws.inbox_file(agent);
    struct stat path_st {};
    bool exists = ::stat(path.c_str(), &path_st) == 0;
    auto it = inboxes.find(agent);
    if (it != inboxes.end() && exists && path_st.st_ino == it->second.inode && path_st.st_dev == it->second.device) {
      return &it->second;
    }
    // First use, or the file was rotated or removed: (re)open it.
    BWOC_RETURN_IF_ERROR(ensure_directory(path.parent_path(), 0755));
    int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
    if (fd < 0) return os_error("cannot open the inbox", path, errno);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      int err = errno;
      ::close(fd);
      return os_error("cannot stat", path, err);
    }
    AgentInbox& slot = inboxes[agent];
    slot.fd = std::make_shared<SharedFd>(fd);
    slot.device = st.st_dev;
    slot.inode = st.st_ino;
    return &slot;
  }

  // Indexes inbox lines that this process has not seen (appended by another
  // process, or left by a crash), and repairs a torn last line when allowed.
  // Returns whether anything was found that needs syncing.
  Result<bool> index_inbox_tail(const std::string& agent, AgentInbox& inbox, std::int64_t window_ms, bool repair,
                                std::vector<SeenEntry>& found, UnixMillis now) {
    struct stat st {};
    if (::fstat(inbox.fd->fd, &st) != 0) return os_error("cannot stat the inbox of", agent, errno);
    InboxMark& mark = marks[agent];
    if (mark.inode != st.st_ino || mark.device != st.st_dev) mark = InboxMark{st.st_dev, st.st_ino, 0};
    auto size = static_cast<std::uint64_t>(st.st_size);
    if (size < mark.offset) mark.offset = 0;  // truncated by hand: index it again
    if (size == mark.offset) return false;

    fs::path path = ws.inbox_file(agent);
    std::size_t before = found.size();
    auto scan = scan_inbox(path, mark.offset, [&](const InboxLine& line) {
      auto env = parse_envelope(line.envelope);
      if (!env.ok()) return;
      const Envelope& e = env.value();
      auto received = parse_timestamp(line.received);
      UnixMillis expires = e.ts + window_ms;
      if (expires < now) return;
      index.insert(e.key, e.id, expires, received.ok() ? *received : now, sig_tag_of(e.sig));
      found.push_back(SeenEntry{e.key, e.id, expires, received.ok() ? *received : now, sig_tag_of(e.sig), agent});
    });
    if (!scan.ok()) return scan.error();
    mark.offset = scan->end_offset;
    if (scan->torn_tail_bytes > 0 && repair) BWOC_RETURN_IF_ERROR(repair_torn_tail(agent, inbox, *scan, now));
    return found.size() > before || scan->lines > 0;
  }

  Status repair_torn_tail(const std::string& agent, AgentInbox& inbox, const InboxScan& scan, UnixMillis now) {
    fs::path path = ws.inbox_file(agent);
    // Keep what was cut, for the operator; it was never reported accepted.
    std::string fragment(static_cast<std::size_t>(std::min<std::uint64_t>(scan.torn_tail_bytes, 1 << 20)), '\0');
    int rfd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (rfd >= 0) {
      ssize_t n = ::pread(rfd, fragment.data(), fragment.size(), static_cast<off_t>(scan.end_offset));
      fragment.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
      ::close(rfd);
    }
    fs::path torn_dir = ws.state_dir() / "torn";
    (void)ensure_directory(torn_dir, 0700);
    fs::path saved = torn_dir / (agent + "-" + std::to_string(now) + ".partial");
    (void)write_file_atomic(saved, fragment, 0600);
    if (::ftruncate(inbox.fd->fd, static_cast<off_t>(scan.end_offset)) != 0) {
      return os_error("cannot repair the torn last line of", path, errno);
    }
    if (::fdatasync(inbox.fd->fd) != 0) return os_error("cannot sync", path, errno);
    RefusalRecord r;
    r.at = now;
    r.reason = "torn_line";
    r.detail = std::to_string(scan.torn_tail_bytes) + " bytes after the last complete line of " + agent +
               "'s inbox (never reported accepted) were moved to " + saved.string();
    r.source = path.string();
    r.bytes = scan.torn_tail_bytes;
    refusals.append(r);
    return ok_status();
  }

  void maybe_prune(UnixMillis now) {
    if (now - last_prune < kPruneIntervalMs) return;
    last_prune = now;
    index.prune(now);
    (void)log.compact_if_due(now);
  }

  // ---- the commit queue ----
  void enqueue(Pending p) {
    bool wake;
    {
      std::lock_guard<std::mutex> lk(q_mu);
      queue.push_back(std::move(p));
      ++submitted;
      // Wake the commit thread to start a batch, or to end its wait when the
      // batch is full; in between it is left alone, so that it does not take
      // the CPU from the threads still checking envelopes.
      wake = queue.size() == 1 || queue.size() == opts.max_batch;
    }
    if (wake) q_cv.notify_one();
  }

  void commit_loop() {
    // A batch this large means load: the next one does not look for a lull.
    constexpr std::size_t kBusyBatch = 8;
    std::size_t last_batch = 0;
    for (;;) {
      std::vector<Pending> batch;
      {
        std::unique_lock<std::mutex> lk(q_mu);
        q_cv.wait(lk, [&] { return stopping || !queue.empty(); });
        if (queue.empty()) return;  // stopping, nothing left
        auto deadline = std::chrono::steady_clock::now() + opts.max_commit_delay;
        if (last_batch >= kBusyBatch) {
          // Under load envelopes keep coming, and waking every lull to look
          // would take the CPU from the threads checking them (10% of the
          // peak on one core): wait once, for a full batch or the deadline.
          q_cv.wait_until(lk, deadline, [&] { return stopping || queue.size() >= opts.max_batch; });
        } else {
          for (;;) {
            std::size_t seen = queue.size();
            auto until = std::min(deadline, std::chrono::steady_clock::now() + opts.commit_lull);
            q_cv.wait_until(lk, until, [&] { return stopping || queue.size() >= opts.max_batch; });
            if (stopping || queue.size() >= opts.max_batch || queue.size() == seen ||
                std::chrono::steady_clock::now() >= deadline) {
              break;
            }
          }
        }
        batch.swap(queue);
        last_batch = batch.size();
      }
      commit(batch);
      {
        std::lock_guard<std::mutex> lk(q_mu);
        committed += batch.size();
      }
      flushed_cv.notify_all();
    }
  }

  // What one batch does to one agent's inbox.
  struct InboxBatch {
    AgentInbox* box = nullptr;
    std::optional<Error> error;
    std::uint64_t start = 0;    // the inbox's size before this batch's lines
    std::string lines;          // this batch's lines, written with one write()
    std::vector<Pending*> accepted;
    bool sync = false;          // lines to make durable: ours, or another process's we rely on
  };

  // The whole durable step for a batch. Under mu and the workspace's flock:
  // check 9 and policy for each envelope, in order (so a repeat within the
  // batch is caught), and one append per inbox. Outside the lock: one
  // fdatasync per inbox, then the seen log, then every answer. I/O threads
  // never touch the inbox, so they never wait behind a sync.
  void commit(std::vector<Pending>& batch) {
    std::map<std::string, InboxBatch> inboxes_touched;
    std::vector<SeenEntry> entries;
    std::map<std::string, InboxMark> batch_marks;
    {
      std::lock_guard<std::mutex> lk(mu);
      while (::flock(lock_fd, LOCK_EX) != 0 && errno == EINTR) {
      }
      struct Unlock {
        int fd;
        ~Unlock() { ::flock(fd, LOCK_UN); }
      } unlock{lock_fd};
      UnixMillis now = batch.back().now;
      (void)log.catch_up(index, marks, now);  // an unreadable index only costs a longer inbox scan
      entries.swap(scanned_unlogged);
      for (Pending& p : batch) {
        const Envelope& env = *p.env;
        Delivery& d = p.delivery;
        auto [it, first] = inboxes_touched.try_emplace(env.to);
        InboxBatch& ib = it->second;
        if (first) {
          auto box = inbox_for(env.to);
          if (!box.ok()) {
            ib.error = box.error();
          } else {
            ib.box = *box;
            auto tail = index_inbox_tail(env.to, *ib.box, p.window_ms, /*repair=*/true, entries, p.now);
            if (!tail.ok()) {
              ib.error = tail.error();
            } else {
              ib.sync = *tail;
              ib.start = marks[env.to].offset;
            }
          }
        }
        if (ib.error) {
          d.outcome = Delivery::Outcome::failed;
          d.error = ib.error;
          continue;
        }
        // Check 9: not accepted before.
        if (auto hit = index.find(env.key, env.id)) {
          if (hit->sig_tag == sig_tag_of(env.sig)) {
            d.outcome = Delivery::Outcome::duplicate;
            d.refusal = Refusal{Reason::replayed,
                                "exact repeat of an envelope accepted at " + format_timestamp(hit->accepted_at)};
            d.accepted_at = hit->accepted_at;
          } else {
            d.outcome = Delivery::Outcome::refused;
            d.refusal = Refusal{Reason::replayed, "id already accepted from this sender with other content"};
          }
          continue;
        }
        // Policy, for new envelopes only: an exact repeat already has its answer.
        if (opts.policy) {
          if (auto why = opts.policy(env, d.peer)) {
            d.outcome = Delivery::Outcome::denied;
            d.policy = *why;
            continue;
          }
        }
        UnixMillis expires = env.ts + p.window_ms;
        index.insert(env.key, env.id, expires, p.now, sig_tag_of(env.sig));
        p.entry = SeenEntry{env.key, env.id, expires, p.now, sig_tag_of(env.sig), env.to};
        ib.lines += format_inbox_line(p.text, p.now, p.via);
        ib.accepted.push_back(&p);
        d.outcome = Delivery::Outcome::accepted;
        d.accepted_at = p.now;
      }
      for (auto& [agent, ib] : inboxes_touched) {
        if (ib.lines.empty()) continue;
        Status wrote = write_all(ib.box->fd->fd, ib.lines, ws.inbox_file(agent));
        if (!wrote.ok()) {
          // Leave no partial line behind; if even that fails, the next
          // batch's tail check finds the torn line and repairs it.
          (void)::ftruncate(ib.box->fd->fd, static_cast<off_t>(ib.start));
          fail_accepted(ib, wrote.error());
          continue;
        }
        marks[agent].offset = ib.start + ib.lines.size();
        ib.sync = true;
      }
      maybe_prune(now);
    }

    // Durable before anyone is told: one fdatasync per inbox.
    for (auto& [agent, ib] : inboxes_touched) {
      if (!ib.sync || ib.box == nullptr) continue;
      if (::fdatasync(ib.box->fd->fd) != 0) {
        Error e(Errc::io_error, std::string("cannot sync the inbox: ") + errno_message(errno));
        std::lock_guard<std::mutex> lk(mu);
        // Index those lines again on the next batch: if they did reach the
        // disk, a retry is then answered as a repeat rather than stored twice.
        marks[agent].offset = ib.start;
        fail_accepted(ib, e);
        ib.sync = false;
        continue;
      }
      if (!ib.accepted.empty() || ib.sync) {
        batch_marks[agent] = InboxMark{ib.box->device, ib.box->inode, ib.start + ib.lines.size()};
      }
    }
    stats_commits.fetch_add(1, std::memory_order_relaxed);
    for (Pending& p : batch) {
      if (p.entry) entries.push_back(*p.entry);
    }
    if (!entries.empty() || !batch_marks.empty()) {
      std::lock_guard<std::mutex> lk(mu);
      // Under the flock, so that no compaction replaces the file mid-append.
      while (::flock(lock_fd, LOCK_EX) != 0 && errno == EINTR) {
      }
      (void)log.append(entries, batch_marks);
      ::flock(lock_fd, LOCK_UN);
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

  std::mutex routes_mu;
  std::shared_ptr<const Routes> routes;
  struct stat routes_stat {};
  UnixMillis routes_checked_at = 0;

  std::mutex agents_mu;
  std::set<std::string> known_agents;

  std::mutex mu;  // with the flock: index, log, marks, inboxes
  SeenIndex index;
  SeenLog log;
  std::map<std::string, InboxMark> marks;
  std::map<std::string, AgentInbox> inboxes;
  std::vector<SeenEntry> scanned_unlogged;  // found by dry runs, logged by the next commit
  UnixMillis last_prune = 0;
  int lock_fd = -1;

  std::mutex q_mu;
  std::condition_variable q_cv;
  std::condition_variable flushed_cv;
  std::vector<Pending> queue;
  std::uint64_t submitted = 0;
  std::uint64_t committed = 0;
  bool stopping = false;
  std::thread committer;

  std::atomic<std::uint64_t> stats_accepted{0}, stats_duplicates{0}, stats_refused{0}, stats_denied{0},
      stats_failed{0}, stats_commits{0};
};

Result<std::unique_ptr<Receiver>> Receiver::open(const Workspace& workspace, ReceiverOptions options) {
  BWOC_ASSIGN_OR_RETURN(PublicKey self, workspace.public_key());
  // An invalid routes.toml stops the start: a typo in who is trusted must be
  // loud. Later edits that do not parse keep the last good routes.
  BWOC_ASSIGN_OR_RETURN(Routes routes, Routes::load(workspace.routes_file(), workspace.root()));
  BWOC_RETURN_IF_ERROR(ensure_directory(workspace.state_dir(), 0700));
  BWOC_ASSIGN_OR_RETURN(SeenLog log, SeenLog::open(workspace.state_dir()));
  fs::path lock_path = workspace.state_dir() / "accept.lock";
  int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (lock_fd < 0) return os_error("cannot open", lock_path, errno);
  auto impl = std::make_unique<Impl>(workspace, self, std::move(options), std::move(log), lock_fd);
  UnixMillis now = impl->opts.clock();
  impl->routes = std::make_shared<const Routes>(std::move(routes));
  // Read the seen ids now, so that the first delivery does not wait for it.
  (void)impl->log.catch_up(impl->index, impl->marks, now);
  ::stat(workspace.routes_file().c_str(), &impl->routes_stat);
  impl->routes_checked_at = now;
  impl->last_prune = now;
  impl->committer = std::thread([raw = impl.get()] { raw->commit_loop(); });
  return std::unique_ptr<Receiver>(new Receiver(std::move(impl)));
}

Receiver::Receiver(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Receiver::~Receiver() = default;

const Workspace& Receiver::workspace() const { return impl_->ws; }

std::shared_ptr<const Routes> Receiver::routes() { return impl_->current_routes(impl_->opts.clock()); }
void Receiver::routes_changed() { (void)impl_->current_routes(impl_->opts.clock(), /*look_now=*/true); }

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
  Impl& m = *impl_;
  UnixMillis now = m.opts.clock();
  Delivery d;
  std::int64_t window_ms = 0;
  // Checks 1-8 here, on the caller's thread: the CPU work (Ed25519) spreads
  // over the callers; the commit thread does the rest for a whole batch.
  auto env = m.pre_checks(text, via, now, d, window_ms);
  submit(std::move(env), std::string(text), via, source, now, window_ms, std::move(d), std::move(done));
}

void Receiver::receive_document(json::Value document, std::string text, Via via, std::string_view source,
                                Done done) {
  Impl& m = *impl_;
  UnixMillis now = m.opts.clock();
  Delivery d;
  std::int64_t window_ms = 0;
  Checked<Envelope> parsed =
      text.size() > kMaxEnvelopeBytes
          ? Checked<Envelope>(Refusal{Reason::malformed, "envelope over 1 MiB"})
      : json_depth(document) > kMaxEnvelopeDepth
          ? Checked<Envelope>(Refusal{Reason::malformed, "envelope nests deeper than 64"})
          : envelope_from_document(std::move(document));
  auto env = m.pre_checks_parsed(std::move(parsed), via, now, d, window_ms);
  submit(std::move(env), std::move(text), via, source, now, window_ms, std::move(d), std::move(done));
}

void Receiver::receive_parsed(Checked<Envelope> parsed, std::string text, Via via, std::string_view source,
                              Done done) {
  Impl& m = *impl_;
  UnixMillis now = m.opts.clock();
  Delivery d;
  std::int64_t window_ms = 0;
  auto env = m.pre_checks_parsed(std::move(parsed), via, now, d, window_ms);
  submit(std::move(env), std::move(text), via, source, now, window_ms, std::move(d), std::move(done));
}

void Receiver::submit(std::shared_ptr<const Envelope> env, std::string text, Via via, std::string_view source,
                      UnixMillis now, std::int64_t window_ms, Delivery d, Done done) {
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
  p.window_ms = window_ms;
  p.delivery = std::move(d);
  p.done = std::move(done);
  m.enqueue(std::move(p));
}

Delivery Receiver::receive_sync(std::string_view text, Via via, std::string_view source) {
  return wait_for_callback<Delivery>([&](auto done) { receive(text, via, source, std::move(done)); });
}

Delivery Receiver::check(std::string_view text, Via via) {
  Impl& m = *impl_;
  UnixMillis now = m.opts.clock();
  Delivery d;
  std::int64_t window_ms = 0;
  auto env = m.pre_checks(text, via, now, d, window_ms);
  if (!env) {
    d.outcome = Delivery::Outcome::refused;
    return d;
  }
  m.check_seen(*env, now, window_ms, d);
  return d;
}

Delivery Receiver::verify(Checked<Envelope> parsed, std::string_view text, Via via, std::string_view source) {
  Impl& m = *impl_;
  UnixMillis now = m.opts.clock();
  Delivery d;
  std::int64_t window_ms = 0;
  auto env = m.pre_checks_parsed(std::move(parsed), via, now, d, window_ms);
  if (!env) {
    d.outcome = Delivery::Outcome::refused;
  } else {
    m.check_seen(*env, now, window_ms, d);
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

// Check 9 without recording anything: `d` becomes accepted, duplicate or refused.
void Receiver::Impl::check_seen(const Envelope& env_ref, UnixMillis now, std::int64_t window_ms, Delivery& d) {
  Impl& m = *this;
  const Envelope* env = &env_ref;
  std::lock_guard<std::mutex> lk(m.mu);
  while (::flock(m.lock_fd, LOCK_SH) != 0 && errno == EINTR) {
  }
  (void)m.log.catch_up(m.index, m.marks, now);
  fs::path inbox_path = m.ws.inbox_file(env->to);
  struct stat st {};
  if (::stat(inbox_path.c_str(), &st) == 0) {
    // Index complete lines only; a dry run never repairs or writes anything.
    InboxMark& mark = m.marks[env->to];
    if (mark.inode != st.st_ino || mark.device != st.st_dev) mark = InboxMark{st.st_dev, st.st_ino, 0};
    if (static_cast<std::uint64_t>(st.st_size) < mark.offset) mark.offset = 0;
    auto scan = scan_inbox(inbox_path, mark.offset, [&](const InboxLine& line) {
      auto e = parse_envelope(line.envelope);
      if (!e.ok()) return;
      auto received = parse_timestamp(line.received);
      UnixMillis at = received.ok() ? *received : now;
      UnixMillis expires = e.value().ts + window_ms;
      m.index.insert(e.value().key, e.value().id, expires, at, sig_tag_of(e.value().sig));
      m.scanned_unlogged.push_back(SeenEntry{e.value().key, e.value().id, expires, at, sig_tag_of(e.value().sig), env->to});
    });
    if (scan.ok()) mark.offset = scan->end_offset;
  }
  ::flock(m.lock_fd, LOCK_UN);
  if (auto hit = m.index.find(env->key, env->id)) {
    d.outcome = hit->sig_tag == sig_tag_of(env->sig) ? Delivery::Outcome::duplicate : Delivery::Outcome::refused;
    d.refusal = Refusal{Reason::replayed, "already accepted"};
    d.accepted_at = hit->accepted_at;
    return;
  }
  d.outcome = Delivery::Outcome::accepted;  // would be accepted
}

void Receiver::flush() {
  Impl& m = *impl_;
  std::unique_lock<std::mutex> lk(m.q_mu);
  std::uint64_t target = m.submitted;
  m.flushed_cv.wait(lk, [&] { return m.committed >= target; });
}

}  // namespace bwoc
