// Teams and their task lists: teams/<team>/tasks.toml, one [[task]] table a
// task, kept by `bwoc task` under a lock so that concurrent commands never
// lose an update.
#ifndef BWOC_CORE_TASKS_H_
#define BWOC_CORE_TASKS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bwoc/core/result.h"
#include "bwoc/core/workspace.h"

namespace bwoc {

struct Task {
  std::string id;     // "<team>-<n>"
  std::string team;
  std::string title;
  std::string state;  // open, claimed, done
  std::string claimed_by;
  std::string created;  // RFC 3339
};

bool is_valid_team_name(std::string_view name);

std::vector<std::string> list_teams(const Workspace& ws);
// The tasks of `team`, or of every team.
Result<std::vector<Task>> list_tasks(const Workspace& ws, const std::optional<std::string>& team = std::nullopt);
Result<Task> add_task(const Workspace& ws, const std::string& team, const std::string& title);
// open → claimed by `agent` (an agent of this workspace).
Result<Task> claim_task(const Workspace& ws, const std::string& id, const std::string& agent);
// open or claimed → done.
Result<Task> finish_task(const Workspace& ws, const std::string& id);

}  // namespace bwoc

#endif  // BWOC_CORE_TASKS_H_
