// The states of a task whose work runs later, and the only moves between them.
#include "task_machine.h"

#include <initializer_list>

#include <gtest/gtest.h>

#include "bwoc/core/envelope.h"
#include "../core/test_util.h"

namespace bwoc::a2a {
namespace {

using Event = TaskMachine::Event;

// The state after `events`, each of which must move the task.
TaskState after(std::initializer_list<Event> events) {
  TaskMachine m;
  for (Event e : events) EXPECT_TRUE(m.apply(e));
  return m.state();
}

TEST(TaskMachine, WorkThatRunsEndsCompletedOrFailed) {
  EXPECT_EQ(after({}), TaskState::submitted);
  EXPECT_EQ(after({Event::started}), TaskState::working);
  EXPECT_EQ(after({Event::started, Event::answered}), TaskState::completed);
  EXPECT_EQ(after({Event::started, Event::failed}), TaskState::failed);
}

TEST(TaskMachine, WorkMayEndBeforeItWasSeenToStart) {
  EXPECT_EQ(after({Event::answered}), TaskState::completed);
  EXPECT_EQ(after({Event::failed}), TaskState::failed);
}

TEST(TaskMachine, WorkNotFinishedIsCanceledWhetherItStartedOrNot) {
  EXPECT_EQ(after({Event::canceled}), TaskState::canceled);
  EXPECT_EQ(after({Event::started, Event::canceled}), TaskState::canceled);
}

TEST(TaskMachine, AnEndedTaskStaysAsItEnded) {
  for (Event end : {Event::answered, Event::failed, Event::canceled}) {
    TaskMachine m;
    ASSERT_TRUE(m.apply(Event::started));
    ASSERT_TRUE(m.apply(end));
    TaskState ended = m.state();
    EXPECT_TRUE(is_final(ended));
    // A late answer does not undo a cancel; a cancel does not undo a result.
    for (Event late : {Event::started, Event::answered, Event::failed, Event::canceled}) {
      EXPECT_FALSE(m.apply(late));
      EXPECT_EQ(m.state(), ended);
    }
  }
}

TEST(TaskMachine, StartingTwiceIsNoMove) {
  TaskMachine m;
  ASSERT_TRUE(m.apply(Event::started));
  EXPECT_FALSE(m.apply(Event::started));
  EXPECT_EQ(m.state(), TaskState::working);
}

TEST(TaskMachine, StatesAreNamedAsA2a03SpellsThem) {
  for (TaskState s : {TaskState::submitted, TaskState::working, TaskState::completed, TaskState::failed,
                      TaskState::canceled}) {
    EXPECT_EQ(state_from_name(state_name(s)), s);
  }
  EXPECT_EQ(state_name(TaskState::canceled), "canceled");
  EXPECT_EQ(state_from_name("cancelled"), std::nullopt);
  EXPECT_FALSE(is_final(TaskState::submitted));
  EXPECT_FALSE(is_final(TaskState::working));
}

// A signed answer of `kind` saying `payload`.
std::string answer(std::string kind, json::Value payload) {
  EnvelopeDraft d = test::draft_to(test::vector_audience().public_key());
  d.kind = std::move(kind);
  d.re = "aaaa0000aaaa0000aaaa0000aaaa0000";
  d.payload = std::move(payload);
  return *sign_envelope(d, test::vector_sender());
}

TEST(TaskMachine, AnAnswerEndsItsTaskFailedWhenItIsAnErrorOrSaysSo) {
  EXPECT_EQ(state_for_answer(answer("skill.result", json::Value::object({{"output", json::Value::object()}}))),
            TaskState::completed);
  EXPECT_EQ(state_for_answer(answer("receipt", json::Value::object())), TaskState::completed);
  // A malformed request's answer (a deadline too far away, a bad key).
  EXPECT_EQ(state_for_answer(answer("error", json::Value::object({{"error", "A deadline is at most 30 days away"},
                                                                   {"state", "failed"}}))),
            TaskState::failed);
  EXPECT_EQ(state_for_answer(answer("error", json::Value::object({{"error", "Unknown skill"}}))), TaskState::failed);
  EXPECT_EQ(state_for_answer(answer("skill.result", json::Value::object({{"state", "failed"}}))), TaskState::failed);
  EXPECT_EQ(state_for_answer("not an envelope"), TaskState::failed);
}

}  // namespace
}  // namespace bwoc::a2a
