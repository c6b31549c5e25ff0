// trust.json as a node reads it: a file edited by hand (or damaged) gives
// tiers and counts within their ranges, or an error; never undefined values.
#include <gtest/gtest.h>

#include <climits>
#include <fstream>

#include "bwoc/core/trust.h"
#include "test_util.h"

namespace bwoc {
namespace {

class TrustStateTest : public test::TwoWorkspaces {
 protected:
  TrustStore store() {
    auto routes = std::make_shared<const Routes>(Routes::load(alpha_->routes_file(), alpha_->root()).value());
    return TrustStore(*alpha_, routes, false);
  }
  void write_state(const std::string& text) {
    std::filesystem::create_directories(alpha_->state_dir());
    std::ofstream(alpha_->state_dir() / "trust.json") << text;
  }
};

TEST_F(TrustStateTest, IntegersBeyondAnIntAreClampedNotWrapped) {
  std::string key = beta_->public_key()->to_text();
  write_state("{\"keys\":{\"" + key +
              "\":{\"peer\":\"beta\",\"tier\":2,\"consecutive_failures\":9007199254740991,"
              "\"total_failures\":-9007199254740991}}}");
  TrustStore t = store();
  auto peers = t.list();
  ASSERT_TRUE(peers.ok()) << peers.error().message();
  ASSERT_EQ(peers->size(), 1u);
  EXPECT_EQ((*peers)[0].tier, 2);
  EXPECT_EQ((*peers)[0].consecutive_failures, INT_MAX);
  EXPECT_EQ((*peers)[0].total_failures, INT_MIN);
}

}  // namespace
}  // namespace bwoc
