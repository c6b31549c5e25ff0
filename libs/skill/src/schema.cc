// The only translation unit that includes valijson: it is heavy to compile.
// Without this valijson reports a bad schema by calling abort(): one typo in
// a manifest would stop the node.
#define VALIJSON_USE_EXCEPTIONS 1

#include "bwoc/skill/schema.h"

// First: its specializations must precede any use of valijson's validator.
#include "bounded_validation.h"

#include <cctype>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string_view>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>
#include <vector>

#include "bwoc/core/log.h"

namespace bwoc::skill {

namespace {

constexpr int kMaxSchemaDepth = 32;
// Finding where an invalid input fails collects every error: its own, small
// budget, beyond which the answer names no place.
constexpr std::uint64_t kMaxWorkToLocateAFailure = 200'000;

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

// bounded::literal_size over the schema's own literals.
std::size_t literal_size(const json::Value& v) {
  if (v.is_string()) return v.as_string().size() + 1;
  std::size_t n = 1;
  if (v.is_array()) {
    for (const json::Value& item : v.items()) n += literal_size(item);
  } else if (v.is_object()) {
    for (const json::Member& m : v.members()) n += m.name.size() + 1 + literal_size(m.value);
  }
  return n;
}

// The target of "#/a/b~1c" in `root` ("#" alone is the root); nullptr for
// anything else (a name set with $id, a pointer to nowhere).
const json::Value* resolve_local_ref(const json::Value& root, const std::string& ref) {
  if (ref.empty() || ref[0] != '#') return nullptr;
  std::string pointer;
  for (std::size_t i = 1; i < ref.size(); ++i) {  // a URI fragment: %-escapes first
    auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
    if (ref[i] == '%' && i + 2 < ref.size() && hex(ref[i + 1]) && hex(ref[i + 2])) {
      pointer += static_cast<char>(std::stoi(ref.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      pointer += ref[i];
    }
  }
  const json::Value* at = &root;
  if (pointer.empty()) return at;
  if (pointer[0] != '/') return nullptr;
  std::size_t start = 1;
  while (true) {
    std::size_t end = pointer.find('/', start);
    std::string token = pointer.substr(start, end == std::string::npos ? std::string::npos : end - start);
    std::string name;
    for (std::size_t i = 0; i < token.size(); ++i) {
      if (token[i] == '~' && i + 1 < token.size() && (token[i + 1] == '0' || token[i + 1] == '1')) {
        name += token[++i] == '0' ? '~' : '/';
      } else {
        name += token[i];
      }
    }
    if (at->is_object()) {
      at = at->find(name);
    } else if (at->is_array() && !name.empty() && name.find_first_not_of("0123456789") == std::string::npos &&
               name.size() < 10 && std::stoul(name) < at->items().size()) {
      at = &at->items()[std::stoul(name)];
    } else {
      at = nullptr;
    }
    if (at == nullptr || end == std::string::npos) return at;
    start = end + 1;
  }
}

// The load-time review of a schema: what valijson would evaluate without a
// bound is refused, and what validation needs to know is gathered.
class SchemaReview {
 public:
  explicit SchemaReview(const json::Value& root) : root_(root) {}

  Status run() {
    // $ref targets are reviewed from a list, not by recursion: a long chain
    // of references must not deepen the stack.
    pending_.push_back({&root_, "#", false});
    while (!pending_.empty()) {
      Pending next = std::move(pending_.back());
      pending_.pop_back();
      BWOC_RETURN_IF_ERROR(walk(*next.schema, next.where, 0, next.in_property_names));
    }
    return refuse_loops();
  }
  std::size_t largest_literal() const { return largest_literal_; }

 private:
  // Keywords whose value is a subschema applied to the same value as its
  // parent, to an element or member of it, or a list or map of subschemas.
  static bool same_value(std::string_view k) { return k == "not" || k == "if" || k == "then" || k == "else"; }
  static bool same_value_list(std::string_view k) { return k == "allOf" || k == "anyOf" || k == "oneOf"; }
  static bool inner_value(std::string_view k) {
    return k == "additionalItems" || k == "additionalProperties" || k == "contains" || k == "propertyNames" ||
           k == "items";
  }
  static bool subschema_map(std::string_view k) {
    return k == "properties" || k == "definitions" || k == "dependencies";
  }

  Status walk(const json::Value& schema, const std::string& where, int depth, bool in_property_names) {
    if (depth > kMaxSchemaDepth) return Error(Errc::invalid_argument, where + ": the schema nests too deeply");
    if (!schema.is_object()) return Status();
    if (!seen_.insert({&schema, in_property_names}).second) return Status();
    std::vector<const json::Value*>& same = same_value_edges_[&schema];
    for (const json::Member& m : schema.members()) {
      const std::string here = where + "/" + m.name;
      const std::string_view k = m.name;
      if (k == "patternProperties") {
        return Error(Errc::invalid_argument, here + ": patternProperties is not supported (its regexes would run unbounded)");
      }
      if (k == "pattern" && m.value.is_string()) {
        std::string error;
        if (bounded::PatternCache::instance().get(m.value.as_string(), &error) == nullptr) {
          return Error(Errc::invalid_argument, here + ": RE2 cannot compile this pattern (" + error +
                                                   "); lookaround and backreferences are not supported");
        }
      }
      if (k == "format" && in_property_names) {
        return Error(Errc::invalid_argument, here + ": format inside propertyNames is not supported");
      }
      if (k == "multipleOf" && !(m.value.is_number() && m.value.as_number() > 0)) {
        return Error(Errc::invalid_argument, here + ": multipleOf must be a number greater than 0");
      }
      if (k == "enum" && m.value.is_array()) {
        for (const json::Value& v : m.value.items()) largest_literal_ = std::max(largest_literal_, literal_size(v));
      }
      if (k == "const") largest_literal_ = std::max(largest_literal_, literal_size(m.value));
      if (k == "$ref" && m.value.is_string()) {
        const std::string& ref = m.value.as_string();
        if (ref.empty() || ref[0] != '#') {
          return Error(Errc::invalid_argument, here + ": only references inside the schema (#...) are allowed");
        }
        // Unresolved here (a name set with $id, a pointer to nowhere): left
        // to valijson, which refuses what it cannot resolve.
        if (const json::Value* target = resolve_local_ref(root_, ref)) {
          same.push_back(target);
          pending_.push_back({target, ref, in_property_names});
        }
      }
      const bool names = in_property_names || k == "propertyNames";
      if (same_value(k)) {
        same.push_back(&m.value);
        BWOC_RETURN_IF_ERROR(walk(m.value, here, depth + 1, names));
      } else if (inner_value(k)) {
        if (m.value.is_array()) {
          for (std::size_t i = 0; i < m.value.items().size(); ++i) {
            BWOC_RETURN_IF_ERROR(walk(m.value.items()[i], here + "/" + std::to_string(i), depth + 2, names));
          }
        } else {
          BWOC_RETURN_IF_ERROR(walk(m.value, here, depth + 1, names));
        }
      } else if (same_value_list(k) && m.value.is_array()) {
        for (std::size_t i = 0; i < m.value.items().size(); ++i) {
          same.push_back(&m.value.items()[i]);
          BWOC_RETURN_IF_ERROR(walk(m.value.items()[i], here + "/" + std::to_string(i), depth + 2, names));
        }
      } else if (subschema_map(k) && m.value.is_object()) {
        for (const json::Member& entry : m.value.members()) {
          // A schema dependency applies to the object that has the property.
          if (k == "dependencies" && entry.value.is_object()) same.push_back(&entry.value);
          BWOC_RETURN_IF_ERROR(walk(entry.value, here + "/" + entry.name, depth + 2, names));
        }
      }
    }
    return Status();
  }

  // A chain of subschemas that comes back to where it started without
  // stepping into an element or member applies forever to the same value.
  // (Depth-first with a stack of its own: chains may be long.)
  Status refuse_loops() const {
    enum class Mark { on_path, done };
    std::map<const json::Value*, Mark> marks;
    static const std::vector<const json::Value*> kNone;
    auto edges_of = [&](const json::Value* node) -> const std::vector<const json::Value*>& {
      auto it = same_value_edges_.find(node);
      return it == same_value_edges_.end() ? kNone : it->second;
    };
    for (const auto& [start, unused] : same_value_edges_) {
      if (marks.contains(start)) continue;
      std::vector<std::pair<const json::Value*, std::size_t>> path = {{start, 0}};
      marks[start] = Mark::on_path;
      while (!path.empty()) {
        auto& [node, next] = path.back();
        const auto& edges = edges_of(node);
        if (next == edges.size()) {
          marks[node] = Mark::done;
          path.pop_back();
          continue;
        }
        const json::Value* to = edges[next++];
        auto [it, fresh] = marks.emplace(to, Mark::on_path);
        if (fresh) {
          path.push_back({to, 0});
        } else if (it->second == Mark::on_path) {
          return Error(Errc::invalid_argument,
                       "#: a $ref loops back to the same value without descending into it (it would never end)");
        }
      }
    }
    return Status();
  }

  struct Pending {
    const json::Value* schema;
    std::string where;
    bool in_property_names;
  };
  const json::Value& root_;
  std::vector<Pending> pending_;
  std::set<std::pair<const json::Value*, bool>> seen_;
  std::map<const json::Value*, std::vector<const json::Value*>> same_value_edges_;
  std::size_t largest_literal_ = 0;
};

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

std::string_view overrun_name(bounded::Overrun o) {
  switch (o) {
    case bounded::Overrun::work: return "work";
    case bounded::Overrun::time: return "time";
    case bounded::Overrun::depth: return "depth";
  }
  return "?";
}

}  // namespace

struct Schema::Impl {
  valijson::Schema schema;
  std::size_t largest_literal = 0;
};

Result<Schema> Schema::compile(const json::Value& document) {
  if (!document.is_object() && !document.is_bool()) {
    return Error(Errc::invalid_argument, "a schema is a JSON object (or true/false)");
  }
  SchemaReview review(document);
  BWOC_RETURN_IF_ERROR(review.run());
  auto impl = std::make_shared<Impl>();
  impl->largest_literal = review.largest_literal();
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

Status Schema::validate(const json::Value& instance, const ValidationLimits& limits, std::uint64_t* work) const {
  nlohmann::json doc;
  try {
    doc = to_nlohmann(instance);
  } catch (const std::exception& e) {
    return Error(Errc::invalid_argument, std::string("input: cannot be validated: ") + e.what());
  }
  valijson::adapters::NlohmannJsonAdapter adapter(doc);
  bool valid = false;
  {
    // The verdict, stopping at the first failure: nothing collected.
    bounded::WorkMeter meter(limits, impl_->largest_literal);
    try {
      valijson::Validator validator;
      valid = validator.validate(impl_->schema, adapter, nullptr);
      if (work) *work = meter.work();
    } catch (const bounded::TooCostly& e) {
      if (work) *work = meter.work();
      log::warning("schema.too_costly", {{"over", std::string(overrun_name(e.overrun()))},
                                         {"work", std::to_string(meter.work())},
                                         {"cpu_ms", std::to_string(meter.cpu_ns() / 1'000'000)}});
      return Error(Errc::invalid_argument, "input: too costly to validate");
    } catch (const std::exception& e) {
      return Error(Errc::invalid_argument, std::string("input: cannot be validated: ") + e.what());
    }
  }
  if (valid) return Status();

  // Where it fails: every error collected, the innermost says the most.
  ValidationLimits locate = limits;
  locate.max_work = std::min(limits.max_work, kMaxWorkToLocateAFailure);
  bounded::WorkMeter meter(locate, impl_->largest_literal);
  try {
    valijson::Validator validator;
    valijson::ValidationResults results;
    validator.validate(impl_->schema, adapter, &results);
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
  } catch (const std::exception&) {
    return Error(Errc::invalid_argument, "input: does not match the schema");
  }
}

}  // namespace bwoc::skill
