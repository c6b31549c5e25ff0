// peers-seen.json is the workspace's own file, but a hand edit or a damaged
// disk may leave any JSON in it: only whole, non-negative milliseconds are
// read as times, the rest is skipped (a cast of 1e300 is undefined behaviour).
#include <gtest/gtest.h>

#include "../core/test_util.h"
#include "bwoc/core/files.h"
#include "bwoc/peer/reach.h"

namespace bwoc::peer {
namespace {

class LastSeenTest : public test::TwoWorkspaces {};

TEST_F(LastSeenTest, OnlyWholeNonNegativeMillisecondsAreTimes) {
  const char* text =
      R"({"ok":1764500000000,"huge":1e300,"negative":-5,"fraction":1.5,"text":"x"})";
  ASSERT_TRUE(write_file_atomic(alpha_->state_dir() / "peers-seen.json", text).ok());
  auto seen = load_last_seen(*alpha_);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen.at("ok"), 1764500000000);
}

}  // namespace
}  // namespace bwoc::peer
