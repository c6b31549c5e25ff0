// bwoc task: teams' task lists.
#include <iostream>

#include "bwoc/core/tasks.h"
#include "commands.h"

namespace bwoc::cli {

namespace {

json::Value task_json(const Task& t) {
  return json::Value::object({{"id", t.id}, {"team", t.team}, {"title", t.title}, {"state", t.state},
                              {"claimed_by", t.claimed_by}, {"created", t.created}});
}

}  // namespace

int run_task_add(Context& ctx, const TaskOptions& o) {
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  auto task = add_task(*ws, o.team, o.title);
  if (!task.ok()) return fail(ctx, task.error());
  if (o.json) {
    print_json(task_json(*task));
    return 0;
  }
  std::cout << "added " << task->id << ": " << task->title << "\n";
  return 0;
}

int run_task_list(Context& ctx, const TaskOptions& o) {
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  auto tasks = list_tasks(*ws, o.team_filter);
  if (!tasks.ok()) return fail(ctx, tasks.error());
  if (o.json) {
    json::Value arr = json::Value::array();
    for (const Task& t : *tasks) arr.push_back(task_json(t));
    print_json(arr);
    return 0;
  }
  if (tasks->empty()) {
    std::cout << "no tasks: `bwoc task add TEAM TITLE` adds one\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const Task& t : *tasks) rows.push_back({t.id, t.state, t.claimed_by.empty() ? "-" : t.claimed_by, t.title});
  print_table({"ID", "STATE", "CLAIMED BY", "TITLE"}, rows);
  return 0;
}

int run_task_claim(Context& ctx, const TaskOptions& o) {
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  auto task = claim_task(*ws, o.id, agent_name(o.agent));
  if (!task.ok()) return fail(ctx, task.error());
  std::cout << task->id << " claimed by " << task->claimed_by << "\n";
  return 0;
}

int run_task_done(Context& ctx, const TaskOptions& o) {
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  auto task = finish_task(*ws, o.id);
  if (!task.ok()) return fail(ctx, task.error());
  std::cout << task->id << " done\n";
  return 0;
}

}  // namespace bwoc::cli
