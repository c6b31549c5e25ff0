#include "routes_watch.h"

namespace bwoc {

RoutesWatch::RoutesWatch(std::filesystem::path file, std::filesystem::path root, Routes initial,
                         std::int64_t recheck_ms, UnixMillis now)
    : file_(std::move(file)),
      root_(std::move(root)),
      recheck_ms_(recheck_ms),
      routes_(std::make_shared<const Routes>(std::move(initial))),
      checked_at_(now) {
  ::stat(file_.c_str(), &stat_);
}

std::shared_ptr<const Routes> RoutesWatch::current(UnixMillis now, bool look_now) {
  std::lock_guard<std::mutex> lk(mu_);
  if (!look_now && now - checked_at_ < recheck_ms_) return routes_;
  checked_at_ = now;
  struct stat st {};
  bool exists = ::stat(file_.c_str(), &st) == 0;
  bool changed = !exists || st.st_ino != stat_.st_ino || st.st_size != stat_.st_size ||
                 st.st_mtim.tv_sec != stat_.st_mtim.tv_sec || st.st_mtim.tv_nsec != stat_.st_mtim.tv_nsec;
  if (!changed) return routes_;
  auto loaded = Routes::load(file_, root_);
  if (loaded.ok()) {
    routes_ = std::make_shared<const Routes>(std::move(loaded).value());
    stat_ = st;
  }
  return routes_;
}

}  // namespace bwoc
