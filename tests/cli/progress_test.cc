// What a wait shows on a terminal (apps/bwoc/progress.h), as pure functions
// of its state: the time, the transport a call is on, how many it tried before.
#include "progress.h"

#include <gtest/gtest.h>

namespace bwoc::cli {
namespace {

TEST(WaitingLine, ShowsTheTimeAndANoteWhenThereIsOne) {
  EXPECT_EQ(waiting_line("waiting for beta's answer", 0, ""), "waiting for beta's answer\xE2\x80\xA6 0s");
  EXPECT_EQ(waiting_line("waiting for beta's answer", 12, "via path"),
            "waiting for beta's answer\xE2\x80\xA6 12s (via path)");
}

TEST(CallNote, NamesTheTransportAndCountsTheRetries) {
  EXPECT_EQ(call_note("path", 0), "via path");
  EXPECT_EQ(call_note("a2a", 1), "via a2a, 1 retry");
  EXPECT_EQ(call_note("mqtt", 2), "via mqtt, 2 retries");
  EXPECT_EQ(waiting_line("waiting for beta's answer", 3, call_note("a2a", 1)),
            "waiting for beta's answer\xE2\x80\xA6 3s (via a2a, 1 retry)");
}

}  // namespace
}  // namespace bwoc::cli
