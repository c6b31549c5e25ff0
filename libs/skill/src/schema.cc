// The only translation unit that includes valijson: it is heavy to compile.
// Without this valijson reports a bad schema by calling abort(): one typo in
// a manifest would stop the node.
#define VALIJSON_USE_EXCEPTIONS 1

#include "bwoc/skill/schema.h"

#include <re2/re2.h>

#include <mutex>
#include <nlohmann/json.hpp>
#include <string_view>
#include <unordered_map>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/adapters/std_string_adapter.hpp>
#include <valijson/validation_visitor.hpp>

namespace {

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

bool pattern_matches(const std::string& pattern, const std::string& text) {
  const re2::RE2* re = PatternCache::instance().get(pattern);
  return re != nullptr && re2::RE2::PartialMatch(text, *re);
}

constexpr std::size_t kMaxFormattedBytes = 64;

}  // namespace

// Explicit specializations, declared before anything instantiates these
// visitors: valijson 1.0 (Debian's) offers no other way to replace std::regex.
namespace valijson {

template <>
bool ValidationVisitor<adapters::NlohmannJsonAdapter>::visit(const constraints::PatternConstraint& constraint) {
  if (!m_target.isString()) return true;
  if (pattern_matches(constraint.getPattern<std::string::allocator_type>(), m_target.asString())) return true;
  if (m_results) m_results->pushError(m_context, "does not match the pattern");
  return false;
}

template <>
bool ValidationVisitor<adapters::StdStringAdapter>::visit(const constraints::PatternConstraint& constraint) {
  if (pattern_matches(constraint.getPattern<std::string::allocator_type>(), m_target.asString())) return true;
  if (m_results) m_results->pushError(m_context, "does not match the pattern");
  return false;
}

template <>
bool ValidationVisitor<adapters::NlohmannJsonAdapter>::visit(const constraints::FormatConstraint& constraint) {
  if (!m_target.isString()) return true;
  const std::string s = m_target.asString();
  const std::string format = constraint.getFormat();
  if (format != "date" && format != "time" && format != "date-time") return true;
  if (s.size() > kMaxFormattedBytes) {
    if (m_results) m_results->pushError(m_context, "is not a valid " + format);
    return false;
  }
  // Short enough that std::regex's recursion is bounded: valijson's own check.
  adapters::StdStringAdapter text(s);
  ValidationVisitor<adapters::StdStringAdapter> bounded(text, m_context, m_strictTypes, m_results, m_regexesCache);
  return bounded.visit(constraint);
}

}  // namespace valijson

#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

namespace bwoc::skill {

namespace {

constexpr int kMaxSchemaDepth = 32;

nlohmann::json to_nlohmann(const json::Value& v) {
  switch (v.kind()) {
    case json::Value::Kind::null: return nullptr;
    case json::Value::Kind::boolean: return v.as_bool();
    case json::Value::Kind::number:
      if (v.is_safe_integer()) return static_cast<std::int64_t>(v.as_number());
      return v.as_number();
    case json::Value::Kind::string: return v.as_string();
    case json::Value::Kind::array: {
      nlohmann::json out = nlohmann::json::array();
      for (const json::Value& item : v.items()) out.push_back(to_nlohmann(item));
      return out;
    }
    case json::Value::Kind::object: {
      nlohmann::json out = nlohmann::json::object();
      for (const json::Member& m : v.members()) out[m.name] = to_nlohmann(m.value);
      return out;
    }
  }
  return nullptr;
}

// What valijson would evaluate without a bound, refused up front.
Status check_bounded(const json::Value& schema, const std::string& where, int depth, bool in_property_names) {
  if (depth > kMaxSchemaDepth) return Error(Errc::invalid_argument, where + ": the schema nests too deeply");
  if (schema.is_array()) {
    for (std::size_t i = 0; i < schema.items().size(); ++i) {
      BWOC_RETURN_IF_ERROR(check_bounded(schema.items()[i], where + "/" + std::to_string(i), depth + 1, in_property_names));
    }
    return Status();
  }
  if (!schema.is_object()) return Status();
  for (const json::Member& m : schema.members()) {
    std::string here = where + "/" + m.name;
    if (m.name == "patternProperties") {
      return Error(Errc::invalid_argument, here + ": patternProperties is not supported (its regexes would run unbounded)");
    }
    if (m.name == "pattern" && m.value.is_string()) {
      std::string error;
      if (PatternCache::instance().get(m.value.as_string(), &error) == nullptr) {
        return Error(Errc::invalid_argument, here + ": RE2 cannot compile this pattern (" + error +
                                                 "); lookaround and backreferences are not supported");
      }
    }
    if (m.name == "format" && in_property_names) {
      return Error(Errc::invalid_argument, here + ": format inside propertyNames is not supported");
    }
    if (m.name == "$ref" && m.value.is_string() && (m.value.as_string().empty() || m.value.as_string()[0] != '#')) {
      return Error(Errc::invalid_argument, here + ": only references inside the schema (#...) are allowed");
    }
    if (m.name == "enum" || m.name == "const" || m.name == "examples" || m.name == "default") continue;
    BWOC_RETURN_IF_ERROR(check_bounded(m.value, here, depth + 1, in_property_names || m.name == "propertyNames"));
  }
  return Status();
}

std::string instance_path(const std::vector<std::string>& context) {
  std::string out = "input";
  for (std::size_t i = 1; i < context.size(); ++i) {
    const std::string& c = context[i];
    // valijson writes members as "[name]" and items as "[3]".
    if (c.size() >= 2 && c.front() == '[' && c.back() == ']') {
      std::string inner = c.substr(1, c.size() - 2);
      bool index = !inner.empty() && inner.find_first_not_of("0123456789") == std::string::npos;
      out += index ? "[" + inner + "]" : "." + inner;
    } else {
      out += "." + c;
    }
  }
  return out;
}

}  // namespace

struct Schema::Impl {
  valijson::Schema schema;
};

Result<Schema> Schema::compile(const json::Value& document) {
  if (!document.is_object() && !document.is_bool()) {
    return Error(Errc::invalid_argument, "a schema is a JSON object (or true/false)");
  }
  BWOC_RETURN_IF_ERROR(check_bounded(document, "#", 0, false));
  auto impl = std::make_shared<Impl>();
  try {
    nlohmann::json doc = to_nlohmann(document);
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::NlohmannJsonAdapter adapter(doc);
    parser.populateSchema(adapter, impl->schema);
  } catch (const std::exception& e) {
    return Error(Errc::invalid_argument, std::string("not a valid draft-7 schema: ") + e.what());
  }
  Schema out;
  out.impl_ = std::move(impl);
  return out;
}

Status Schema::validate(const json::Value& instance) const {
  try {
    nlohmann::json doc = to_nlohmann(instance);
    valijson::adapters::NlohmannJsonAdapter adapter(doc);
    valijson::Validator validator;
    valijson::ValidationResults results;
    if (validator.validate(impl_->schema, adapter, &results)) return Status();
    // The innermost failure is the one that says the most.
    valijson::ValidationResults::Error error;
    std::string message = "does not match the schema";
    std::string path = "input";
    std::size_t deepest = 0;
    while (results.popError(error)) {
      if (error.context.size() >= deepest) {
        deepest = error.context.size();
        message = error.description;
        path = instance_path(error.context);
      }
    }
    return Error(Errc::invalid_argument, path + ": " + message);
  } catch (const std::exception& e) {
    return Error(Errc::invalid_argument, std::string("input: cannot be validated: ") + e.what());
  }
}

}  // namespace bwoc::skill
