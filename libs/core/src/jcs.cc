#include "bwoc/core/jcs.h"

#include <algorithm>
#include <array>
#include <cstdint>

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
