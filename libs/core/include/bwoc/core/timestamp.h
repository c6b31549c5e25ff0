// Time as bwoc writes it: milliseconds since the Unix epoch, UTC, shown as
// "YYYY-MM-DDTHH:MM:SS.mmmZ" (the only form an envelope's `ts` may take).
#ifndef BWOC_CORE_TIMESTAMP_H_
#define BWOC_CORE_TIMESTAMP_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "bwoc/core/result.h"

namespace bwoc {

using UnixMillis = std::int64_t;

UnixMillis now_millis();

// Exactly "YYYY-MM-DDTHH:MM:SS.mmmZ" with a real calendar date (no leap second).
Result<UnixMillis> parse_timestamp(std::string_view text);
std::string format_timestamp(UnixMillis t);

// What a person may type for a time (--now): the envelope form, the same
// without milliseconds, or "@<unix seconds>".
Result<UnixMillis> parse_time_argument(std::string_view text);

// A duration such as "300s", "5m", "7d", "1h30m" or "250ms", in milliseconds.
// A bare number is seconds. Bounded to 10 years.
Result<std::int64_t> parse_duration(std::string_view text);
// "2h", "3d", "45s": the largest unit that divides the duration, for output.
std::string format_duration(std::int64_t millis);
// "5m ago" style, for `last seen` columns.
std::string format_age(std::int64_t millis);

}  // namespace bwoc

#endif  // BWOC_CORE_TIMESTAMP_H_
