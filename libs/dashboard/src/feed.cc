#include "feed.h"

#include <sys/stat.h>

#include <functional>

#include "api.h"
#include "bwoc/core/log.h"
#include "guard.h"

namespace bwoc::dashboard {

namespace {

constexpr std::chrono::milliseconds kLook{250};

void add_file(std::string& out, const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    out += "-;";
    return;
  }
  out += std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec) + ";";
}

a2a::WebResponse stream(std::string body) {
  a2a::WebResponse r;
  r.content_type = "text/event-stream; charset=utf-8";
  r.body = std::move(body);
  r.headers = security_headers();
  return r;
}

}  // namespace

Feed::Feed(Workspace ws, std::chrono::milliseconds hold, std::size_t max_waiting)
    : ws_(std::move(ws)), hold_(hold), max_waiting_(max_waiting) {
  watcher_ = std::thread([this] { watch(); });
}

Feed::~Feed() { stop(); }

std::string Feed::fingerprint() const {
  std::string out;
  for (const std::string& agent : ws_.agents()) add_file(out, ws_.inbox_file(agent));
  add_file(out, ws_.refusal_log_file());
  add_file(out, ws_.state_dir() / "mqtt-spool");
  add_file(out, ws_.routes_file());
  return out;
}

void Feed::subscribe(std::string last_event_id, a2a::WebReply reply) {
  std::unique_lock<std::mutex> lock(mu_);
  if (stopping_) {
    lock.unlock();
    return reply(stream("retry: 3000\n\n"));
  }
  if (!event_id_.empty() && last_event_id != event_id_) {
    std::string body = "retry: 300\nid: " + event_id_ + "\nevent: activity\ndata: " + event_data_ + "\n\n";
    lock.unlock();
    return reply(stream(std::move(body)));
  }
  if (waiting_.size() >= max_waiting_) {
    lock.unlock();
    a2a::WebResponse busy;
    busy.status = 503;
    busy.body = "too many live pages open\n";
    busy.headers = security_headers();
    busy.headers.emplace_back("Retry-After", "5");
    return reply(std::move(busy));
  }
  waiting_.push_back({std::move(last_event_id), std::move(reply), std::chrono::steady_clock::now() + hold_});
  wake_.notify_all();
}

void Feed::stop() {
  std::vector<Waiter> answer;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !watcher_.joinable()) return;
    stopping_ = true;
    answer.swap(waiting_);
  }
  wake_.notify_all();
  if (watcher_.joinable()) watcher_.join();
  for (Waiter& w : answer) w.reply(stream("retry: 3000\n\n"));
}

void Feed::watch() {
  std::string seen;  // the files' fingerprint when the activity was read last
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    std::string now_seen = fingerprint();
    std::string id, data;
    bool changed = now_seen != seen;
    if (changed) {
      // Read again only when a file changes, whether or not this read works.
      seen = std::move(now_seen);
      auto activity = activity_json(ws_);
      if (activity.ok()) {
        data = json::write(*activity);
        id = std::to_string(std::hash<std::string>{}(data));
      } else {
        log::warning("dashboard.activity_unreadable", {{"error", activity.error().message()}});
        changed = false;
      }
    }
    lock.lock();
    if (changed) {
      event_id_ = std::move(id);
      event_data_ = std::move(data);
    }
    // Those whose page is behind get the activity; those that waited long
    // enough get a comment, and come back.
    std::vector<std::pair<a2a::WebReply, std::string>> due;
    auto now = std::chrono::steady_clock::now();
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      if (!event_id_.empty() && it->last_id != event_id_) {
        due.emplace_back(std::move(it->reply),
                         "retry: 300\nid: " + event_id_ + "\nevent: activity\ndata: " + event_data_ + "\n\n");
      } else if (now >= it->until) {
        due.emplace_back(std::move(it->reply), "retry: 300\n: nothing new\n\n");
      } else {
        ++it;
        continue;
      }
      it = waiting_.erase(it);
    }
    if (!due.empty()) {
      lock.unlock();
      for (auto& [reply, body] : due) reply(stream(std::move(body)));
      lock.lock();
    }
    // Looked at again soon, or at once when a page joins or the feed stops.
    wake_.wait_for(lock, kLook, [&] { return stopping_; });
  }
}

}  // namespace bwoc::dashboard
