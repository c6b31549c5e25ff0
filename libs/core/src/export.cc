#include "bwoc/core/export.h"

#include <sys/stat.h>

#include <algorithm>

#include "bwoc/core/files.h"
#include "bwoc/core/log.h"
#include "bwoc/core/shares.h"
#include "bwoc/core/tasks.h"
#include "bwoc/core/timestamp.h"

namespace bwoc {

namespace {

constexpr std::size_t kMaxExportBytes = 1 << 20;

std::filesystem::path export_file(const Workspace& ws) { return ws.export_dir() / "status.json"; }

// When the summary's sources last changed: the agents folder (agents come
// and go), every team's folder and task list, the shared documents' list.
UnixMillis last_change(const Workspace& ws) {
  UnixMillis newest = 0;
  auto consider = [&](const std::filesystem::path& p) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) return;
    UnixMillis t = static_cast<UnixMillis>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1'000'000;
    newest = std::max(newest, t);
  };
  consider(ws.root() / "agents");
  consider(ws.shared_file());
  consider(ws.root() / "teams");
  for (const std::string& team : list_teams(ws)) {
    consider(ws.root() / "teams" / team);
    consider(ws.root() / "teams" / team / "tasks.toml");
  }
  return newest;
}

}  // namespace

Result<json::Value> status_summary(const Workspace& ws) {
  json::Value agents = json::Value::array();
  for (const std::string& a : ws.agents()) agents.push_back(a);
  json::Value teams = json::Value::array();
  BWOC_ASSIGN_OR_RETURN(std::vector<Task> tasks, list_tasks(ws));
  for (const std::string& team : list_teams(ws)) {
    json::Value open = json::Value::array();
    for (const Task& t : tasks) {
      if (t.team != team || t.state == "done") continue;
      open.push_back(json::Value::object({{"id", t.id}, {"title", t.title}, {"state", t.state},
                                          {"claimed_by", t.claimed_by}}));
    }
    teams.push_back(json::Value::object({{"name", team}, {"open_tasks", std::move(open)}}));
  }
  json::Value shared = json::Value::array();
  BWOC_ASSIGN_OR_RETURN(std::vector<SharedDoc> docs, load_shares(ws));
  for (const SharedDoc& d : docs) {
    shared.push_back(json::Value::object({{"name", d.name}, {"description", d.description}}));
  }
  return json::Value::object({{"workspace", ws.name()},
                              {"agents", std::move(agents)},
                              {"teams", std::move(teams)},
                              {"shared", std::move(shared)},
                              {"updated", format_timestamp(last_change(ws))}});
}

void refresh_export(const Workspace& ws) {
  if (Status st = write_export(ws); !st.ok()) {
    log::warning("export.not_refreshed", {{"workspace", ws.name()}, {"error", st.error().message()}});
  }
}

Status write_export(const Workspace& ws) {
  BWOC_ASSIGN_OR_RETURN(json::Value summary, status_summary(ws));
  BWOC_RETURN_IF_ERROR(ensure_directory(ws.export_dir(), 0755));
  return write_file_atomic(export_file(ws), json::write_pretty(summary) + "\n", 0644);
}

Result<json::Value> read_export(const Workspace& peer) {
  // Never through a symlink or a hard link: a peer could point it anywhere.
  BWOC_ASSIGN_OR_RETURN(std::string text, read_file_beneath(peer.root(), export_file(peer).lexically_relative(peer.root()),
                                                            kMaxExportBytes));
  auto doc = json::parse(text, {kMaxExportBytes, 16});
  if (!doc.ok() || !doc->is_object()) {
    return Error(Errc::refused, "the peer's " + export_file(peer).string() + " is not a status summary");
  }
  return std::move(doc).value();
}

}  // namespace bwoc
