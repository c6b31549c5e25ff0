// The life of an A2A task whose work runs after its message was accepted
// (a skill on the node's workers): submitted → working → completed, failed
// or canceled. Only these moves exist; a task that has ended stays as it
// ended, so a late answer cannot undo a cancel, nor a cancel a result.
#ifndef BWOC_A2A_SRC_TASK_MACHINE_H_
#define BWOC_A2A_SRC_TASK_MACHINE_H_

#include <optional>
#include <string_view>

namespace bwoc::a2a {

enum class TaskState { submitted, working, completed, failed, canceled };

// In A2A 0.3's spelling ("completed"); shapes.h writes 1.0's from it.
std::string_view state_name(TaskState state);
std::optional<TaskState> state_from_name(std::string_view name);
bool is_final(TaskState state);

// The one rule for how a task that carried a request ends with its signed
// answer (the envelope's JSON): failed when the answer is a signed error or
// its payload says it failed ("state": "failed"), completed otherwise (a
// result, a receipt). Every place a task's final state comes from an answer
// goes by it.
TaskState state_for_answer(std::string_view answer);

class TaskMachine {
 public:
  enum class Event {
    started,   // the work began
    answered,  // it ended with an answer
    failed,    // it ended without one, or with a signed error
    canceled,  // the client asked to stop it
  };
  // Whether `event` moved the task; false leaves it as it was (an event
  // that comes too late, or twice).
  bool apply(Event event);
  TaskState state() const { return state_; }

 private:
  TaskState state_ = TaskState::submitted;
};

}  // namespace bwoc::a2a

#endif  // BWOC_A2A_SRC_TASK_MACHINE_H_
