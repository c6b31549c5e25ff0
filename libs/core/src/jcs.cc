#include "bwoc/core/jcs.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace bwoc::jcs {

namespace {

// Decodes the code point that starts at s[i] in valid UTF-8.
char32_t decode_at(std::string_view s, std::size_t i) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char c = b(0);
  if (c < 0x80) return c;
  if (c < 0xE0) return static_cast<char32_t>(((c & 0x1F) << 6) | (b(1) & 0x3F));
  if (c < 0xF0) return static_cast<char32_t>(((c & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F));
  return static_cast<char32_t>(((c & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) |
                               (b(3) & 0x3F));
}

// The first UTF-16 code unit of a code point: what UTF-16 ordering compares.
std::uint32_t first_utf16_unit(char32_t cp) {
  if (cp < 0x10000) return cp;
  return 0xD800 + ((cp - 0x10000) >> 10);
}

void write_value(const json::Value& value, std::string& out);

std::size_t write_object(const json::Value::Object& members, std::string_view omitted, bool omit,
                         std::string& out) {
  // Envelopes have about ten members: sorting pointers on the stack avoids a
  // heap allocation on the verification path.
  constexpr std::size_t kStack = 32;
  std::array<const json::Member*, kStack> stack_buf;
  std::vector<const json::Member*> heap_buf;
  const json::Member** order = stack_buf.data();
  if (members.size() > kStack) {
    heap_buf.resize(members.size());
    order = heap_buf.data();
  }
  std::size_t n = 0;
  for (const json::Member& m : members) {
    if (omit && m.name == omitted) continue;
    order[n++] = &m;
  }
  auto less = [](const json::Member* a, const json::Member* b) { return utf16_less(a->name, b->name); };
  if (n <= kStack) {
    // Insertion sort: fast for the small, often nearly sorted objects seen here.
    for (std::size_t i = 1; i < n; ++i) {
      const json::Member* x = order[i];
      std::size_t j = i;
      while (j > 0 && less(x, order[j - 1])) {
        order[j] = order[j - 1];
        --j;
      }
      order[j] = x;
    }
  } else {
    std::sort(order, order + n, less);
  }
  out += '{';
  std::size_t omitted_at = std::string::npos;
  for (std::size_t i = 0; i < n; ++i) {
    if (i != 0) out += ',';
    if (omitted_at == std::string::npos && omit && utf16_less(omitted, order[i]->name)) omitted_at = out.size();
    append_string(order[i]->name, out);
    out += ':';
    write_value(order[i]->value, out);
  }
  if (omitted_at == std::string::npos) omitted_at = out.size();
  out += '}';
  return omitted_at;
}

void write_value(const json::Value& value, std::string& out) {
  switch (value.kind()) {
    case json::Value::Kind::null:
      out += "null";
      return;
    case json::Value::Kind::boolean:
      out += value.as_bool() ? "true" : "false";
      return;
    case json::Value::Kind::number:
      append_number(value.as_number(), out);
      return;
    case json::Value::Kind::string:
      append_string(value.as_string(), out);
      return;
    case json::Value::Kind::array: {
      out += '[';
      bool first = true;
      for (const json::Value& v : value.items()) {
        if (!first) out += ',';
        first = false;
        write_value(v, out);
      }
      out += ']';
      return;
    }
    case json::Value::Kind::object:
      write_object(value.members(), {}, false, out);
      return;
  }
}

}  // namespace

bool utf16_less(std::string_view a, std::string_view b) {
  std::size_t n = std::min(a.size(), b.size());
  std::size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  if (i == n) return a.size() < b.size();
  auto ca = static_cast<unsigned char>(a[i]);
  auto cb = static_cast<unsigned char>(b[i]);
  // UTF-8 byte order is code point order. UTF-16 order differs only between a
  // supplementary character (a surrogate pair, D800–DBFF first) and a BMP
  // character at or above U+E000; both have lead bytes of 0xEE or more.
  if (ca < 0xEE || cb < 0xEE) return ca < cb;
  std::size_t start = i;
  while (start > 0 && (static_cast<unsigned char>(a[start]) & 0xC0) == 0x80) --start;
  char32_t pa = decode_at(a, start);
  char32_t pb = decode_at(b, start);
  std::uint32_t ua = first_utf16_unit(pa);
  std::uint32_t ub = first_utf16_unit(pb);
  if (ua != ub) return ua < ub;
  return pa < pb;  // both supplementary with the same high surrogate
}

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

void canonicalize(const json::Value& value, std::string& out) { write_value(value, out); }

std::string canonicalize(const json::Value& value) {
  std::string out;
  write_value(value, out);
  return out;
}

std::size_t canonicalize_without(const json::Value& object, std::string_view omitted, std::string& out) {
  return write_object(object.members(), omitted, true, out);
}

}  // namespace bwoc::jcs
