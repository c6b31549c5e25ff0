// Bounded validation: valijson's visitor with every keyword whose cost
// valijson leaves open replaced, and the work of every step counted.
//
// valijson (Debian's 1.0) offers no hook but explicit specializations of its
// visitor's members, so these must be seen before anything instantiates the
// validator: schema.cc includes this file first, and nothing else does.
//
// Work is counted in units of about one subschema applied to one value (a
// few tens of nanoseconds on a current core). A validation that passes its
// work limit, its CPU-time limit or its nesting limit stops at once with
// TooCostly. What is counted, and why each keyword stays near-linear in the
// size of the value it checks:
//   - every subschema applied, plus its context path (valijson copies it);
//   - every keyword applied (type, minimum, required, dependencies, ... cost
//     a bounded amount or a bounded lookup per schema entry);
//   - strings read (maxLength, minLength, pattern, enum, const, uniqueItems):
//     one unit per 64 bytes; lengths count code points over the whole string
//     (valijson stops at the first NUL, which let "a\u0000..." pass any
//     maxLength);
//   - pattern: RE2 is linear in the text, but its fallback when its DFA
//     gives up costs about 5 ns per byte and program instruction, so a match
//     is charged that worst case (length x program size / 8) before it runs
//     and refused when it would not fit;
//   - uniqueItems: one canonical key per item, hashed (valijson compares every
//     pair: 48,000 items took 12 s);
//   - enum and const: a value larger than the largest literal of the schema
//     cannot equal any of them and is not compared (valijson copied the whole
//     value for each literal);
//   - multipleOf: a fixed charge for the remainder of numbers far apart in
//     magnitude; an integer divisor is applied exactly to any number (valijson
//     cast doubles to integers: 4.5 passed multipleOf 2, 3e20 failed 3);
//   - additionalProperties: a caller's property names go into error paths cut
//     to 64 bytes (whole, a path of long names made every value below it cost
//     the size of the path).
// allOf/anyOf/oneOf/not/if and $ref re-apply subschemas to the same value:
// each application is counted, so their nesting and recursion end at the work
// or the nesting limit, whichever comes first.
#ifndef BWOC_SKILL_BOUNDED_VALIDATION_H_
#define BWOC_SKILL_BOUNDED_VALIDATION_H_

#ifndef VALIJSON_USE_EXCEPTIONS
#error "define VALIJSON_USE_EXCEPTIONS before including bounded_validation.h"
#endif

#include <re2/re2.h>
#include <time.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/adapters/std_string_adapter.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validation_visitor.hpp>
#include <vector>

#include "bwoc/skill/schema.h"

namespace bwoc::skill::bounded {

// Patterns are compiled once, when a schema is loaded; RE2 objects are
// immutable and safe to share between threads.
class PatternCache {
 public:
  static PatternCache& instance() {
    static PatternCache cache;
    return cache;
  }
  // nullptr with `error` set when RE2 cannot compile it.
  const re2::RE2* get(const std::string& pattern, std::string* error = nullptr) {
    std::lock_guard lock(mu_);
    auto it = compiled_.find(pattern);
    if (it == compiled_.end()) {
      re2::RE2::Options options;
      options.set_log_errors(false);
      options.set_max_mem(8 << 20);
      auto re = std::make_unique<re2::RE2>(pattern, options);
      if (!re->ok()) {
        if (error) *error = re->error();
        return nullptr;
      }
      it = compiled_.emplace(pattern, std::move(re)).first;
    }
    return it->second.get();
  }

 private:
  std::mutex mu_;
  std::unordered_map<std::string, std::unique_ptr<re2::RE2>> compiled_;
};

enum class Overrun { work, time, depth };

class TooCostly : public std::exception {
 public:
  explicit TooCostly(Overrun overrun) : overrun_(overrun) {}
  Overrun overrun() const { return overrun_; }
  const char* what() const noexcept override { return "too costly to validate"; }

 private:
  Overrun overrun_;
};

inline std::int64_t thread_cpu_ns() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

// The budget of one validation on this thread; the visitor's members find it
// through current().
class WorkMeter {
 public:
  // `literal_limit`: the size (literal_size) of the largest enum or const
  // value of the schema.
  WorkMeter(const ValidationLimits& limits, std::size_t literal_limit)
      : limits_(limits),
        literal_limit_(literal_limit),
        started_ns_(thread_cpu_ns()),
        outer_(current_) {
    current_ = this;
  }
  ~WorkMeter() { current_ = outer_; }
  WorkMeter(const WorkMeter&) = delete;
  WorkMeter& operator=(const WorkMeter&) = delete;

  static WorkMeter* current() { return current_; }

  void charge(std::uint64_t units) {
    if (!affords(units)) {
      work_ = limits_.max_work;
      throw TooCostly(Overrun::work);
    }
    work_ += units;
    if (work_ >= next_clock_check_) {
      next_clock_check_ = work_ + kUnitsBetweenClockChecks;
      if (cpu_ns() > std::chrono::nanoseconds(limits_.max_cpu).count()) throw TooCostly(Overrun::time);
    }
  }
  // Whether `units` more would still fit (charged or not).
  bool affords(std::uint64_t units) const { return units <= limits_.max_work - work_; }
  void enter() {
    if (++depth_ > limits_.max_depth) throw TooCostly(Overrun::depth);
  }
  void leave() { --depth_; }

  std::uint64_t work() const { return work_; }
  std::int64_t cpu_ns() const { return thread_cpu_ns() - started_ns_; }
  std::size_t literal_limit() const { return literal_limit_; }

 private:
  static constexpr std::uint64_t kUnitsBetweenClockChecks = 16'384;
  static inline thread_local WorkMeter* current_ = nullptr;

  ValidationLimits limits_;
  std::size_t literal_limit_;
  std::int64_t started_ns_;
  WorkMeter* outer_;
  std::uint64_t work_ = 0;
  std::uint64_t next_clock_check_ = kUnitsBetweenClockChecks;
  int depth_ = 0;
};

inline void charge(std::uint64_t units) {
  if (WorkMeter* meter = WorkMeter::current()) meter->charge(units);
}
inline void charge_bytes(std::size_t bytes) { charge(1 + bytes / 64); }

// The UTF-8 code points of a whole string (a NUL included).
inline std::uint64_t code_points(const std::string& s) {
  std::uint64_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// A property name as it appears in an error path.
inline std::string shown_name(const std::string& name) {
  constexpr std::size_t kShown = 64;
  if (name.size() <= kShown) return name;
  std::size_t cut = kShown;
  while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) --cut;
  return name.substr(0, cut) + "...";
}

using Json = valijson::adapters::NlohmannJsonAdapter;

// A measure of a value that equal values share: 1 for a scalar, the bytes of
// a string plus one, and for a container one plus its parts (with the names
// of an object's members). Stops counting once past `limit`.
inline std::size_t literal_size(const Json& v, std::size_t limit) {
  if (v.isString()) {
    std::string s = v.asString();
    charge_bytes(s.size());
    return s.size() + 1;
  }
  std::size_t n = 1;
  if (v.isArray()) {
    for (const Json& item : v.getArray()) {
      if (n > limit) break;
      n += literal_size(item, limit);
    }
  } else if (v.isObject()) {
    for (const Json::ObjectMember m : v.getObject()) {
      if (n > limit) break;
      n += m.first.size() + 1 + literal_size(m.second, limit);
    }
  }
  charge(1);
  return n;
}

// A key that two values share exactly when valijson's strict equality holds:
// numbers by value (1 and 1.0 are equal), strings by bytes, arrays in order,
// objects by member (nlohmann keeps members sorted by name).
inline void append_canonical(const Json& v, std::string& out) {
  charge(1);
  if (v.isNull()) {
    out += 'n';
  } else if (v.isBool()) {
    out += v.asBool() ? 't' : 'f';
  } else if (v.isNumber()) {
    double d = v.getNumber();
    if (d == 0) d = 0;  // -0 equals 0
    // The shortest text that reads back as exactly this double: one per value.
    char digits[40];
    auto written = std::to_chars(digits, digits + sizeof digits, d);
    out += '#';
    out.append(digits, written.ptr);
    out += ';';
  } else if (v.isString()) {
    std::string s = v.asString();
    charge_bytes(s.size());
    out += 's' + std::to_string(s.size()) + ':' + s;
  } else if (v.isArray()) {
    out += '[';
    for (const Json& item : v.getArray()) append_canonical(item, out);
    out += ']';
  } else if (v.isObject()) {
    out += '{';
    for (const Json::ObjectMember m : v.getObject()) {
      charge_bytes(m.first.size());
      out += std::to_string(m.first.size()) + ':' + m.first;
      append_canonical(m.second, out);
    }
    out += '}';
  }
}

inline bool pattern_matches(const std::string& pattern, const std::string& text) {
  const re2::RE2* re = PatternCache::instance().get(pattern);
  if (re == nullptr) return false;
  // RE2's worst case, charged before it runs: once running it cannot stop.
  std::uint64_t worst = 1 + static_cast<std::uint64_t>(text.size()) * static_cast<std::uint64_t>(re->ProgramSize()) / 8;
  if (WorkMeter* meter = WorkMeter::current()) {
    if (!meter->affords(worst)) throw TooCostly(Overrun::work);
    meter->charge(worst);
  }
  return re2::RE2::PartialMatch(text, *re);
}

// pattern, maxLength and minLength on a string, whichever visitor reads it:
// a failure is recorded as valijson words it.
inline bool check_pattern(const valijson::constraints::PatternConstraint& constraint, const std::string& text,
                          valijson::ValidationResults* results, const std::vector<std::string>& context) {
  charge_bytes(text.size());
  if (pattern_matches(constraint.getPattern<std::string::allocator_type>(), text)) return true;
  if (results) results->pushError(context, "does not match the pattern");
  return false;
}

inline bool check_length(const std::string& text, std::uint64_t limit, bool at_most,
                         valijson::ValidationResults* results, const std::vector<std::string>& context) {
  charge_bytes(text.size());
  std::uint64_t length = code_points(text);
  if (at_most ? length <= limit : length >= limit) return true;
  if (results) {
    results->pushError(context, std::string("String should be no ") + (at_most ? "more" : "fewer") + " than " +
                                    std::to_string(limit) + " characters in length.");
  }
  return false;
}

// Applies `subschema` through `visitor`, counted and bounded in depth. Each
// application costs valijson a copy of the path to the value (`context`).
template <typename Visitor>
bool apply_subschema(Visitor& visitor, const valijson::Subschema& subschema, bool exhaustive,
                     const std::vector<std::string>& context) {
  WorkMeter* meter = WorkMeter::current();
  struct Depth {
    WorkMeter* meter;
    explicit Depth(WorkMeter* m) : meter(m) {
      if (meter) meter->enter();
    }
    ~Depth() {
      if (meter) meter->leave();
    }
  } depth(meter);
  if (meter) {
    std::size_t bytes = 0;
    for (const std::string& step : context) bytes += step.size();
    meter->charge(1 + context.size() / 4 + bytes / 64);
  }
  if (subschema.getAlwaysInvalid()) return false;
  valijson::Subschema::ApplyFunction apply = [&](const valijson::constraints::Constraint& constraint) {
    if (meter) meter->charge(1);
    return constraint.accept(visitor);
  };
  return exhaustive ? subschema.apply(apply) : subschema.applyStrict(apply);
}

constexpr std::size_t kMaxFormattedBytes = 64;

}  // namespace bwoc::skill::bounded

namespace valijson {

// The visitor over a caller's value (NlohmannJsonAdapter) and over property
// names (StdStringAdapter, for propertyNames).

template <>
inline bool ValidationVisitor<adapters::NlohmannJsonAdapter>::validateSchema(const Subschema& subschema) {
  return bwoc::skill::bounded::apply_subschema(*this, subschema, m_results != nullptr, m_context);
}

template <>
inline bool ValidationVisitor<adapters::StdStringAdapter>::validateSchema(const Subschema& subschema) {
  return bwoc::skill::bounded::apply_subschema(*this, subschema, m_results != nullptr, m_context);
}

template <>
inline bool ValidationVisitor<adapters::NlohmannJsonAdapter>::visit(const constraints::PatternConstraint& constraint) {
  return !m_target.isString() ||
         bwoc::skill::bounded::check_pattern(constraint, m_target.asString(), m_results, m_context);
}

template <>
inline bool ValidationVisitor<adapters::StdStringAdapter>::visit(const constraints::PatternConstraint& constraint) {
  return bwoc::skill::bounded::check_pattern(constraint, m_target.asString(), m_results, m_context);
}

template <>
inline bool ValidationVisitor<adapters::NlohmannJsonAdapter>::visit(const constraints::FormatConstraint& constraint) {
  if (!m_target.isString()) return true;
  const std::string s = m_target.asString();
  bwoc::skill::bounded::charge_bytes(s.size());
  const std::string format = constraint.getFormat();
  if (format != "date" && format != "time" && format != "date-time") return true;
  if (s.size() > bwoc::skill::bounded::kMaxFormattedBytes) {
    if (m_results) m_results->pushError(m_context, "is not a valid " + format);
    return false;
  }
  // Short enough that std::regex's recursion is bounded: valijson's own check.
  adapters::StdStringAdapter text(s);
  ValidationVisitor<adapters::StdStringAdapter> bounded(text, m_context, m_strictTypes, m_results, m_regexesCache);
  return bounded.visit(constraint);
}

template <>
inline bool ValidationVisitor<adapters::NlohmannJsonAdapter>::visit(const constraints::MaxLengthConstraint& constraint) {
  return !m_target.isString() || bwoc::skill::bounded::check_length(m_target.asString(), constraint.getMaxLength(),
                                                                    true, m_results, m_context);
}

template <>
inline bool ValidationVisitor<adapters::StdStringAdapter>::visit(const constraints::MaxLengthConstraint& constraint) {
  return bwoc::skill::bounded::check_length(m_target.asString(), constraint.getMaxLength(), true, m_results, m_context);
}

template <>
inline bool ValidationVisitor<adapters::NlohmannJsonAdapter>::visit(const constraints::MinLengthConstraint& constraint) {
  return !m_target.isString() || bwoc::skill::bounded::check_length(m_target.asString(), constraint.getMinLength(),
                                                                    false, m_results, m_context);
}

template <>
inline bool ValidationVisitor<adapters::StdStringAdapter>::visit(const constraints::MinLengthConstraint& constraint) {
  return bwoc::skill::bounded::check_length(m_target.asString(), constraint.getMinLength(), false, m_results, m_context);
}

template <>
inline bool ValidationVisitor<adapters::NlohmannJsonAdapter>::visit(const constraints::UniqueItemsConstraint&) {
  if (!m_target.isArray()) return true;
  std::unordered_map<std::string, std::size_t> first_at;
  std::size_t index = 0;
  bool validated = true;
  for (const adapters::NlohmannJsonAdapter& item : m_target.getArray()) {
    std::string key;
    bwoc::skill::bounded::append_canonical(item, key);
    bwoc::skill::bounded::charge(4);  // the key hashed and kept
    auto [it, fresh] = first_at.emplace(std::move(key), index);
    if (!fresh) {
      if (!m_results) return false;
      m_results->pushError(m_context, "Elements at indexes #" + std::to_string(it->second) + " and #" +
                                          std::to_string(index) + " violate uniqueness constraint.");
      validated = false;
    }
    ++index;
  }
  return validated;
}

template <>
inline bool ValidationVisitor<adapters::NlohmannJsonAdapter>::visit(const constraints::EnumConstraint& constraint) {
  auto* meter = bwoc::skill::bounded::WorkMeter::current();
  std::size_t limit = meter ? meter->literal_limit() : SIZE_MAX - 1;
  std::size_t size = bwoc::skill::bounded::literal_size(m_target, limit);
  unsigned int matched = 0;
  if (size <= limit) {
    // Each comparison reads at most `size` of the value.
    constraint.applyToValues([&](const adapters::FrozenValue& value) {
      bwoc::skill::bounded::charge_bytes(size);
      if (!value.equalTo(m_target, m_strictTypes)) return true;
      ++matched;
      return false;
    });
  }
  if (matched > 0) return true;
  if (m_results) m_results->pushError(m_context, "Failed to match against any enum values.");
  return false;
}

template <>
inline bool ValidationVisitor<adapters::NlohmannJsonAdapter>::visit(const constraints::ConstConstraint& constraint) {
  auto* meter = bwoc::skill::bounded::WorkMeter::current();
  std::size_t limit = meter ? meter->literal_limit() : SIZE_MAX - 1;
  std::size_t size = bwoc::skill::bounded::literal_size(m_target, limit);
  if (size <= limit) {
    bwoc::skill::bounded::charge_bytes(size);
    if (constraint.getValue()->equalTo(m_target, m_strictTypes)) return true;
  }
  if (m_results) m_results->pushError(m_context, "Failed to match expected value set by 'const' constraint.");
  return false;
}

template <>
inline bool ValidationVisitor<adapters::NlohmannJsonAdapter>::visit(
    const constraints::MultipleOfIntConstraint& constraint) {
  const std::int64_t divisor = constraint.getDivisor();
  bool multiple = true;
  if (m_target.isInteger()) {
    std::int64_t i = m_target.getInteger();
    multiple = divisor > 0 && i % divisor == 0;
  } else if (m_target.isDouble()) {
    double d = m_target.getDouble();
    bwoc::skill::bounded::charge(32);  // fmod of numbers far apart in magnitude
    multiple = divisor > 0 && std::isfinite(d) && std::fmod(d, static_cast<double>(divisor)) == 0.0;
  }
  if (multiple) return true;
  if (m_results) m_results->pushError(m_context, "Value should be a multiple of " + std::to_string(divisor));
  return false;
}

template <>
inline bool ValidationVisitor<adapters::NlohmannJsonAdapter>::visit(
    const constraints::MultipleOfDoubleConstraint& constraint) {
  if (!m_target.isNumber()) return true;
  const double divisor = constraint.getDivisor();
  const double d = m_target.getNumber();
  if (d == 0) return true;
  bwoc::skill::bounded::charge(32);  // remainder of numbers far apart in magnitude
  if (std::fabs(std::remainder(d, divisor)) <= std::numeric_limits<double>::epsilon()) return true;
  if (m_results) m_results->pushError(m_context, "Value should be a multiple of " + std::to_string(divisor));
  return false;
}

// valijson's own, but with the caller's property names cut in error paths.
template <>
inline bool ValidationVisitor<adapters::NlohmannJsonAdapter>::visit(const constraints::PropertiesConstraint& constraint) {
  if (!m_target.isObject()) return true;
  bool validated = true;
  std::set<std::string> matched;
  const adapters::NlohmannJsonAdapter::Object object = m_target.asObject();
  constraint.applyToProperties(ValidatePropertySubschemas(object, m_context, true, m_results != nullptr, true,
                                                          m_strictTypes, m_results, &matched, &validated,
                                                          m_regexesCache));
  if (!validated && !m_results) return false;
  // patternProperties is refused when a schema is loaded.
  const Subschema* additional = constraint.getAdditionalPropertiesSubschema();
  if (additional == nullptr) {
    if (matched.size() == m_target.getObjectSize()) return validated;
    if (m_results) {
      std::string unwanted;
      for (const adapters::NlohmannJsonAdapter::ObjectMember m : object) {
        bwoc::skill::bounded::charge(1);
        if (matched.find(m.first) == matched.end()) {
          unwanted = bwoc::skill::bounded::shown_name(m.first);
          break;
        }
      }
      m_results->pushError(m_context,
                           "Object contains a property that could not be validated using 'properties' or "
                           "'additionalProperties' constraints: '" + unwanted + "'.");
    }
    return false;
  }
  for (const adapters::NlohmannJsonAdapter::ObjectMember m : object) {
    bwoc::skill::bounded::charge_bytes(m.first.size());
    if (matched.find(m.first) != matched.end()) continue;
    std::vector<std::string> context = m_context;
    context.push_back("[" + bwoc::skill::bounded::shown_name(m.first) + "]");
    ValidationVisitor validator(m.second, context, m_strictTypes, m_results, m_regexesCache);
    if (!validator.validateSchema(*additional)) {
      if (m_results) m_results->pushError(m_context, "Failed to validate against additional properties schema");
      validated = false;
      if (!m_results) return false;
    }
  }
  return validated;
}

}  // namespace valijson

#endif  // BWOC_SKILL_BOUNDED_VALIDATION_H_
