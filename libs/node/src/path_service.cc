#include "bwoc/node/path_service.h"

#include "bwoc/core/backoff.h"
#include "bwoc/core/dir_watch.h"
#include "bwoc/core/log.h"
#include "bwoc/core/result_push.h"
#include "bwoc/peer/send.h"

namespace bwoc::node {

namespace {

// How long one answer may take to reach its asker, every transport together.
constexpr std::chrono::milliseconds kAnswerTimeout{15'000};

}  // namespace

void PathIngest::send_answer(const InboundResult& r) {
  const Delivery& d = r.delivery;
  auto routes = inbound_.routes();
  const PeerRoute* route = routes ? routes->find(d.peer) : nullptr;
  std::string detail;
  bool sent = false;
  if (d.peer == "self") {
    // Our own request (an agent asking another of ours): the answer lands
    // in our drop folder like any other.
    auto dropped = drop_envelope(inbound_.workspace().root(), r.answer);
    sent = dropped.ok();
    detail = dropped.ok() ? "dropped into " + dropped->string() : dropped.error().message();
  } else if (route == nullptr) {
    detail = "the asker is not declared any more";
  } else if (auto answer = parse_envelope(r.answer); !answer.ok()) {
    detail = "the answer does not read back: " + answer.refusal().detail;
  } else {
    peer::DeliverOptions options;
    options.timeout = kAnswerTimeout;
    auto delivered = peer::deliver(*route, SignedEnvelope{r.answer, std::move(answer).value()}, options, network_);
    sent = delivered.ok();
    detail = delivered.ok() ? delivered->report.detail : delivered.error().message();
  }
  if (sent && d.envelope->kind == "skill.call") settle_push(r.answer);
  log::event(sent ? log::Level::info : log::Level::warning, "ingest.answered",
             {{"id", d.envelope->id}, {"peer", d.peer}, {"kind", d.envelope->kind}, {"sent", sent ? "yes" : "no"},
              {"detail", detail}});
}

void PathIngest::settle_push(const std::string& answer) {
  auto parsed = parse_envelope(answer);
  if (!parsed.ok()) return;
  if (!pushes_) {
    auto opened = PushStore::open(inbound_.workspace());
    if (!opened.ok()) return;  // it will be pushed: once, and acknowledged
    pushes_ = std::move(opened).value();
  }
  (void)pushes_->settle(parsed.value().id, PushState::answered, "sent back when the request was taken in");
}

Result<IngestReport> PathIngest::round(std::size_t max, const std::function<void(std::size_t done)>& progress) {
  IngestOptions options;
  options.max_entries = max;
  options.on_answer = [this](const InboundResult& r) { send_answer(r); };
  if (progress) options.on_batch = [&progress](const IngestReport& so_far) { progress(so_far.items.size()); };
  return ingest_drop_folder(inbound_, options);
}

std::size_t PathIngest::waiting(std::size_t stop_at) const {
  std::size_t n = 0;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(inbound_.workspace().drop_dir() / "new", ec), end;
       !ec && it != end && n < stop_at; it.increment(ec)) {
    ++n;
  }
  return n;
}

Result<std::unique_ptr<PathService>> PathService::start(Inbound& inbound, const peer::Network& network) {
  if (!inbound.agent().empty()) {
    return Error(Errc::internal, "the path ingest serves every agent, not only \"" + inbound.agent() + "\"");
  }
  std::unique_ptr<PathService> service(new PathService(inbound, network));
  PathService* raw = service.get();
  service->worker_ = std::thread([raw] { raw->loop(); });
  return service;
}

PathService::~PathService() { stop(); }

void PathService::loop() {
  DirWatch watch({inbound_.workspace().drop_dir() / "new"});
  // A round that fails (a full disk, no descriptors left) fails again if
  // tried at once: wait longer each time, and say so a few times a minute.
  Backoff backoff(std::chrono::milliseconds(100), std::chrono::seconds(2));
  log::Throttle failures(3, std::chrono::seconds(60));
  while (!stopping_) {
    auto report = ingest_.round(0);
    if (!report.ok()) {
      log::error(failures, "ingest.failed", {{"error", report.error().message()}});
    } else {
      accepted_ += report->accepted;
      duplicates_ += report->duplicates;
      refused_ += report->refused + report->quarantined_unread;
      answered_ += report->answered;
      failed_ += report->failed;
    }
    if (!report.ok() || report->failed > 0) {
      // Bounded, and stop() waits for it: the loop checks stopping_ after.
      watch.wait(backoff.next());
      continue;
    }
    backoff.reset();
    // Woken by anything landing in new/; a file system without events is
    // looked at every second anyway.
    watch.wait(std::chrono::milliseconds(1000));
  }
}

std::string PathService::endpoint() const { return (inbound_.workspace().drop_dir() / "new").string(); }

std::string PathService::status() const { return "watching " + endpoint(); }

std::vector<std::pair<std::string, std::string>> PathService::stats() const {
  return {{"accepted", std::to_string(accepted_)}, {"duplicates", std::to_string(duplicates_)},
          {"refused", std::to_string(refused_)},   {"answered", std::to_string(answered_)},
          {"failed", std::to_string(failed_)}};
}

void PathService::stop() {
  stopping_ = true;
  if (worker_.joinable()) worker_.join();
  inbound_.flush();
}

}  // namespace bwoc::node
