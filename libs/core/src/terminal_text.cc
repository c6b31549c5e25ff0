#include "bwoc/core/terminal_text.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace bwoc {

namespace {

// One UTF-8 character at the front of `s`: its code point and length, or a
// length of 0 when the bytes there are not valid UTF-8 (overlong forms,
// surrogates and values above U+10FFFF included).
struct Decoded {
  char32_t code = 0;
  std::size_t length = 0;
};

Decoded decode_front(std::string_view s) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char lead = byte(0);
  std::size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
  if (lead < 0x80) return {lead, 1};
  if (lead < 0xC2 || lead > 0xF4 || s.size() < length) return {};
  char32_t code = lead & (0x7F >> length);
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return {};
    code = (code << 6) | (byte(i) & 0x3F);
  }
  static constexpr char32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code < kSmallest[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return {};
  return {code, length};
}

// Characters that change how a terminal shows what follows them.
bool is_unsafe(char32_t c) {
  return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x061C || c == 0x200E || c == 0x200F ||
         (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) || c == 0x2028 || c == 0x2029;
}

// `prefix`, `value` in (at least `digits`) lower-case hex digits, `suffix`.
void append_escape(std::string& out, std::string_view prefix, unsigned value, int digits, std::string_view suffix) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += prefix;
  int shown = digits;
  while (shown < 8 && (value >> (4 * shown)) != 0) ++shown;
  for (int i = shown - 1; i >= 0; --i) out += kHex[(value >> (4 * i)) & 0xF];
  out += suffix;
}

}  // namespace

std::string terminal_safe(std::string_view text, TextLayout layout) {
  std::string out;
  out.reserve(text.size());
  const bool keep_lines = layout == TextLayout::multi_line;
  for (std::size_t i = 0; i < text.size();) {
    Decoded d = decode_front(text.substr(i));
    if (d.length == 0) {
      append_escape(out, "\\x", static_cast<unsigned char>(text[i]), 2, "");
      ++i;
      continue;
    }
    char32_t c = d.code;
    bool kept_break = keep_lines && (c == '\n' || c == '\t' || (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n'));
    if (!is_unsafe(c) || kept_break) {
      out.append(text.substr(i, d.length));
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x80) {
      append_escape(out, "\\x", static_cast<unsigned>(c), 2, "");
    } else {
      append_escape(out, "\\u{", static_cast<unsigned>(c), 4, "}");
    }
    i += d.length;
  }
  return out;
}

std::string terminal_safe_json(std::string_view json_text) {
  std::string out;
  out.reserve(json_text.size());
  for (std::size_t i = 0; i < json_text.size();) {
    Decoded d = decode_front(json_text.substr(i));
    if (d.length == 0) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    // Below U+0020 the JSON writer has escaped already; whatever else is
    // unsafe can only stand inside a string, where \u escapes mean the same.
    if (d.code >= 0x20 && is_unsafe(d.code)) {
      append_escape(out, "\\u", static_cast<unsigned>(d.code), 4, "");
    } else {
      out.append(json_text.substr(i, d.length));
    }
    i += d.length;
  }
  return out;
}

std::string shell_word(std::string_view word) {
  bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("/._-:+@,=%").find(c) != std::string_view::npos;
  });
  if (plain) return std::string(word);
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace bwoc
