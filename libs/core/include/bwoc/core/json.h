// A strict JSON reader and a small document model for signed data.
//
// parse() accepts exactly the JSON that RFC 8785 can canonicalize faithfully
// and refuses everything else rather than repairing it: invalid UTF-8, lone
// surrogates, duplicate member names (compared after unescaping), integer
// literals beyond ±(2^53 − 1), numbers that overflow a double, control
// characters in strings, a byte-order mark, trailing data. Size and nesting
// are bounded before any allocation can grow with them.
//
// Objects keep their members in document order; jcs.h sorts when it writes.
#ifndef BWOC_CORE_JSON_H_
#define BWOC_CORE_JSON_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "bwoc/core/result.h"

namespace bwoc::json {

struct Member;

class Value {
 public:
  using Array = std::vector<Value>;
  using Object = std::vector<Member>;

  enum class Kind : std::uint8_t { null, boolean, number, string, array, object };

  Value();  // null

  // Conversions for building documents: Value::object({{"name", "x"}, {"n", 3}}).
  // (Defined below Member: the variant needs it complete.)
  Value(std::nullptr_t);         // NOLINT
  Value(const char* s);          // NOLINT
  Value(std::string s);          // NOLINT
  Value(std::string_view s);     // NOLINT
  template <class B, std::enable_if_t<std::is_same_v<B, bool>, int> = 0>
  Value(B b);  // NOLINT
  template <class N, std::enable_if_t<std::is_arithmetic_v<N> && !std::is_same_v<N, bool>, int> = 0>
  Value(N n);  // NOLINT

  static Value boolean(bool b);
  static Value number(double d);
  static Value string(std::string s);
  static Value array();
  static Value array(Array items);
  static Value object();
  static Value object(Object members);

  Kind kind() const { return static_cast<Kind>(v_.index()); }
  bool is_null() const { return kind() == Kind::null; }
  bool is_bool() const { return kind() == Kind::boolean; }
  bool is_number() const { return kind() == Kind::number; }
  bool is_string() const { return kind() == Kind::string; }
  bool is_array() const { return kind() == Kind::array; }
  bool is_object() const { return kind() == Kind::object; }

  // Accessors require the matching kind (checked with an assertion).
  bool as_bool() const;
  double as_number() const;
  const std::string& as_string() const;
  const Array& items() const;
  Array& items();
  const Object& members() const;
  Object& members();

  // The member's value, or nullptr when this is not an object or has no such member.
  const Value* find(std::string_view name) const;
  // Sets a member, replacing one of the same name. Requires an object.
  Value& set(std::string name, Value value);
  // Appends to an array. Requires an array.
  Value& push_back(Value value);

  // True when this number is an integer in [-(2^53-1), 2^53-1].
  bool is_safe_integer() const;

  friend bool operator==(const Value& a, const Value& b);

 private:
  std::variant<std::nullptr_t, bool, double, std::string, Array, Object> v_;  // null first: the default
};

struct Member {
  std::string name;
  Value value;
  friend bool operator==(const Member& a, const Member& b) = default;
};

inline Value::Value() = default;
inline Value::Value(std::nullptr_t) {}
inline Value::Value(const char* s) : v_(std::string(s)) {}
inline Value::Value(std::string s) : v_(std::move(s)) {}
inline Value::Value(std::string_view s) : v_(std::string(s)) {}
template <class B, std::enable_if_t<std::is_same_v<B, bool>, int>>
Value::Value(B b) : v_(b) {}
template <class N, std::enable_if_t<std::is_arithmetic_v<N> && !std::is_same_v<N, bool>, int>>
Value::Value(N n) : v_(static_cast<double>(n)) {}

struct ParseLimits {
  std::size_t max_bytes = std::size_t{1} << 20;  // 1 MiB, the envelope limit
  int max_depth = 64;                             // the outermost container is depth 1
};

// Parses one JSON text. Errors are Errc::invalid_argument with a message that
// names the byte offset and what is wrong, for local logs and the user.
Result<Value> parse(std::string_view text, const ParseLimits& limits = {});

// True when `text` is valid UTF-8 without encoded surrogates (what JSON strings may hold).
bool is_valid_utf8(std::string_view text);

// Compact JSON in member order (not canonical: see jcs.h for that). Strings and
// numbers are written exactly as JCS writes them, so the output is valid JSON
// that bwoc's parser reads back to an equal Value.
std::string write(const Value& value);
void write(const Value& value, std::string& out);

// The same, indented by two spaces a level, for people reading --json output.
std::string write_pretty(const Value& value);

}  // namespace bwoc::json

#endif  // BWOC_CORE_JSON_H_
