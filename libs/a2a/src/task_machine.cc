#include "task_machine.h"

namespace bwoc::a2a {

std::string_view state_name(TaskState state) {
  switch (state) {
    case TaskState::submitted: return "submitted";
    case TaskState::working: return "working";
    case TaskState::completed: return "completed";
    case TaskState::failed: return "failed";
    case TaskState::canceled: return "canceled";
  }
  return "failed";
}

std::optional<TaskState> state_from_name(std::string_view name) {
  for (TaskState s : {TaskState::submitted, TaskState::working, TaskState::completed, TaskState::failed,
                      TaskState::canceled}) {
    if (state_name(s) == name) return s;
  }
  return std::nullopt;
}

bool is_final(TaskState state) {
  return state == TaskState::completed || state == TaskState::failed || state == TaskState::canceled;
}

bool TaskMachine::apply(Event event) {
  if (is_final(state_)) return false;
  switch (event) {
    case Event::started:
      if (state_ != TaskState::submitted) return false;
      state_ = TaskState::working;
      return true;
    case Event::answered: state_ = TaskState::completed; return true;
    case Event::failed: state_ = TaskState::failed; return true;
    case Event::canceled: state_ = TaskState::canceled; return true;
  }
  return false;
}

}  // namespace bwoc::a2a
