// Waiting for files to appear in folders (inotify), with a bound: a drop
// folder on a file system that sends no events is still looked at every
// `at_most`.
#ifndef BWOC_CORE_DIR_WATCH_H_
#define BWOC_CORE_DIR_WATCH_H_

#include <chrono>
#include <filesystem>
#include <vector>

namespace bwoc {

class DirWatch {
 public:
  // Files created, written or moved into any of `dirs`.
  explicit DirWatch(const std::vector<std::filesystem::path>& dirs);
  ~DirWatch();
  DirWatch(const DirWatch&) = delete;
  DirWatch& operator=(const DirWatch&) = delete;

  // Returns when something changed, or after `at_most`.
  void wait(std::chrono::milliseconds at_most);

 private:
  int fd_ = -1;
};

}  // namespace bwoc

#endif  // BWOC_CORE_DIR_WATCH_H_
