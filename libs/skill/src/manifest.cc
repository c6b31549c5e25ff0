#include "bwoc/skill/manifest.h"

#include <algorithm>
#include <set>

#include "bwoc/core/encoding.h"
#include "bwoc/core/files.h"
#include "bwoc/core/jcs.h"
#include "bwoc/core/keys.h"
#include "bwoc/core/timestamp.h"

namespace bwoc::skill {

namespace {

constexpr std::size_t kMaxManifestBytes = 4u << 20;
constexpr std::size_t kMaxSkills = 256;
constexpr std::size_t kMaxTextBytes = 4'000;
constexpr std::size_t kMaxArgs = 64;
constexpr std::int64_t kMaxTimeoutMs = 10 * 60 * 1000;
constexpr std::size_t kMaxOutputLimit = 1u << 20;  // a skill.result must fit one envelope

const std::set<std::string, std::less<>> kFields = {
    "name", "version", "description", "when_to_use", "input_schema", "output_schema",
    "min_tier", "visibility", "run", "instructions", "timeout", "max_output_bytes", "network"};

std::string hash_of(const json::Value& v) {
  std::string canonical = jcs::canonicalize(v);
  auto digest = blake2b_256(canonical);
  return "blake2b-256:" + hex_encode(digest);
}

Result<Skill> parse_skill(const json::Value& v, const std::filesystem::path& agent_dir, const std::string& where) {
  if (!v.is_object()) return Error(Errc::invalid_argument, where + ": a skill is a JSON object");
  for (const json::Member& m : v.members()) {
    if (!kFields.contains(m.name)) return Error(Errc::invalid_argument, where + ": unknown field \"" + m.name + "\"");
  }
  Skill s;
  auto text = [&](std::string_view field, std::string& out, bool required) -> Status {
    const json::Value* f = v.find(field);
    if (f == nullptr) {
      if (required) return Error(Errc::invalid_argument, where + ": \"" + std::string(field) + "\" is required");
      return Status();
    }
    if (!f->is_string() || f->as_string().size() > kMaxTextBytes || (required && f->as_string().empty())) {
      return Error(Errc::invalid_argument, where + ": \"" + std::string(field) + "\" must be text of 1 to 4000 bytes");
    }
    out = f->as_string();
    return Status();
  };
  BWOC_RETURN_IF_ERROR(text("name", s.name, true));
  if (!is_valid_skill_name(s.name)) {
    return Error(Errc::invalid_argument, where + ": name \"" + s.name + "\" is not [a-z][a-z0-9._-]{0,63}");
  }
  std::string named = where + " (" + s.name + ")";
  auto in = [&](std::string_view what) { return named + ": " + std::string(what); };
  BWOC_RETURN_IF_ERROR(text("version", s.version, true));
  if (s.version.size() > 64) return Error(Errc::invalid_argument, in("version is at most 64 bytes"));
  BWOC_RETURN_IF_ERROR(text("description", s.description, true));
  BWOC_RETURN_IF_ERROR(text("when_to_use", s.when_to_use, false));

  for (auto [field, schema, compiled] : {std::tuple{"input_schema", &s.input_schema, &s.input},
                                         std::tuple{"output_schema", &s.output_schema, &s.output}}) {
    const json::Value* f = v.find(field);
    if (f == nullptr) return Error(Errc::invalid_argument, in(std::string("\"") + field + "\" is required"));
    auto c = Schema::compile(*f);
    if (!c.ok()) return Error(Errc::invalid_argument, in(std::string(field) + ": " + c.error().message()));
    *schema = *f;
    *compiled = std::move(c).value();
  }

  if (const json::Value* t = v.find("min_tier")) {
    if (!t->is_number() || !t->is_safe_integer() || t->as_number() < 0 || t->as_number() > 3) {
      return Error(Errc::invalid_argument, in("min_tier is 0 to 3"));
    }
    s.min_tier = static_cast<int>(t->as_number());
  }
  if (const json::Value* vis = v.find("visibility")) {
    if (!vis->is_string() || (vis->as_string() != "exposed" && vis->as_string() != "hidden")) {
      return Error(Errc::invalid_argument, in("visibility is \"exposed\" or \"hidden\""));
    }
    s.visibility = vis->as_string() == "exposed" ? Visibility::exposed : Visibility::hidden;
  }

  const json::Value* run = v.find("run");
  const json::Value* instructions = v.find("instructions");
  if ((run == nullptr) == (instructions == nullptr)) {
    return Error(Errc::invalid_argument, in("a skill has either \"run\" (an executable) or \"instructions\" (a SKILL.md)"));
  }
  if (instructions != nullptr) {
    if (!instructions->is_string() || instructions->as_string().empty() || instructions->as_string().size() > kMaxTextBytes) {
      return Error(Errc::invalid_argument, in("\"instructions\" is the path of a SKILL.md"));
    }
    std::filesystem::path p = instructions->as_string();
    s.instructions = (p.is_absolute() ? p : agent_dir / p).lexically_normal();
  } else if (!run->is_array() || run->items().empty() || run->items().size() > kMaxArgs) {
    return Error(Errc::invalid_argument, in("\"run\" is the argv of an executable: a list of 1 to 64 strings"));
  }
  for (const json::Value& arg : run ? run->items() : json::Value::Array()) {
    if (!arg.is_string() || arg.as_string().size() > kMaxTextBytes || arg.as_string().find('\0') != std::string::npos) {
      return Error(Errc::invalid_argument, in("\"run\" holds strings only"));
    }
    s.run.push_back(arg.as_string());
  }
  if (run != nullptr) {
    if (s.run[0].empty()) return Error(Errc::invalid_argument, in("run[0] names the executable"));
    if (s.run[0][0] != '/') s.run[0] = (agent_dir / s.run[0]).lexically_normal().string();
  }

  if (const json::Value* t = v.find("timeout")) {
    auto ms = t->is_string() ? parse_duration(t->as_string()) : Result<std::int64_t>(Error(Errc::invalid_argument, ""));
    if (!ms.ok() || *ms <= 0 || *ms > kMaxTimeoutMs) {
      return Error(Errc::invalid_argument, in("timeout is a duration such as \"10s\", at most 10m"));
    }
    s.timeout = std::chrono::milliseconds(*ms);
  }
  if (const json::Value* n = v.find("network")) {
    if (!n->is_string() || (n->as_string() != "none" && n->as_string() != "open")) {
      return Error(Errc::invalid_argument, in("network is \"none\" or \"open\""));
    }
    s.network = n->as_string() == "open" ? Network::open : Network::none;
  }
  if (const json::Value* m = v.find("max_output_bytes")) {
    if (!m->is_number() || !m->is_safe_integer() || m->as_number() < 1 || m->as_number() > kMaxOutputLimit) {
      return Error(Errc::invalid_argument, in("max_output_bytes is 1 to 1048576"));
    }
    s.max_output_bytes = static_cast<std::size_t>(m->as_number());
  }
  s.hash = hash_of(contract_json(s));
  return s;
}

Result<json::Value> read_manifest(const Workspace& ws, std::string_view agent) {
  if (!ws.has_agent(agent)) return Error(Errc::not_found, "no agent \"" + std::string(agent) + "\" in this workspace");
  std::filesystem::path file = ws.manifest_file(agent);
  BWOC_ASSIGN_OR_RETURN(std::string text, read_file_bounded(file, kMaxManifestBytes));
  auto doc = json::parse(text, json::ParseLimits{kMaxManifestBytes, 64});
  if (!doc.ok()) return Error(Errc::invalid_argument, file.string() + ": " + doc.error().message());
  if (!doc->is_object()) return Error(Errc::invalid_argument, file.string() + ": the manifest is a JSON object");
  return doc;
}

}  // namespace

std::string_view visibility_name(Visibility v) { return v == Visibility::exposed ? "exposed" : "hidden"; }

bool is_valid_skill_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name[0] < 'a' || name[0] > 'z') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  });
}

json::Value contract_json(const Skill& s) {
  return json::Value::object({{"name", s.name},
                              {"version", s.version},
                              {"description", s.description},
                              {"when_to_use", s.when_to_use},
                              {"input_schema", s.input_schema},
                              {"output_schema", s.output_schema},
                              {"min_tier", s.min_tier}});
}

std::string set_hash(const std::vector<const Skill*>& skills) {
  std::vector<const Skill*> sorted = skills;
  std::sort(sorted.begin(), sorted.end(), [](const Skill* a, const Skill* b) { return a->name < b->name; });
  std::string all;
  for (const Skill* s : sorted) all += s->name + "\n" + s->hash + "\n";
  return "blake2b-256:" + hex_encode(blake2b_256(all));
}

Result<std::vector<Skill>> parse_skills(const json::Value& manifest, const std::filesystem::path& agent_dir,
                                        const std::string& where) {
  std::vector<Skill> out;
  if (!manifest.is_object()) return Error(Errc::invalid_argument, where + ": the manifest is a JSON object");
  const json::Value* skills = manifest.find("skills");
  if (skills == nullptr) return out;
  if (!skills->is_array()) return Error(Errc::invalid_argument, where + ": \"skills\" is a list");
  if (skills->items().size() > kMaxSkills) return Error(Errc::invalid_argument, where + ": at most 256 skills");
  std::set<std::string> names;
  for (std::size_t i = 0; i < skills->items().size(); ++i) {
    BWOC_ASSIGN_OR_RETURN(Skill s, parse_skill(skills->items()[i], agent_dir, where + ": skills[" + std::to_string(i) + "]"));
    if (!names.insert(s.name).second) {
      return Error(Errc::invalid_argument, where + ": skill \"" + s.name + "\" is declared twice");
    }
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<Skill>> load_skills(const Workspace& ws, std::string_view agent) {
  BWOC_ASSIGN_OR_RETURN(json::Value doc, read_manifest(ws, agent));
  return parse_skills(doc, ws.agent_dir(agent), ws.manifest_file(agent).string());
}

Status set_visibility(const Workspace& ws, std::string_view agent, std::string_view skill, Visibility visibility) {
  // Validate everything first: exposing a skill of a broken manifest would
  // publish whatever the broken part turns out to mean.
  BWOC_ASSIGN_OR_RETURN(std::vector<Skill> skills, load_skills(ws, agent));
  if (std::none_of(skills.begin(), skills.end(), [&](const Skill& s) { return s.name == skill; })) {
    return Error(Errc::not_found, "agent \"" + std::string(agent) + "\" has no skill \"" + std::string(skill) + "\"");
  }
  BWOC_ASSIGN_OR_RETURN(json::Value doc, read_manifest(ws, agent));
  for (json::Member& m : doc.members()) {
    if (m.name != "skills") continue;
    for (json::Value& s : m.value.items()) {
      const json::Value* name = s.find("name");
      if (name != nullptr && name->is_string() && name->as_string() == skill) {
        s.set("visibility", std::string(visibility_name(visibility)));
      }
    }
  }
  return write_file_atomic(ws.manifest_file(agent), json::write_pretty(doc) + "\n", 0644);
}

}  // namespace bwoc::skill
