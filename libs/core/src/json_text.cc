#include "bwoc/core/json_text.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace bwoc::json_text {

namespace {

// Whether any of the eight bytes in `w` must be escaped: below 0x20, '"' or
// '\\'. Payload strings are long and rarely need it, so they are scanned a
// word at a time (the classic "has a byte less than / equal to" bit tricks).
bool word_needs_escape(std::uint64_t w) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
  auto has_zero_byte = [](std::uint64_t v) { return (v - kOnes) & ~v & kHighs; };
  std::uint64_t below_space = (w - kOnes * 0x20) & ~w & kHighs;
  return (below_space | has_zero_byte(w ^ (kOnes * '"')) | has_zero_byte(w ^ (kOnes * '\\'))) != 0;
}

}  // namespace

void append_string(std::string_view s, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t run = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    if (i + 8 <= s.size()) {
      std::uint64_t word;
      std::memcpy(&word, s.data() + i, sizeof word);
      if (!word_needs_escape(word)) {
        i += 8;
        continue;
      }
    }
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    out.append(s.data() + run, i - run);
    run = ++i;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

void append_number(double value, std::string& out) {
  if (!std::isfinite(value)) {
    // The parser never produces these; a builder that does has a bug, and
    // "null" is what ECMAScript's JSON.stringify writes for them.
    out += "null";
    return;
  }
  if (value == 0) {
    out += '0';
    return;
  }
  char buf[40];
  // Integers below 2^53 are exact, and their shortest round-trip digits are
  // the integer itself: print them directly.
  if (std::fabs(value) < 9007199254740992.0 && std::trunc(value) == value) {
    auto r = std::to_chars(buf, buf + sizeof buf, static_cast<std::int64_t>(value));
    out.append(buf, r.ptr);
    return;
  }
  // Shortest round-trip digits (what ECMAScript calls s and k), then the
  // layout rules of Number::toString.
  auto r = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  const char* p = buf;
  if (*p == '-') {
    out += '-';
    ++p;
  }
  char digits[20];
  int k = 0;
  for (; p < r.ptr && *p != 'e'; ++p) {
    if (*p != '.') digits[k++] = *p;
  }
  int exponent = 0;
  std::from_chars(p + 1 + (p[1] == '+' ? 1 : 0), r.ptr, exponent);
  int n = exponent + 1;  // value = 0.d1d2...dk × 10^n

  if (k <= n && n <= 21) {
    out.append(digits, static_cast<std::size_t>(k));
    out.append(static_cast<std::size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out.append(digits, static_cast<std::size_t>(n));
    out += '.';
    out.append(digits + n, static_cast<std::size_t>(k - n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-n), '0');
    out.append(digits, static_cast<std::size_t>(k));
  } else {
    out += digits[0];
    if (k > 1) {
      out += '.';
      out.append(digits + 1, static_cast<std::size_t>(k - 1));
    }
    out += 'e';
    int e = n - 1;
    out += e < 0 ? '-' : '+';
    auto er = std::to_chars(buf, buf + sizeof buf, e < 0 ? -e : e);
    out.append(buf, er.ptr);
  }
}

}  // namespace bwoc::json_text
