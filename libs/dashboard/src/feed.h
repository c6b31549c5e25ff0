// The activity page's live feed, as server-sent events. A request (an
// EventSource) waits until the activity differs from what its page shows
// (the Last-Event-ID it sends back), then gets the newest activity as one
// event and ends; the browser reconnects at once (retry: 300) and waits
// again. So every change reaches the page, and no connection stays open
// longer than `hold`.
//
// One thread watches the files the activity is read from (sizes and times:
// a few stat calls a quarter second) and reads the activity again only when
// one changed.
#ifndef BWOC_DASHBOARD_SRC_FEED_H_
#define BWOC_DASHBOARD_SRC_FEED_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bwoc/a2a/web_server.h"
#include "bwoc/core/workspace.h"

namespace bwoc::dashboard {

class Feed {
 public:
  explicit Feed(Workspace ws, std::chrono::milliseconds hold = std::chrono::seconds(15), std::size_t max_waiting = 32);
  ~Feed();  // stop()

  // Answers now when the activity is not `last_event_id`, else when it changes.
  void subscribe(std::string last_event_id, a2a::WebReply reply);
  // Answers every waiting request and stops watching.
  void stop();

 private:
  struct Waiter {
    std::string last_id;
    a2a::WebReply reply;
    std::chrono::steady_clock::time_point until;
  };
  void watch();
  // What the activity's files look like now.
  std::string fingerprint() const;

  Workspace ws_;
  const std::chrono::milliseconds hold_;
  const std::size_t max_waiting_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::vector<Waiter> waiting_;
  std::string event_id_;    // of the activity read last
  std::string event_data_;  // its JSON
  bool stopping_ = false;
  std::thread watcher_;
};

}  // namespace bwoc::dashboard

#endif  // BWOC_DASHBOARD_SRC_FEED_H_
