#include "bwoc/core/inbox.h"

#include <gtest/gtest.h>

#include <fstream>

#include "bwoc/core/files.h"
#include "test_util.h"

namespace bwoc {
namespace {

class InboxTest : public test::TwoWorkspaces {
 protected:
  void write_inbox(const std::vector<std::string>& lines) {
    ASSERT_TRUE(ensure_directory(beta_->inbox_file("agent-b").parent_path()).ok());
    std::ofstream out(beta_->inbox_file("agent-b"), std::ios::binary);
    for (const std::string& l : lines) out << l;
  }
  InboxVerification verify() {
    auto routes = Routes::load(beta_->routes_file(), beta_->root());
    auto v = verify_inbox(*beta_, *routes, "agent-b");
    EXPECT_TRUE(v.ok());
    return std::move(v).value();
  }
};

TEST_F(InboxTest, VerifyReportsTheSameSenderAndIdTwice) {
  std::string first = envelope();
  std::string other = envelope();
  write_inbox({format_inbox_line(first, now_millis(), Via::path), format_inbox_line(other, now_millis(), Via::a2a),
               format_inbox_line(first, now_millis(), Via::mqtt)});
  InboxVerification v = verify();
  EXPECT_EQ(v.lines, 3u);
  EXPECT_EQ(v.verified, 3u);  // each line is sound on its own
  ASSERT_EQ(v.problems.size(), 1u);
  EXPECT_EQ(v.problems[0].line, 3u);
  EXPECT_EQ(v.problems[0].id, parse_envelope(first).value().id);
  EXPECT_NE(v.problems[0].problem.find("duplicate"), std::string::npos) << v.problems[0].problem;
  EXPECT_NE(v.problems[0].problem.find("line 1"), std::string::npos) << v.problems[0].problem;
}

TEST_F(InboxTest, VerifyNumbersEveryLineItCannotRead) {
  write_inbox({format_inbox_line(envelope(), now_millis(), Via::path), "not an inbox line\n",
               format_inbox_line(envelope(), now_millis(), Via::path), "{\"torn"});
  InboxVerification v = verify();
  EXPECT_EQ(v.lines, 3u);
  EXPECT_EQ(v.verified, 2u);
  ASSERT_EQ(v.problems.size(), 2u);
  EXPECT_EQ(v.problems[0].line, 2u);
  EXPECT_NE(v.problems[1].problem.find("torn last line"), std::string::npos);
}

}  // namespace
}  // namespace bwoc
