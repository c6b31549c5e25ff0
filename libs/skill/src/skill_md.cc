#include "bwoc/skill/skill_md.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "bwoc/core/files.h"
#include "bwoc/skill/manifest.h"
#include "bwoc/skill/schema.h"

namespace bwoc::skill {

namespace {

namespace fs = std::filesystem;
constexpr int kMaxYamlDepth = 32;
constexpr std::size_t kMaxManifestBytes = 4u << 20;
constexpr std::string_view kDefaultTimeout = "60s";

const json::Value& default_text_schema() {
  static const json::Value schema = json::Value::object(
      {{"type", "object"},
       {"properties", json::Value::object({{"text", json::Value::object({{"type", "string"}, {"maxLength", 20000}})}})},
       {"required", json::Value::array({"text"})},
       {"additionalProperties", false}});
  return schema;
}

// A plain YAML scalar as JSON: YAML 1.2's core schema (null, booleans,
// numbers), anything else a string. Quoted scalars are always strings.
json::Value scalar_json(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() == "!") return json::Value(text);
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") return json::Value();
  if (text == "true" || text == "True" || text == "TRUE") return json::Value(true);
  if (text == "false" || text == "False" || text == "FALSE") return json::Value(false);
  double number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  bool numeric = ec == std::errc() && end == text.data() + text.size() && std::isfinite(number) &&
                 text.find_first_of("xXnN") == std::string::npos;
  if (numeric) return json::Value(number);
  return json::Value(text);
}

Result<json::Value> to_json(const YAML::Node& node, int depth, const std::string& where) {
  if (depth > kMaxYamlDepth) return Error(Errc::invalid_argument, where + ": nested deeper than 32 levels");
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return json::Value();
    case YAML::NodeType::Scalar:
      return scalar_json(node);
    case YAML::NodeType::Sequence: {
      json::Value out = json::Value::array();
      for (const YAML::Node& item : node) {
        BWOC_ASSIGN_OR_RETURN(json::Value v, to_json(item, depth + 1, where));
        out.push_back(std::move(v));
      }
      return out;
    }
    case YAML::NodeType::Map: {
      json::Value out = json::Value::object();
      for (const auto& kv : node) {
        if (!kv.first.IsScalar()) return Error(Errc::invalid_argument, where + ": a key that is not text");
        std::string key = kv.first.Scalar();
        if (out.find(key) != nullptr) return Error(Errc::invalid_argument, where + ": \"" + key + "\" appears twice");
        BWOC_ASSIGN_OR_RETURN(json::Value v, to_json(kv.second, depth + 1, where));
        out.set(std::move(key), std::move(v));
      }
      return out;
    }
  }
  return json::Value();
}

std::string trimmed(std::string_view text) {
  std::size_t b = text.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  std::size_t e = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(b, e - b + 1));
}

bool is_known_standard_field(std::string_view name) {
  return name == "license" || name == "allowed-tools" || name == "metadata" || name == "compatibility";
}

}  // namespace

Result<SkillMd> read_skill_md(const fs::path& dir_or_file) {
  std::error_code ec;
  fs::path file = fs::is_directory(dir_or_file, ec) ? dir_or_file / "SKILL.md" : dir_or_file;
  BWOC_ASSIGN_OR_RETURN(std::string text, read_file_bounded(file, kMaxSkillMdBytes));
  std::string where = file.string();
  auto bad = [&](const std::string& why) { return Error(Errc::invalid_argument, where + ": " + why); };
  if (!json::is_valid_utf8(text)) return bad("not UTF-8 text");
  std::string_view rest = text;
  if (rest.substr(0, 4) != "---\n" && rest.substr(0, 5) != "---\r\n") {
    return bad("no front matter: a SKILL.md starts with a line \"---\", its name and description, and \"---\"");
  }
  rest.remove_prefix(rest[3] == '\r' ? 5 : 4);
  std::size_t close = std::string_view::npos;
  for (std::size_t at = 0; at < rest.size();) {
    std::size_t nl = rest.find('\n', at);
    std::string_view line = rest.substr(at, nl == std::string_view::npos ? std::string_view::npos : nl - at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line == "---") {
      close = at;
      break;
    }
    if (nl == std::string_view::npos) break;
    at = nl + 1;
  }
  if (close == std::string_view::npos) return bad("the front matter has no closing \"---\" line");
  std::string front(rest.substr(0, close));
  std::size_t body_at = rest.find('\n', close);
  std::string_view body = body_at == std::string_view::npos ? std::string_view() : rest.substr(body_at + 1);

  YAML::Node doc;
  try {
    doc = YAML::Load(front);
  } catch (const YAML::Exception& e) {
    return bad("front matter: " + std::string(e.what()));
  }
  if (!doc.IsMap()) return bad("the front matter is a map of fields (name: ..., description: ...)");
  BWOC_ASSIGN_OR_RETURN(json::Value fields, to_json(doc, 0, where));

  SkillMd md;
  md.file = file;
  for (const json::Member& m : fields.members()) {
    static const std::string_view kFields[] = {"name", "description", "when_to_use", "version", "input_schema",
                                               "output_schema"};
    bool ours = std::find(std::begin(kFields), std::end(kFields), m.name) != std::end(kFields);
    if (!ours && !is_known_standard_field(m.name)) return bad("unknown field \"" + m.name + "\" in the front matter");
  }
  auto text_field = [&](std::string_view field, std::string& out, bool required) -> Status {
    const json::Value* v = fields.find(field);
    if (v == nullptr || v->is_null()) {
      if (required) return bad("\"" + std::string(field) + "\" is required in the front matter");
      return ok_status();
    }
    if (!v->is_string() || v->as_string().empty() || v->as_string().size() > 4000) {
      return bad("\"" + std::string(field) + "\" must be text of 1 to 4000 bytes");
    }
    out = trimmed(v->as_string());
    return ok_status();
  };
  BWOC_RETURN_IF_ERROR(text_field("name", md.name, true));
  if (!is_valid_skill_name(md.name)) return bad("name \"" + md.name + "\" is not [a-z][a-z0-9._-]{0,63}");
  BWOC_RETURN_IF_ERROR(text_field("description", md.description, true));
  BWOC_RETURN_IF_ERROR(text_field("when_to_use", md.when_to_use, false));
  if (const json::Value* v = fields.find("version"); v && v->is_number()) {
    return bad("write the version as text in quotes (\"1.0\"): a bare number loses its form");
  }
  BWOC_RETURN_IF_ERROR(text_field("version", md.version, false));
  if (md.version.size() > 64) return bad("version is at most 64 bytes");
  for (auto [field, out] : {std::pair{"input_schema", &md.input_schema}, std::pair{"output_schema", &md.output_schema}}) {
    const json::Value* v = fields.find(field);
    *out = v && !v->is_null() ? *v : default_text_schema();
    auto compiled = Schema::compile(*out);
    if (!compiled.ok()) return bad(std::string(field) + ": " + compiled.error().message());
  }
  md.instructions = trimmed(body);
  if (md.instructions.empty()) return bad("the body (the instructions) is empty");
  return md;
}

// The manifest entry that declares `md`, naming its file as `instructions`.
static json::Value manifest_entry(const SkillMd& md, int min_tier, const std::string& instructions) {
  return json::Value::object({{"name", md.name},
                              {"version", md.version},
                              {"description", md.description},
                              {"when_to_use", md.when_to_use},
                              {"input_schema", md.input_schema},
                              {"output_schema", md.output_schema},
                              {"min_tier", min_tier},
                              {"visibility", "hidden"},
                              {"instructions", instructions},
                              {"timeout", std::string(kDefaultTimeout)}});
}

Result<json::Value> skill_md_contract(const SkillMd& md, int min_tier) {
  json::Value manifest = json::Value::object(
      {{"skills", json::Value::array({manifest_entry(md, min_tier, md.file.string())})}});
  BWOC_ASSIGN_OR_RETURN(std::vector<Skill> skills, parse_skills(manifest, md.file.parent_path(), md.file.string()));
  json::Value contract = contract_json(skills.front());
  contract.set("hash", skills.front().hash);
  return contract;
}

Result<AddedSkill> add_skill_md(const Workspace& ws, const std::string& agent, const SkillMd& md) {
  if (!ws.has_agent(agent)) return Error(Errc::not_found, "no agent \"" + agent + "\" in this workspace");
  fs::path manifest_file = ws.manifest_file(agent);
  BWOC_ASSIGN_OR_RETURN(std::string text, read_file_bounded(manifest_file, kMaxManifestBytes));
  auto doc = json::parse(text, json::ParseLimits{kMaxManifestBytes, 64});
  if (!doc.ok() || !doc->is_object()) {
    return Error(Errc::invalid_argument, manifest_file.string() + ": not a JSON object; fix it first");
  }
  // Inside the agent's folder the manifest names it relatively, so the
  // workspace can move.
  fs::path file = fs::absolute(md.file).lexically_normal();
  fs::path agent_dir = fs::absolute(ws.agent_dir(agent)).lexically_normal();
  fs::path relative = file.lexically_relative(agent_dir);
  std::string instructions =
      !relative.empty() && *relative.begin() != ".." ? relative.string() : file.string();

  AddedSkill added;
  added.visibility = "hidden";
  json::Value entry = manifest_entry(md, 1, instructions);
  json::Value* skills = nullptr;
  for (json::Member& m : doc->members()) {
    if (m.name == "skills") skills = &m.value;
  }
  if (skills == nullptr) skills = &doc->set("skills", json::Value::array());
  if (!skills->is_array()) return Error(Errc::invalid_argument, manifest_file.string() + ": \"skills\" is a list");
  for (json::Value& s : skills->items()) {
    const json::Value* name = s.find("name");
    if (name == nullptr || !name->is_string() || name->as_string() != md.name) continue;
    if (s.find("instructions") == nullptr) {
      return Error(Errc::already_exists, "agent \"" + agent + "\" already has an executable skill \"" + md.name + "\"");
    }
    for (std::string_view kept : {"visibility", "min_tier", "timeout"}) {
      if (const json::Value* v = s.find(kept)) entry.set(std::string(kept), *v);
    }
    if (const json::Value* v = entry.find("visibility"); v && v->is_string()) added.visibility = v->as_string();
    s = std::move(entry);
    added.replaced = true;
    break;
  }
  if (!added.replaced) skills->push_back(std::move(entry));
  // Everything must load as it will be loaded, before anything is written.
  BWOC_RETURN_IF_ERROR(parse_skills(*doc, ws.agent_dir(agent), manifest_file.string()));
  BWOC_RETURN_IF_ERROR(write_file_atomic(manifest_file, json::write_pretty(*doc) + "\n", 0644));
  return added;
}

}  // namespace bwoc::skill
