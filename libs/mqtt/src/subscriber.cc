#include "bwoc/mqtt/subscriber.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "bwoc/core/files.h"
#include "bwoc/core/inbound.h"
#include "bwoc/core/key_ring.h"
#include "bwoc/core/log.h"
#include "bwoc/core/work_queue.h"
#include "bwoc/mqtt/publisher.h"
#include "bwoc/mqtt/resend_policy.h"
#include "connection.h"
#include "receipt_tracker.h"

namespace bwoc::mqtt {

namespace {

// Receipts are worth a retry by the sender, never a wait on the broker: past
// these, a receipt is dropped and the sender's spool asks again.
// Bounded by bytes, not by count: the receipt thread trails a burst (it
// publishes as the broker acknowledges, and acknowledgements are read
// between the burst's messages), and a count of 16,384 dropped receipts of
// bursts of 20,000. 64 MiB holds about 90,000 receipts.
constexpr std::size_t kMaxQueuedReceiptBytes = 64u << 20;
constexpr std::size_t kMaxUnacknowledgedReceipts = 16'384;
// Payloads between arrival and disk, at most (one is always let through).
constexpr std::size_t kMaxPendingBytes = 64u << 20;

struct ReceiptJob {
  Delivery delivery;  // until its answer is signed: then only `id` is kept
  std::string id;     // the envelope's
  std::string topic;
  std::optional<std::string> answer;  // the signed answer or receipt, once there is one
  std::size_t bytes = 0;              // its envelope's share of the pending bytes, until signed
};

std::string default_client_id(const Workspace& ws, const PublicKey& self, const std::string& agent) {
  std::string fp;
  for (char c : self.fingerprint()) {
    if (c != '-' && c != ' ' && c != ':') fp += c;
  }
  return "bwoc-" + ws.name() + "-" + agent + "-" + fp.substr(0, 8);
}

}  // namespace

struct Subscriber::Impl {
  Impl(const Workspace& w, Inbound& in) : ws(w), inbound(in) {}

  // On Paho's thread. Paho has already acknowledged the message to the
  // broker, so it is processed whatever happens; blocking here (when
  // max_pending envelopes are not yet stored and receipted) makes the broker
  // hold the rest. The checks and the receipts' signatures run on the
  // checker threads, one per core: Paho delivers on one thread, and Ed25519
  // would keep it to one core.
  void on_message(IncomingMessage m) {
    if (m.topic == receipt_topic) {
      if (tracker->on_message(m.payload)) ++confirmed;
      return;
    }
    ++received;
    std::unique_lock<std::mutex> lk(mu);
    // Bounded by count and by bytes: 1,024 junk payloads of 1 MiB each must
    // not become a gigabyte.
    std::size_t bytes = m.payload.size();
    space.wait(lk, [&] {
      return (outstanding < options.max_pending && outstanding_bytes + bytes <= kMaxPendingBytes) ||
             outstanding == 0 || closing;
    });
    ++outstanding;
    outstanding_bytes += bytes;
    incoming.push_back(std::move(m));
    lk.unlock();
    arrived.notify_one();
  }

  void check_loop() {
    std::unique_lock<std::mutex> lk(mu);
    while (true) {
      arrived.wait(lk, [&] { return !incoming.empty() || !to_sign.empty() || checkers_quit; });
      if (!to_sign.empty()) {
        // Receipts first: each one frees a slot for the next envelope.
        ReceiptJob job = std::move(to_sign.front());
        to_sign.pop_front();
        lk.unlock();
        auto receipt = inbound.receipt(job.delivery);
        if (receipt.ok()) job.delivery = Delivery{};  // freed here, outside the lock
        lk.lock();
        outstanding_bytes -= job.bytes;
        release_locked();
        if (!receipt.ok()) {
          ++receipts_lost;  // the sender's spool asks again
          log::warning(receipt_lines, "mqtt.receipt_not_sent", {{"agent", options.agent},
                                                                {"id", job.id},
                                                                {"error", receipt.error().message()}});
          continue;
        }
        job.answer = std::move(receipt).value();
        queue_job_locked(std::move(job));
        continue;
      }
      if (incoming.empty()) return;
      IncomingMessage m = std::move(incoming.front());
      incoming.pop_front();
      lk.unlock();
      std::string reply_to = is_valid_topic_name(m.response_topic) ? std::move(m.response_topic) : std::string();
      std::size_t bytes = m.payload.size();
      inbound.receive(m.payload, Via::mqtt, "mqtt " + m.topic,
                      [this, bytes, reply_to = std::move(reply_to)](InboundResult r) {
                        on_result(std::move(r), reply_to, bytes);
                      });
      lk.lock();
    }
  }

  // Once the inbound layer decided: on the commit thread after the
  // fdatasync, on a worker after an action, at once for a refusal. A stored
  // envelope keeps its slot until a checker has signed its receipt (CPU
  // work only, spread over the cores like the checks), so that a burst
  // waits at the broker rather than piling up unsigned receipts here; no
  // slot ever waits for the broker: that could wait for ourselves.
  void on_result(InboundResult r, const std::string& reply_to, std::size_t bytes) {
    using D = InboundResult::Disposition;
    std::optional<std::string> topic;
    if (r.disposition == D::answered || r.disposition == D::stored) {
      topic = receipt_topic_for(*r.delivery.envelope, r.delivery.peer, reply_to);
    }
    std::string id = r.delivery.envelope ? r.delivery.envelope->id : std::string();
    ReceiptJob job{std::move(r.delivery), std::move(id), topic ? std::move(*topic) : std::string(), std::nullopt, bytes};
    if (r.disposition == D::answered && topic) {
      job.answer = std::move(r.answer);
      job.delivery = Delivery{};  // freed here, outside the lock
    }
    std::lock_guard<std::mutex> lk(mu);
    if (topic && r.disposition == D::stored && !checkers_quit) {
      to_sign.push_back(std::move(job));
      arrived.notify_one();
      return;
    }
    outstanding_bytes -= bytes;
    release_locked();
    if (!topic) return;
    queue_job_locked(std::move(job));
  }

  // A receipt or answer for the publishing thread; requires mu.
  void queue_job_locked(ReceiptJob job) {
    // A signed answer needs nothing more of its envelope (its callers drop
    // it): what waits here is the answer alone, as kMaxQueuedReceiptBytes
    // counts it. Holding the parsed envelope too made a burst's backlog
    // several times that (about 4 KiB an envelope: 163 MiB at the end of
    // 40,000).
    std::size_t size = job.answer ? job.answer->size() : 0;
    if (jobs_bytes + size > kMaxQueuedReceiptBytes) {
      // The sender's spool resends it; the repeat gets this same answer.
      ++receipts_lost;
      return;
    }
    jobs_bytes += size;
    jobs.push_back(std::move(job));
    work.notify_all();  // stop() may wait on it too
  }

  // The sender's Response Topic, or else where its declared route says its
  // receipts go.
  std::optional<std::string> receipt_topic_for(const Envelope& env, const std::string& peer,
                                               const std::string& reply_to) {
    if (!reply_to.empty()) return reply_to;
    if (peer == "self") return agent_topic(broker.topic_root, env.from, "receipts");
    auto routes = inbound.routes();
    const PeerRoute* route = routes ? routes->find(peer) : nullptr;
    if (route != nullptr && route->mqtt) return agent_topic(route->mqtt->topic, env.from, "receipts");
    return std::nullopt;
  }

  void release_locked() {
    --outstanding;
    space.notify_one();
    if (outstanding == 0 && jobs.empty()) work.notify_all();
  }

  // All publishing happens here: Connection's window is for one thread.
  void publish_loop() {
    auto next_retry = std::chrono::steady_clock::now() + options.retry_interval;
    std::unique_lock<std::mutex> lk(mu);
    while (true) {
      work.wait_until(lk, next_retry, [&] { return !jobs.empty() || quit; });
      if (jobs.empty() && quit) return;
      if (!jobs.empty()) {
        // All that waits, in one go: one lock and one wake-up a batch, not a receipt.
        std::deque<ReceiptJob> batch;
        batch.swap(jobs);
        jobs_bytes = 0;
        publishing = true;
        lk.unlock();
        for (const ReceiptJob& job : batch) send_receipt(job);
        batch.clear();
        lk.lock();
        publishing = false;
        if (jobs.empty() && outstanding == 0) work.notify_all();
        continue;
      }
      if (std::chrono::steady_clock::now() >= next_retry) {
        lk.unlock();
        resend_spooled();
        lk.lock();
        next_retry = std::chrono::steady_clock::now() + options.retry_interval;
      }
    }
  }

  void send_receipt(const ReceiptJob& job) {
    auto receipt = job.answer ? Result<std::string>(*job.answer) : inbound.receipt(job.delivery);
    Status st = receipt.ok() ? Status(ok_status()) : Status(receipt.error());
    if (st.ok() && connection->connected()) {
      // Never more than a second: past it (the broker slow or just gone)
      // Paho keeps the receipt until it can send it. A full window is let
      // drain to half before the next: the receipts then go out in runs,
      // one wake-up of this thread for several acknowledgements.
      if (connection->unacknowledged() >= kPublishWindow) {
        (void)connection->wait_async_below(kPublishWindow / 2, std::chrono::seconds(1));
      }
    }
    if (st.ok() && connection->unacknowledged() >= kMaxUnacknowledgedReceipts) {
      st = Error(Errc::unavailable, "too many receipts wait for the broker");
    }
    if (st.ok()) st = connection->publish_async(job.topic, *receipt, job.id);
    if (st.ok()) {
      ++receipts_sent;
      return;
    }
    // The sender keeps the envelope in its spool and sends it again; the
    // repeat is answered with this same receipt.
    ++receipts_lost;
    // Under a flood this repeats: the throttle counts what it holds back.
    log::warning(receipt_lines, "mqtt.receipt_not_sent", {{"agent", options.agent}, {"id", job.id},
                                           {"error", st.error().message()}});
  }

  // This agent's own envelopes that still wait for a receipt.
  void resend_spooled() {
    auto entries = tracker->spool().list();
    if (!entries.ok()) {
      log::warning("mqtt.spool_unreadable", {{"error", entries.error().message()}});
      return;
    }
    UnixMillis older_than = now_millis() - static_cast<UnixMillis>(options.retry_interval.count()) * 1000;
    std::erase_if(*entries, [&](const SpoolEntry& e) {
      return e.from != options.agent || e.broker != broker.url.text() || e.created > older_than;
    });
    std::vector<SpoolEntry> due = still_worth_resending(ws, tracker->spool(), std::move(entries).value());
    std::size_t count = 0;
    for (const SpoolEntry& e : due) {
      // Not tracker->expect(): its receipt is matched through the spool, so
      // that a long-running service keeps nothing per envelope in memory.
      if (Status st = connection->publish_windowed(e.topic, e.envelope, e.id, e.reply_topic); !st.ok()) {
        log::warning("mqtt.resend_failed", {{"agent", options.agent}, {"id", e.id}, {"error", st.error().message()}});
        break;
      }
      ++resent;
      ++count;
    }
    if (count > 0) log::info("mqtt.resent", {{"agent", options.agent}, {"count", std::to_string(count)}});
  }

  void stop() {
    if (stopped.exchange(true)) return;
    // Whatever Paho hands over from now on is still stored and answered.
    inbound.flush();  // actions under way finish and queue their answers
    {
      std::unique_lock<std::mutex> lk(mu);
      work.wait_for(lk, std::chrono::seconds(5), [&] { return jobs.empty() && !publishing && outstanding == 0; });
    }
    if (!connection->wait_async(std::chrono::seconds(2)) || !connection->drain(std::chrono::seconds(2)).ok()) {
      log::warning("mqtt.receipts_unacknowledged", {{"agent", options.agent}});
    }
    connection->disconnect();
    {
      std::lock_guard<std::mutex> lk(mu);
      checkers_quit = true;
    }
    arrived.notify_all();
    for (std::thread& t : checkers) t.join();
    inbound.flush();
    {
      std::lock_guard<std::mutex> lk(mu);
      closing = true;
      quit = true;
    }
    space.notify_all();
    work.notify_all();
    if (publisher.joinable()) publisher.join();
    inbound.flush();
  }

  const Workspace& ws;
  Inbound& inbound;
  SubscribeOptions options;
  BrokerSettings broker;
  std::string receipt_topic;
  std::vector<std::string> topics;
  std::string client_id;
  std::optional<FileLock> lock;
  std::unique_ptr<ReceiptTracker> tracker;
  std::unique_ptr<Connection> connection;

  std::mutex mu;
  std::condition_variable space, work, arrived;
  std::deque<IncomingMessage> incoming;
  std::deque<ReceiptJob> to_sign;  // stored envelopes whose receipts the checkers sign
  bool checkers_quit = false;
  std::vector<std::thread> checkers;
  std::size_t outstanding = 0;
  std::size_t outstanding_bytes = 0;
  std::deque<ReceiptJob> jobs;
  std::size_t jobs_bytes = 0;  // of the signed receipts and answers in jobs
  bool publishing = false;     // the publishing thread holds a batch taken from jobs
  bool closing = false, quit = false;
  std::atomic<bool> stopped{false};
  std::thread publisher;
  std::atomic<std::uint64_t> received{0}, receipts_sent{0}, receipts_lost{0}, resent{0}, confirmed{0};
  log::Throttle receipt_lines{5, std::chrono::seconds(60)};
};

Subscriber::Subscriber(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Subscriber::~Subscriber() { stop(); }

void Subscriber::stop() {
  if (impl_) impl_->stop();
}

const std::vector<std::string>& Subscriber::topics() const { return impl_->topics; }
const std::string& Subscriber::client_id() const { return impl_->client_id; }
const std::string& Subscriber::agent() const { return impl_->options.agent; }

std::string Subscriber::status() const {
  std::string topics;
  for (const std::string& t : impl_->topics) topics += (topics.empty() ? "" : ",") + t;
  return "subscribed to " + topics + " on " + impl_->broker.url.text();
}

std::string Subscriber::endpoint() const { return impl_->broker.url.text(); }

Subscriber::Counts Subscriber::counts() const {
  Counts s;
  Receiver::Stats r = impl_->inbound.receiver_stats();
  s.received = impl_->received;
  s.accepted = r.accepted;
  s.duplicates = r.duplicates;
  s.refused = r.refused;
  s.denied = r.denied;
  s.failed = r.failed;
  s.commits = r.commits;
  s.receipts_sent = impl_->receipts_sent;
  s.receipts_lost = impl_->receipts_lost;
  s.resent = impl_->resent;
  s.confirmed = impl_->confirmed;
  s.connected = impl_->connection && impl_->connection->connected();
  return s;
}

std::vector<std::pair<std::string, std::string>> Subscriber::stats() const {
  Counts s = counts();
  return {{"received", std::to_string(s.received)},    {"accepted", std::to_string(s.accepted)},
          {"duplicates", std::to_string(s.duplicates)}, {"refused", std::to_string(s.refused)},
          {"denied", std::to_string(s.denied)},         {"failed", std::to_string(s.failed)},
          {"commits", std::to_string(s.commits)},       {"receipts", std::to_string(s.receipts_sent)},
          {"resent", std::to_string(s.resent)},         {"confirmed", std::to_string(s.confirmed)},
          {"connected", s.connected ? "yes" : "no"}};
}

Result<std::unique_ptr<Subscriber>> Subscriber::start(const Workspace& ws, const SubscribeOptions& options,
                                                      Inbound& inbound) {
  if (!ws.has_agent(options.agent)) {
    return Error(Errc::not_found, "no agent \"" + options.agent + "\" in workspace \"" + ws.name() + "\"");
  }
  if (inbound.agent() != options.agent) {
    return Error(Errc::internal, "the inbound layer serves agent \"" + inbound.agent() + "\", not \"" + options.agent + "\"");
  }
  auto impl = std::make_unique<Impl>(ws, inbound);
  impl->options = options;
  BWOC_ASSIGN_OR_RETURN(impl->broker, broker_settings(ws, options.broker_url, options.overrides));
  PublicKey self = inbound.public_key();
  impl->topics = options.topics;
  if (impl->topics.empty()) impl->topics.push_back(agent_topic(impl->broker.topic_root, options.agent, "inbox"));
  for (const std::string& t : impl->topics) {
    if (!is_valid_topic_filter(t)) return Error(Errc::invalid_argument, "not a valid topic filter: \"" + t + "\"");
  }
  impl->receipt_topic = agent_topic(impl->broker.topic_root, options.agent, "receipts");
  impl->client_id = options.client_id.empty() ? default_client_id(ws, self, options.agent) : options.client_id;

  std::filesystem::path dir = ws.state_dir() / "mqtt";
  BWOC_RETURN_IF_ERROR(ensure_directory(dir, 0700));
  auto lock = FileLock::try_acquire(dir / (options.agent + ".lock"));
  if (!lock.ok()) {
    if (lock.error().code() == Errc::already_exists) {
      return Error(Errc::already_exists,
                   "agent \"" + options.agent + "\" already has a running `bwoc mqtt subscribe` in this workspace");
    }
    return lock.error();
  }
  impl->lock.emplace(std::move(lock).value());
  BWOC_ASSIGN_OR_RETURN(Spool spool, Spool::open(ws));
  auto sent = SentLog::open(ws);
  impl->tracker = std::make_unique<ReceiptTracker>(
      std::move(spool), self, sent.ok() ? std::optional<SentLog>(std::move(sent).value()) : std::nullopt);

  ConnectionOptions co;
  co.broker = impl->broker;
  co.client_id = impl->client_id;
  co.persistent_session = true;
  co.session_expiry = options.session_expiry;
  Impl* raw = impl.get();
  std::string agent_name = options.agent;
  // A flapping broker repeats these about once a second.
  auto connection_lines = std::make_shared<log::Throttle>(6, std::chrono::seconds(60));
  auto on_event = [agent_name, connection_lines](const std::string& what) {
    if (what.rfind("connection lost", 0) == 0) {
      log::warning(*connection_lines, "mqtt.disconnected", {{"agent", agent_name}, {"why", what}});
    } else {
      log::info(*connection_lines, "mqtt.connected", {{"agent", agent_name}, {"how", what}});
    }
  };
  BWOC_ASSIGN_OR_RETURN(impl->connection,
                        Connection::open(co, [raw](IncomingMessage m) { raw->on_message(std::move(m)); }, on_event));
  impl->publisher = std::thread([raw] { raw->publish_loop(); });
  std::size_t cores = std::min<std::size_t>(usable_cores(), 8);
  for (std::size_t i = 0; i < cores; ++i) impl->checkers.emplace_back([raw] { raw->check_loop(); });
  auto fail = [&](Error e) {
    impl->stop();
    return e;
  };
  if (Status st = impl->connection->subscribe(impl->receipt_topic); !st.ok()) return fail(st.error());
  for (const std::string& t : impl->topics) {
    if (Status st = impl->connection->subscribe(t); !st.ok()) return fail(st.error());
  }
  std::string topics;
  for (const std::string& t : impl->topics) topics += (topics.empty() ? "" : ",") + t;
  log::info("mqtt.subscribed", {{"agent", options.agent}, {"broker", options.broker_url}, {"topics", topics},
                                {"client_id", impl->client_id}});
  return std::unique_ptr<Subscriber>(new Subscriber(std::move(impl)));
}

}  // namespace bwoc::mqtt
