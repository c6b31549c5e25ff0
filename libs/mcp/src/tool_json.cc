#include <algorithm>

#include "bwoc/mcp/catalogue.h"

namespace bwoc::mcp {

namespace {

constexpr std::string_view kDraft7 = "http://json-schema.org/draft-07/schema#";

std::string text_of(const json::Value& v, std::string_view field) {
  const json::Value* f = v.find(field);
  return f && f->is_string() ? f->as_string() : std::string();
}

bool has_object_root(const json::Value* schema) {
  if (schema == nullptr || !schema->is_object()) return false;
  const json::Value* type = schema->find("type");
  return type != nullptr && type->is_string() && type->as_string() == "object";
}

// Skills' schemas are draft 7; MCP's default dialect is 2020-12, so say which.
json::Value with_dialect(json::Value schema) {
  if (schema.is_object() && schema.find("$schema") == nullptr) {
    json::Value out = json::Value::object({{"$schema", std::string(kDraft7)}});
    for (json::Member& m : schema.members()) out.set(std::move(m.name), std::move(m.value));
    return out;
  }
  return schema;
}

json::Value wrapped(std::string_view member, const json::Value* schema) {
  json::Value inner = schema ? *schema : json::Value::object();
  if (inner.is_object()) inner.members().erase(std::remove_if(inner.members().begin(), inner.members().end(),
                                                              [](const json::Member& m) { return m.name == "$schema"; }),
                                               inner.members().end());
  return json::Value::object({{"type", "object"},
                              {"properties", json::Value::object({{std::string(member), std::move(inner)}})},
                              {"required", json::Value::array({std::string(member)})},
                              {"additionalProperties", false}});
}

}  // namespace

bool wraps_input(const json::Value& contract) { return !has_object_root(contract.find("input_schema")); }
bool wraps_output(const json::Value& contract) { return !has_object_root(contract.find("output_schema")); }

json::Value tool_json(const Tool& tool) {
  const json::Value& c = tool.contract;
  std::string skill = text_of(c, "name"), version = text_of(c, "version");
  std::string description = text_of(c, "description");
  if (std::string when = text_of(c, "when_to_use"); !when.empty()) description += "\nWhen to use: " + when;
  if (tool.owner == "self") {
    description += "\n(Skill " + skill + " " + version + " of our agent " + tool.agent + ", run here in its sandbox.)";
  } else {
    description += "\n(Skill " + skill + " " + version + " of peer " + tool.owner + ", agent " + tool.agent +
                   ": a signed call; it runs on " + tool.owner + "'s machine.)";
  }
  if (tool.stale) description = "[Stale: " + tool.stale_why + "] " + description;

  const json::Value* in = c.find("input_schema");
  const json::Value* out = c.find("output_schema");
  json::Value input = wraps_input(c) ? wrapped("input", in) : *in;
  json::Value output = wraps_output(c) ? wrapped("output", out) : *out;
  json::Value meta = json::Value::object({{"bwoc/owner", tool.owner},
                                          {"bwoc/agent", tool.agent},
                                          {"bwoc/skill", skill},
                                          {"bwoc/version", version},
                                          {"bwoc/hash", text_of(c, "hash")},
                                          {"bwoc/stale", tool.stale}});
  return json::Value::object({{"name", tool.name},
                              {"title", skill + (tool.owner == "self" ? std::string() : " (" + tool.owner + ")")},
                              {"description", std::move(description)},
                              {"inputSchema", with_dialect(std::move(input))},
                              {"outputSchema", with_dialect(std::move(output))},
                              {"_meta", std::move(meta)}});
}

}  // namespace bwoc::mcp
