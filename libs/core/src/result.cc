#include "bwoc/core/result.h"

namespace bwoc {

std::string_view errc_name(Errc code) {
  switch (code) {
    case Errc::invalid_argument: return "invalid_argument";
    case Errc::not_found: return "not_found";
    case Errc::already_exists: return "already_exists";
    case Errc::permission_denied: return "permission_denied";
    case Errc::io_error: return "io_error";
    case Errc::corrupt: return "corrupt";
    case Errc::unavailable: return "unavailable";
    case Errc::timeout: return "timeout";
    case Errc::refused: return "refused";
    case Errc::internal: return "internal";
  }
  return "internal";
}

}  // namespace bwoc
