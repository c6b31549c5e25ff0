#include "bwoc/core/backoff.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>

namespace bwoc {

bool is_resource_exhaustion(int errno_value) {
  return errno_value == EMFILE || errno_value == ENFILE || errno_value == ENOBUFS || errno_value == ENOMEM;
}

std::chrono::milliseconds Backoff::next() {
  // 2^20 times `first` is past any sensible `most`; stop doubling there.
  unsigned doublings = std::min(failures_, 20u);
  if (failures_ < 64) ++failures_;
  auto delay = first_ * (std::int64_t{1} << doublings);
  return std::min(delay, most_);
}

}  // namespace bwoc
