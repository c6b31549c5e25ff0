#include "bwoc/core/json.h"

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "bwoc/core/json_text.h"

namespace bwoc::json {

Value Value::boolean(bool b) {
  Value v;
  v.v_ = b;
  return v;
}
Value Value::number(double d) {
  Value v;
  v.v_ = d;
  return v;
}
Value Value::string(std::string s) {
  Value v;
  v.v_ = std::move(s);
  return v;
}
Value Value::array() { return array(Array{}); }
Value Value::object() { return object(Object{}); }
Value Value::array(Array items) {
  Value v;
  v.v_ = std::move(items);
  return v;
}
Value Value::object(Object members) {
  Value v;
  v.v_ = std::move(members);
  return v;
}

bool Value::as_bool() const {
  assert(is_bool());
  return std::get<bool>(v_);
}
double Value::as_number() const {
  assert(is_number());
  return std::get<double>(v_);
}
const std::string& Value::as_string() const {
  assert(is_string());
  return std::get<std::string>(v_);
}
const Value::Array& Value::items() const {
  assert(is_array());
  return std::get<Array>(v_);
}
Value::Array& Value::items() {
  assert(is_array());
  return std::get<Array>(v_);
}
const Value::Object& Value::members() const {
  assert(is_object());
  return std::get<Object>(v_);
}
Value::Object& Value::members() {
  assert(is_object());
  return std::get<Object>(v_);
}

const Value* Value::find(std::string_view name) const {
  if (!is_object()) return nullptr;
  for (const Member& m : std::get<Object>(v_)) {
    if (m.name == name) return &m.value;
  }
  return nullptr;
}

Value& Value::set(std::string name, Value value) {
  Object& members = this->members();
  for (Member& m : members) {
    if (m.name == name) {
      m.value = std::move(value);
      return m.value;
    }
  }
  members.push_back(Member{std::move(name), std::move(value)});
  return members.back().value;
}

Value& Value::push_back(Value value) {
  Array& a = items();
  a.push_back(std::move(value));
  return a.back();
}

bool Value::is_safe_integer() const {
  if (!is_number()) return false;
  double d = std::get<double>(v_);
  return std::trunc(d) == d && std::fabs(d) <= 9007199254740991.0;
}

bool operator==(const Value& a, const Value& b) { return a.v_ == b.v_; }

namespace {

constexpr std::uint64_t kMaxSafeInteger = 9007199254740991ULL;  // 2^53 - 1

// Length of the valid UTF-8 sequence at p (lead byte >= 0x80) before `end`, or 0.
std::size_t utf8_sequence(const unsigned char* p, const unsigned char* e) {
  auto cont = [&](std::size_t i, unsigned char lo, unsigned char hi) { return p + i < e && p[i] >= lo && p[i] <= hi; };
  unsigned char c = p[0];
  if (c >= 0xC2 && c <= 0xDF) return cont(1, 0x80, 0xBF) ? 2 : 0;
  if (c == 0xE0) return cont(1, 0xA0, 0xBF) && cont(2, 0x80, 0xBF) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(1, 0x80, 0xBF) && cont(2, 0x80, 0xBF) ? 3 : 0;
  if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2, 0x80, 0xBF) ? 3 : 0;  // no surrogates
  if (c == 0xF0) return cont(1, 0x90, 0xBF) && cont(2, 0x80, 0xBF) && cont(3, 0x80, 0xBF) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(1, 0x80, 0xBF) && cont(2, 0x80, 0xBF) && cont(3, 0x80, 0xBF) ? 4 : 0;
  if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2, 0x80, 0xBF) && cont(3, 0x80, 0xBF) ? 4 : 0;
  return 0;
}

class Parser {
 public:
  Parser(std::string_view text, const ParseLimits& limits)
      : begin_(text.data()), p_(text.data()), end_(text.data() + text.size()), limits_(limits) {}

  Result<Value> run() {
    Value root;
    skip_space();
    if (!parse_value(root, 0)) return failure();
    skip_space();
    if (p_ != end_) {
      fail("unexpected data after the JSON value");
      return failure();
    }
    return root;
  }

 private:
  Error failure() const {
    return Error(Errc::invalid_argument,
                 "invalid JSON at byte " + std::to_string(error_at_ - begin_) + ": " + error_);
  }

  bool fail(const char* what) { return fail_at(p_, what); }
  bool fail_at(const char* where, std::string what) {
    if (error_.empty()) {
      error_ = std::move(what);
      error_at_ = where;
    }
    return false;
  }

  void skip_space() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  bool parse_value(Value& out, int depth) {
    if (p_ == end_) return fail("unexpected end of input");
    switch (*p_) {
      case '{':
        return parse_object(out, depth + 1);
      case '[':
        return parse_array(out, depth + 1);
      case '"': {
        std::string s;
        if (!parse_string(s)) return false;
        out = Value::string(std::move(s));
        return true;
      }
      case 't':
        return parse_literal("true", Value::boolean(true), out);
      case 'f':
        return parse_literal("false", Value::boolean(false), out);
      case 'n':
        return parse_literal("null", Value(), out);
      default:
        if (*p_ == '-' || (*p_ >= '0' && *p_ <= '9')) return parse_number(out);
        if (static_cast<unsigned char>(*p_) == 0xEF) return fail("byte-order mark or stray byte");
        return fail("unexpected character");
    }
  }

  bool parse_literal(std::string_view word, Value value, Value& out) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::memcmp(p_, word.data(), word.size()) != 0) {
      return fail("invalid literal");
    }
    p_ += word.size();
    out = std::move(value);
    return true;
  }

  bool enter(int depth) {
    if (depth > limits_.max_depth) {
      return fail_at(p_, "nesting deeper than " + std::to_string(limits_.max_depth));
    }
    return true;
  }

  bool parse_array(Value& out, int depth) {
    if (!enter(depth)) return false;
    ++p_;  // '['
    Value::Array items;
    skip_space();
    if (p_ < end_ && *p_ == ']') {
      ++p_;
      out = Value::array(std::move(items));
      return true;
    }
    for (;;) {
      skip_space();
      items.emplace_back();
      if (!parse_value(items.back(), depth)) return false;
      skip_space();
      if (p_ == end_) return fail("unterminated array");
      if (*p_ == ',') {
        ++p_;
        continue;
      }
      if (*p_ == ']') {
        ++p_;
        break;
      }
      return fail("expected ',' or ']' in array");
    }
    out = Value::array(std::move(items));
    return true;
  }

  bool parse_object(Value& out, int depth) {
    if (!enter(depth)) return false;
    const char* start = p_;
    ++p_;  // '{'
    Value::Object members;
    skip_space();
    if (p_ < end_ && *p_ == '}') {
      ++p_;
      out = Value::object(std::move(members));
      return true;
    }
    for (;;) {
      skip_space();
      if (p_ == end_ || *p_ != '"') return fail("expected a member name");
      members.emplace_back();
      if (!parse_string(members.back().name)) return false;
      skip_space();
      if (p_ == end_ || *p_ != ':') return fail("expected ':' after a member name");
      ++p_;
      skip_space();
      if (!parse_value(members.back().value, depth)) return false;
      skip_space();
      if (p_ == end_) return fail("unterminated object");
      if (*p_ == ',') {
        ++p_;
        continue;
      }
      if (*p_ == '}') {
        ++p_;
        break;
      }
      return fail("expected ',' or '}' in object");
    }
    if (const std::string* dup = find_duplicate(members)) {
      return fail_at(start, "duplicate member name \"" + printable(*dup) + "\"");
    }
    out = Value::object(std::move(members));
    return true;
  }

  static const std::string* find_duplicate(const Value::Object& members) {
    const std::size_t n = members.size();
    if (n < 2) return nullptr;
    if (n <= 16) {
      for (std::size_t i = 1; i < n; ++i) {
        for (std::size_t j = 0; j < i; ++j) {
          if (members[i].name == members[j].name) return &members[i].name;
        }
      }
      return nullptr;
    }
    std::vector<const std::string*> names;
    names.reserve(n);
    for (const Member& m : members) names.push_back(&m.name);
    std::sort(names.begin(), names.end(),
              [](const std::string* a, const std::string* b) { return *a < *b; });
    for (std::size_t i = 1; i < n; ++i) {
      if (*names[i] == *names[i - 1]) return names[i];
    }
    return nullptr;
  }

  // A member name for an error message: short, and without control characters.
  static std::string printable(const std::string& s) {
    std::string out;
    for (char c : s.substr(0, 40)) {
      out += (static_cast<unsigned char>(c) < 0x20 || c == '"') ? '?' : c;
    }
    if (s.size() > 40) out += "...";
    return out;
  }

  static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  bool read_hex4(unsigned& out) {
    if (end_ - p_ < 4) return fail("truncated \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
      int d = hex_digit(p_[i]);
      if (d < 0) return fail("invalid \\u escape");
      v = (v << 4) | static_cast<unsigned>(d);
    }
    p_ += 4;
    out = v;
    return true;
  }

  static void append_utf8(unsigned cp, std::string& out) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  bool parse_string(std::string& out) {
    ++p_;  // opening quote
    for (;;) {
      // Copy the longest run that needs no attention in one append.
      const char* run = p_;
      while (p_ < end_) {
        auto c = static_cast<unsigned char>(*p_);
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
        ++p_;
      }
      out.append(run, static_cast<std::size_t>(p_ - run));
      if (p_ == end_) return fail("unterminated string");
      auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c < 0x20) return fail("control character in string");
      if (c >= 0x80) {
        std::size_t n = utf8_sequence(reinterpret_cast<const unsigned char*>(p_), reinterpret_cast<const unsigned char*>(end_));
        if (n == 0) return fail("invalid UTF-8");
        out.append(p_, n);
        p_ += n;
        continue;
      }
      // Backslash escape.
      ++p_;
      if (p_ == end_) return fail("truncated escape");
      char e = *p_++;
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          const char* at = p_ - 2;
          unsigned cp = 0;
          if (!read_hex4(cp)) return false;
          if (cp >= 0xDC00 && cp <= 0xDFFF) return fail_at(at, "lone low surrogate");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            unsigned lo = 0;
            if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') {
              return fail_at(at, "lone high surrogate");
            }
            p_ += 2;
            if (!read_hex4(lo)) return false;
            if (lo < 0xDC00 || lo > 0xDFFF) return fail_at(at, "lone high surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          append_utf8(cp, out);
          break;
        }
        default:
          return fail_at(p_ - 2, "invalid escape");
      }
    }
  }

  bool parse_number(Value& out) {
    const char* start = p_;
    bool negative = false;
    if (*p_ == '-') {
      negative = true;
      ++p_;
    }
    if (p_ == end_ || *p_ < '0' || *p_ > '9') return fail("invalid number");
    if (*p_ == '0') {
      ++p_;
      if (p_ < end_ && *p_ >= '0' && *p_ <= '9') return fail_at(start, "leading zero in number");
    } else {
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    bool is_integer_literal = true;
    if (p_ < end_ && *p_ == '.') {
      is_integer_literal = false;
      ++p_;
      if (p_ == end_ || *p_ < '0' || *p_ > '9') return fail("digit expected after '.'");
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      is_integer_literal = false;
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ == end_ || *p_ < '0' || *p_ > '9') return fail("digit expected in exponent");
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }

    if (is_integer_literal) {
      const char* digits = start + (negative ? 1 : 0);
      std::size_t len = static_cast<std::size_t>(p_ - digits);
      if (len > 16) return fail_at(start, "integer beyond 2^53-1");
      std::uint64_t v = 0;
      for (const char* d = digits; d < p_; ++d) v = v * 10 + static_cast<std::uint64_t>(*d - '0');
      if (v > kMaxSafeInteger) return fail_at(start, "integer beyond 2^53-1");
      double d = static_cast<double>(v);
      out = Value::number(negative ? -d : d);
      return true;
    }

    double d = 0;
    auto [ptr, ec] = std::from_chars(start, p_, d);
    if (ec == std::errc::result_out_of_range) {
      // from_chars leaves d untouched on range errors; strtod tells overflow
      // (refused: JCS has no infinity) from underflow (a tiny value rounds to
      // zero or a subnormal, exactly as ECMAScript's JSON.parse does).
      std::string copy(start, p_);
      errno = 0;
      d = std::strtod(copy.c_str(), nullptr);
      if (std::isinf(d)) return fail_at(start, "number out of range for a double");
    } else if (ec != std::errc() || ptr != p_) {
      return fail_at(start, "invalid number");
    }
    out = Value::number(d);
    return true;
  }

  const char* begin_;
  const char* p_;
  const char* end_;
  ParseLimits limits_;
  std::string error_;
  const char* error_at_ = nullptr;
};

}  // namespace

bool is_valid_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* e = p + text.size();
  while (p < e) {
    if (*p < 0x80) {
      ++p;
      continue;
    }
    std::size_t n = utf8_sequence(p, e);
    if (n == 0) return false;
    p += n;
  }
  return true;
}

Result<Value> parse(std::string_view text, const ParseLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return Error(Errc::invalid_argument,
                 "JSON text of " + std::to_string(text.size()) + " bytes is over the limit of " +
                     std::to_string(limits.max_bytes));
  }
  return Parser(text, limits).run();
}

void write(const Value& value, std::string& out) {
  switch (value.kind()) {
    case Value::Kind::null:
      out += "null";
      return;
    case Value::Kind::boolean:
      out += value.as_bool() ? "true" : "false";
      return;
    case Value::Kind::number:
      json_text::append_number(value.as_number(), out);
      return;
    case Value::Kind::string:
      json_text::append_string(value.as_string(), out);
      return;
    case Value::Kind::array: {
      out += '[';
      bool first = true;
      for (const Value& v : value.items()) {
        if (!first) out += ',';
        first = false;
        write(v, out);
      }
      out += ']';
      return;
    }
    case Value::Kind::object: {
      out += '{';
      bool first = true;
      for (const Member& m : value.members()) {
        if (!first) out += ',';
        first = false;
        json_text::append_string(m.name, out);
        out += ':';
        write(m.value, out);
      }
      out += '}';
      return;
    }
  }
}

std::string write(const Value& value) {
  std::string out;
  write(value, out);
  return out;
}

namespace {

void write_indented(const Value& value, int depth, std::string& out) {
  auto newline = [&](int d) {
    out += '\n';
    out.append(static_cast<std::size_t>(d) * 2, ' ');
  };
  if (value.is_array() && !value.items().empty()) {
    out += '[';
    bool first = true;
    for (const Value& v : value.items()) {
      if (!first) out += ',';
      first = false;
      newline(depth + 1);
      write_indented(v, depth + 1, out);
    }
    newline(depth);
    out += ']';
    return;
  }
  if (value.is_object() && !value.members().empty()) {
    out += '{';
    bool first = true;
    for (const Member& m : value.members()) {
      if (!first) out += ',';
      first = false;
      newline(depth + 1);
      json_text::append_string(m.name, out);
      out += ": ";
      write_indented(m.value, depth + 1, out);
    }
    newline(depth);
    out += '}';
    return;
  }
  write(value, out);
}

}  // namespace

std::string write_pretty(const Value& value) {
  std::string out;
  write_indented(value, 0, out);
  return out;
}

}  // namespace bwoc::json
