#include "bwoc/mcp/check.h"

#include <algorithm>

#include "bwoc/skill/llm.h"
#include "bwoc/skill/manifest.h"
#include "bwoc/skill/runner.h"
#include "tool_names.h"

namespace bwoc::mcp {

bool SetupReport::ok() const {
  return std::all_of(checks.begin(), checks.end(), [](const SetupCheck& c) { return c.ok; });
}

Result<SetupReport> check_setup(const Workspace& ws, const std::string& agent, std::chrono::milliseconds timeout) {
  SetupReport report;
  report.agent = agent;
  auto key = ws.public_key();
  report.checks.push_back({"key", key.ok() && ws.load_secret_key().ok(),
                           key.ok() ? key->fingerprint() : key.error().message()});
  auto skills = skill::load_skills(ws, agent);
  if (!skills.ok()) {
    report.checks.push_back({"skills of " + agent, false, skills.error().message()});
  } else {
    bool executable = std::any_of(skills->begin(), skills->end(), [](const skill::Skill& s) {
      return s.visibility == skill::Visibility::exposed && !s.run.empty();
    });
    bool instructed = std::any_of(skills->begin(), skills->end(), [](const skill::Skill& s) {
      return s.visibility == skill::Visibility::exposed && !s.instructions.empty();
    });
    if (instructed) {
      // Read, never called: a call would cost a model run.
      auto endpoint = skill::load_chat_endpoint(ws);
      report.checks.push_back({"chat endpoint", endpoint.ok(),
                               endpoint.ok() ? "model " + endpoint->model + " at " + endpoint->base_url + " (not called)"
                                             : endpoint.error().message()});
    }
    if (executable) {
      bool sandbox = skill::sandbox_available();
      report.checks.push_back({"sandbox", sandbox,
                               sandbox ? "Landlock enforced: our executable skills can run"
                                       : "this kernel has no Landlock: our executable skills will not run"});
    }
  }
  CatalogueOptions options;
  options.agent = agent;
  options.background = false;
  options.discover_timeout = timeout;
  BWOC_ASSIGN_OR_RETURN(auto catalogue, Catalogue::open(ws, options));
  catalogue->refresh_now();
  report.peers = catalogue->peers();
  for (const PeerState& p : report.peers) {
    bool answered = p.fresh && p.error.empty();
    report.checks.push_back({"peer " + p.peer, answered,
                             answered ? std::to_string(p.skills) + " skills for us, over " + p.via
                                      : (p.error.empty() ? "no answer" : p.error)});
  }
  report.tools = catalogue->tools();
  for (const Tool& t : report.tools) {
    if (!is_legal_tool_name(t.name)) report.checks.push_back({"tool " + t.name, false, "not a legal MCP tool name"});
  }
  report.unfinished = catalogue->stop();
  return report;
}

json::Value report_json(const SetupReport& report) {
  json::Value checks = json::Value::array(), tools = json::Value::array(), peers = json::Value::array();
  for (const SetupCheck& c : report.checks) {
    checks.push_back(json::Value::object({{"what", c.what}, {"ok", c.ok}, {"detail", c.detail}}));
  }
  for (const Tool& t : report.tools) tools.push_back(tool_json(t));
  for (const PeerState& p : report.peers) {
    peers.push_back(json::Value::object({{"peer", p.peer},
                                         {"agent", p.agent},
                                         {"answered", p.fresh && p.error.empty()},
                                         {"via", p.via},
                                         {"skills", p.skills},
                                         {"set_hash", p.set_hash},
                                         {"error", p.error}}));
  }
  return json::Value::object({{"ok", report.ok()},
                              {"agent", report.agent},
                              {"checks", std::move(checks)},
                              {"peers", std::move(peers)},
                              {"tools", std::move(tools)}});
}

json::Value client_config(const Workspace& ws, const std::string& agent, const std::filesystem::path& bwoc_binary) {
  json::Value args = json::Value::array({"--workspace", std::filesystem::absolute(ws.root()).lexically_normal().string(),
                                         "mcp", "serve", "--agent", "agents/" + agent});
  json::Value server = json::Value::object({{"command", bwoc_binary.string()}, {"args", std::move(args)}});
  return json::Value::object({{"mcpServers", json::Value::object({{"bwoc-" + ws.name(), std::move(server)}})}});
}

}  // namespace bwoc::mcp
