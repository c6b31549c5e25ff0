#include "bwoc/core/timestamp.h"

#include <charconv>
#include <chrono>
#include <cstdio>

namespace bwoc {

namespace {

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's
// days_from_civil, the algorithm std::chrono uses).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

bool is_leap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(std::int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

bool digits(std::string_view s, std::size_t pos, std::size_t n, unsigned& out) {
  if (pos + n > s.size()) return false;
  unsigned v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + static_cast<unsigned>(s[i] - '0');
  }
  out = v;
  return true;
}

// Parses "YYYY-MM-DDTHH:MM:SS" followed by ".mmmZ" (with_millis) or "Z".
Result<UnixMillis> parse_utc(std::string_view s, bool with_millis) {
  const std::size_t want = with_millis ? 24 : 20;
  auto bad = [&] {
    return Error(Errc::invalid_argument,
                 with_millis ? "a timestamp is written YYYY-MM-DDTHH:MM:SS.mmmZ (UTC)"
                             : "a time is written YYYY-MM-DDTHH:MM:SSZ (UTC)");
  };
  if (s.size() != want) return bad();
  unsigned year, month, day, hour, minute, second, millis = 0;
  if (!digits(s, 0, 4, year) || s[4] != '-' || !digits(s, 5, 2, month) || s[7] != '-' ||
      !digits(s, 8, 2, day) || s[10] != 'T' || !digits(s, 11, 2, hour) || s[13] != ':' ||
      !digits(s, 14, 2, minute) || s[16] != ':' || !digits(s, 17, 2, second)) {
    return bad();
  }
  if (with_millis) {
    if (s[19] != '.' || !digits(s, 20, 3, millis) || s[23] != 'Z') return bad();
  } else if (s[19] != 'Z') {
    return bad();
  }
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 ||
      minute > 59 || second > 59) {
    return Error(Errc::invalid_argument, "no such date or time: " + std::string(s));
  }
  std::int64_t days = days_from_civil(year, month, day);
  return ((days * 24 + hour) * 60 + minute) * 60'000 + std::int64_t{second} * 1000 + millis;
}

}  // namespace

UnixMillis now_millis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

Result<UnixMillis> parse_timestamp(std::string_view text) { return parse_utc(text, true); }

std::string format_timestamp(UnixMillis t) {
  std::int64_t days = t >= 0 ? t / 86'400'000 : (t - 86'399'999) / 86'400'000;
  std::int64_t rest = t - days * 86'400'000;
  std::int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  if (y < 0 || y > 9999) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ", static_cast<long long>(y), m,
                  d, static_cast<long long>(rest / 3'600'000), static_cast<long long>(rest / 60'000 % 60),
                  static_cast<long long>(rest / 1000 % 60), static_cast<long long>(rest % 1000));
    return buf;
  }
  // Every receipt, inbox line and task carries one of these: written digit by
  // digit, as snprintf costs several times more.
  std::string out = "0000-00-00T00:00:00.000Z";
  auto put = [&out](std::size_t at, std::int64_t value, int width) {
    for (int i = width - 1; i >= 0; --i, value /= 10) out[at + i] = static_cast<char>('0' + value % 10);
  };
  put(0, y, 4);
  put(5, m, 2);
  put(8, d, 2);
  put(11, rest / 3'600'000, 2);
  put(14, rest / 60'000 % 60, 2);
  put(17, rest / 1000 % 60, 2);
  put(20, rest % 1000, 3);
  return out;
}

Result<UnixMillis> parse_time_argument(std::string_view text) {
  if (!text.empty() && text[0] == '@') {
    std::int64_t seconds = 0;
    auto [p, ec] = std::from_chars(text.data() + 1, text.data() + text.size(), seconds);
    if (ec != std::errc() || p != text.data() + text.size() || seconds < 0 || seconds > 253402300799) {
      return Error(Errc::invalid_argument, "\"@<seconds>\" takes a Unix time in seconds");
    }
    return seconds * 1000;
  }
  if (text.size() == 20) return parse_utc(text, false);
  return parse_utc(text, true);
}

Result<std::int64_t> parse_duration(std::string_view text) {
  constexpr std::int64_t kMax = 10LL * 366 * 86'400'000;
  auto bad = [&] {
    return Error(Errc::invalid_argument,
                 "invalid duration \"" + std::string(text) + "\": use e.g. 300s, 5m, 2h, 7d, 1h30m");
  };
  if (text.empty()) return bad();
  std::int64_t total = 0;
  std::size_t i = 0;
  bool bare = true;
  while (i < text.size()) {
    std::int64_t n = 0;
    auto [p, ec] = std::from_chars(text.data() + i, text.data() + text.size(), n);
    if (ec != std::errc() || n < 0 || n > kMax) return bad();
    i = static_cast<std::size_t>(p - text.data());
    std::size_t unit_start = i;
    while (i < text.size() && text[i] >= 'a' && text[i] <= 'z') ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    std::int64_t scale;
    if (unit.empty()) {
      if (i != text.size() || !bare) return bad();
      scale = 1000;
    } else if (unit == "ms") {
      scale = 1;
    } else if (unit == "s") {
      scale = 1000;
    } else if (unit == "m") {
      scale = 60'000;
    } else if (unit == "h") {
      scale = 3'600'000;
    } else if (unit == "d") {
      scale = 86'400'000;
    } else if (unit == "w") {
      scale = 7 * 86'400'000LL;
    } else {
      return bad();
    }
    if (n > kMax / scale) return bad();
    total += n * scale;
    if (total > kMax) return bad();
    bare = false;
  }
  return total;
}

std::string format_duration(std::int64_t ms) {
  struct Unit {
    std::int64_t scale;
    const char* name;
  };
  static constexpr Unit kUnits[] = {{7 * 86'400'000LL, "w"}, {86'400'000, "d"}, {3'600'000, "h"},
                                    {60'000, "m"},           {1000, "s"}};
  if (ms == 0) return "0s";
  for (const Unit& u : kUnits) {
    if (ms % u.scale == 0) return std::to_string(ms / u.scale) + u.name;
  }
  return std::to_string(ms) + "ms";
}

std::string format_age(std::int64_t ms) {
  if (ms < 0) return "in the future";
  std::int64_t s = ms / 1000;
  if (s < 60) return std::to_string(s) + "s ago";
  if (s < 3600) return std::to_string(s / 60) + "m ago";
  if (s < 86400) return std::to_string(s / 3600) + "h ago";
  return std::to_string(s / 86400) + "d ago";
}

}  // namespace bwoc
