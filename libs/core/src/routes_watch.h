// The routes a receiver checks against, kept current while it runs: an edit
// of routes.toml applies without a restart (a peer pinned or removed, a
// max_age changed), and an edit that does not parse keeps the last good
// routes, so that a typo never drops every peer.
//
// Thread-safe; cheap when nothing changed: the file is looked at (one
// stat) at most once per `recheck_ms`.
#ifndef BWOC_CORE_SRC_ROUTES_WATCH_H_
#define BWOC_CORE_SRC_ROUTES_WATCH_H_

#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>

#include "bwoc/core/routes.h"
#include "bwoc/core/timestamp.h"

namespace bwoc {

class RoutesWatch {
 public:
  // `initial` was loaded from `file` just before (at `now`).
  RoutesWatch(std::filesystem::path file, std::filesystem::path root, Routes initial, std::int64_t recheck_ms,
              UnixMillis now);

  // The routes as of `now`. `look_now`: look at the file whatever the
  // interval (a key nobody pinned may be a peer declared a moment ago).
  std::shared_ptr<const Routes> current(UnixMillis now, bool look_now = false);

 private:
  std::filesystem::path file_;
  std::filesystem::path root_;
  std::int64_t recheck_ms_;
  std::mutex mu_;
  std::shared_ptr<const Routes> routes_;
  struct stat stat_ {};
  UnixMillis checked_at_ = 0;
};

}  // namespace bwoc

#endif  // BWOC_CORE_SRC_ROUTES_WATCH_H_
