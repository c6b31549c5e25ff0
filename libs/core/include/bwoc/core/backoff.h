// Waiting before trying again after an error that repeats. Running out of
// file descriptors, memory or socket buffers does not clear by trying again
// at once: a loop that does takes a whole core, floods its log and starves
// the work that would give the resource back. Every accept, read and
// reconnect loop of bwoc waits by a Backoff after a failure.
#ifndef BWOC_CORE_BACKOFF_H_
#define BWOC_CORE_BACKOFF_H_

#include <chrono>

namespace bwoc {

// EMFILE, ENFILE, ENOBUFS, ENOMEM: this process or the system is out of
// something that only time, or the operator, gives back.
bool is_resource_exhaustion(int errno_value);

// Delays that double from `first` up to `most` while failures follow each
// other; reset() after a success starts again from `first`.
class Backoff {
 public:
  Backoff(std::chrono::milliseconds first, std::chrono::milliseconds most) : first_(first), most_(most) {}
  // How long to wait after the failure just seen.
  std::chrono::milliseconds next();
  void reset() { failures_ = 0; }
  unsigned failures() const { return failures_; }

 private:
  std::chrono::milliseconds first_;
  std::chrono::milliseconds most_;
  unsigned failures_ = 0;
};

}  // namespace bwoc

#endif  // BWOC_CORE_BACKOFF_H_
