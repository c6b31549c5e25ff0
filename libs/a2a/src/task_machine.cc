#include "task_machine.h"

#include "bwoc/core/envelope.h"
#include "bwoc/core/inbound.h"

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

TaskState state_for_answer(std::string_view answer) {
  auto parsed = parse_envelope(answer);
  if (!parsed.ok()) return TaskState::failed;
  const Envelope& env = parsed.value();
  if (env.kind == kErrorKind) return TaskState::failed;
  const json::Value& payload = env.payload();
  const json::Value* state = payload.is_object() ? payload.find("state") : nullptr;
  if (state != nullptr && state->is_string() && state->as_string() == state_name(TaskState::failed)) {
    return TaskState::failed;
  }
  return TaskState::completed;
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
