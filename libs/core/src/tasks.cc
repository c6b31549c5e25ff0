#include "bwoc/core/tasks.h"

#include <algorithm>

#include "bwoc/core/envelope.h"
#include "bwoc/core/export.h"
#include "bwoc/core/files.h"
#include "bwoc/core/timestamp.h"
#include "toml_file.h"

namespace bwoc {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxTitle = 500;
constexpr std::size_t kMaxTasksPerTeam = 100'000;

fs::path teams_dir(const Workspace& ws) { return ws.root() / "teams"; }
fs::path tasks_file(const Workspace& ws, const std::string& team) { return teams_dir(ws) / team / "tasks.toml"; }

Result<std::vector<Task>> load_team(const Workspace& ws, const std::string& team) {
  std::vector<Task> out;
  fs::path file = tasks_file(ws, team);
  std::error_code ec;
  if (!fs::exists(file, ec)) return out;
  BWOC_ASSIGN_OR_RETURN(toml::table table, parse_toml_file(file));
  const toml::array* tasks = table["task"].as_array();
  if (tasks == nullptr) return out;
  for (const toml::node& item : *tasks) {
    const toml::table* t = item.as_table();
    if (t == nullptr) return config_error(file, &item, "[[task]] must be a table");
    Task task;
    task.team = team;
    for (auto [field, target] : {std::pair{"id", &task.id}, {"title", &task.title}, {"state", &task.state},
                                 {"claimed_by", &task.claimed_by}, {"created", &task.created}}) {
      auto v = (*t)[field].value<std::string>();
      if (!v && std::string_view(field) != "claimed_by") {
        return config_error(file, t, std::string("[[task]] needs \"") + field + "\"");
      }
      *target = v.value_or("");
    }
    if (task.state != "open" && task.state != "claimed" && task.state != "done") {
      return config_error(file, t, "state must be open, claimed or done");
    }
    out.push_back(std::move(task));
  }
  return out;
}

Status save_team(const Workspace& ws, const std::string& team, const std::vector<Task>& tasks) {
  std::string text = "# Team \"" + team + "\": its task list, kept by `bwoc task` (edit with the command).\n";
  for (const Task& t : tasks) {
    text += "\n[[task]]\nid = " + toml_quote(t.id) + "\ntitle = " + toml_quote(t.title) + "\nstate = " +
            toml_quote(t.state) + "\nclaimed_by = " + toml_quote(t.claimed_by) + "\ncreated = " +
            toml_quote(t.created) + "\n";
  }
  BWOC_RETURN_IF_ERROR(ensure_directory(teams_dir(ws) / team, 0755));
  BWOC_RETURN_IF_ERROR(write_file_atomic(tasks_file(ws, team), text, 0644));
  refresh_export(ws);
  return ok_status();
}

// "<team>-<n>" → team
std::optional<std::string> team_of(std::string_view id) {
  std::size_t dash = id.rfind('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == id.size()) return std::nullopt;
  std::string team(id.substr(0, dash));
  if (!is_valid_team_name(team)) return std::nullopt;
  if (!std::all_of(id.begin() + dash + 1, id.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
  return team;
}

template <class Change>
Result<Task> change_task(const Workspace& ws, const std::string& id, Change change) {
  auto team = team_of(id);
  if (!team) return Error(Errc::not_found, "no task \"" + id + "\" (task ids look like research-3)");
  BWOC_ASSIGN_OR_RETURN(FileLock lock, FileLock::acquire(ws.state_dir() / "tasks.lock"));
  BWOC_ASSIGN_OR_RETURN(std::vector<Task> tasks, load_team(ws, *team));
  auto it = std::find_if(tasks.begin(), tasks.end(), [&](const Task& t) { return t.id == id; });
  if (it == tasks.end()) return Error(Errc::not_found, "no task \"" + id + "\"");
  BWOC_RETURN_IF_ERROR(change(*it));
  BWOC_RETURN_IF_ERROR(save_team(ws, *team, tasks));
  return *it;
}

}  // namespace

bool is_valid_team_name(std::string_view name) { return is_valid_agent_name(name); }

std::vector<std::string> list_teams(const Workspace& ws) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(teams_dir(ws), ec)) {
    std::string name = e.path().filename().string();
    if (e.is_directory(ec) && is_valid_team_name(name)) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::vector<Task>> list_tasks(const Workspace& ws, const std::optional<std::string>& team) {
  std::vector<Task> out;
  std::vector<std::string> teams = team ? std::vector<std::string>{*team} : list_teams(ws);
  for (const std::string& t : teams) {
    if (!is_valid_team_name(t)) return Error(Errc::invalid_argument, "\"" + t + "\" is not a valid team name");
    BWOC_ASSIGN_OR_RETURN(std::vector<Task> tasks, load_team(ws, t));
    out.insert(out.end(), tasks.begin(), tasks.end());
  }
  return out;
}

Result<Task> add_task(const Workspace& ws, const std::string& team, const std::string& title) {
  if (!is_valid_team_name(team)) {
    return Error(Errc::invalid_argument, "\"" + team + "\" is not a valid team name: [a-z0-9][a-z0-9._-]*");
  }
  if (title.empty() || title.size() > kMaxTitle || title.find('\n') != std::string::npos) {
    return Error(Errc::invalid_argument, "a title is one line of 1 to 500 characters");
  }
  BWOC_ASSIGN_OR_RETURN(FileLock lock, FileLock::acquire(ws.state_dir() / "tasks.lock"));
  BWOC_ASSIGN_OR_RETURN(std::vector<Task> tasks, load_team(ws, team));
  if (tasks.size() >= kMaxTasksPerTeam) return Error(Errc::invalid_argument, "team \"" + team + "\" has too many tasks");
  long next = 1;
  for (const Task& t : tasks) {
    std::size_t dash = t.id.rfind('-');
    if (dash != std::string::npos) next = std::max(next, std::atol(t.id.c_str() + dash + 1) + 1);
  }
  Task task{team + "-" + std::to_string(next), team, title, "open", "", format_timestamp(now_millis())};
  tasks.push_back(task);
  BWOC_RETURN_IF_ERROR(save_team(ws, team, tasks));
  return task;
}

Result<Task> claim_task(const Workspace& ws, const std::string& id, const std::string& agent) {
  if (!ws.has_agent(agent)) return Error(Errc::not_found, "no agent \"" + agent + "\" in this workspace");
  return change_task(ws, id, [&](Task& t) -> Status {
    if (t.state == "done") return Error(Errc::invalid_argument, "task " + id + " is done");
    if (t.state == "claimed" && t.claimed_by != agent) {
      return Error(Errc::already_exists, "task " + id + " is already claimed by " + t.claimed_by);
    }
    t.state = "claimed";
    t.claimed_by = agent;
    return ok_status();
  });
}

Result<Task> finish_task(const Workspace& ws, const std::string& id) {
  return change_task(ws, id, [&](Task& t) -> Status {
    if (t.state == "done") return Error(Errc::invalid_argument, "task " + id + " is already done");
    t.state = "done";
    return ok_status();
  });
}

}  // namespace bwoc
