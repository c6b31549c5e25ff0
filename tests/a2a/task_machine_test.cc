// The states of a task whose work runs later, and the only moves between them.
#include "task_machine.h"

#include <gtest/gtest.h>

namespace bwoc::a2a {
namespace {

using Event = TaskMachine::Event;

TEST(TaskMachine, WorkThatRunsEndsCompletedOrFailed) {
  TaskMachine m;
  EXPECT_EQ(m.state(), TaskState::submitted);
  EXPECT_TRUE(m.apply(Event::started));
  EXPECT_EQ(m.state(), TaskState::working);
  EXPECT_TRUE(m.apply(Event::answered));
  EXPECT_EQ(m.state(), TaskState::completed);

  TaskMachine f;
  EXPECT_TRUE(f.apply(Event::started));
  EXPECT_TRUE(f.apply(Event::failed));
  EXPECT_EQ(f.state(), TaskState::failed);
}

TEST(TaskMachine, WorkMayEndBeforeItWasSeenToStart) {
  TaskMachine m;
  EXPECT_TRUE(m.apply(Event::answered));
  EXPECT_EQ(m.state(), TaskState::completed);
}

TEST(TaskMachine, WorkNotFinishedIsCanceledWhetherItStartedOrNot) {
  TaskMachine waiting;
  EXPECT_TRUE(waiting.apply(Event::canceled));
  EXPECT_EQ(waiting.state(), TaskState::canceled);

  TaskMachine running;
  ASSERT_TRUE(running.apply(Event::started));
  EXPECT_TRUE(running.apply(Event::canceled));
  EXPECT_EQ(running.state(), TaskState::canceled);
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

}  // namespace
}  // namespace bwoc::a2a
