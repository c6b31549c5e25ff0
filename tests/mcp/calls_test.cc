// Tool calls to a peer that cannot be reached: a clear tool error today, and
// the slot async requests fill later (a Deferral: the call waits for the
// peer, and bwoc_result reads its result).
#include "calls.h"

#include <gtest/gtest.h>

#include <fstream>

#include "../core/test_util.h"

namespace bwoc::mcp {
namespace {

std::string text_of(const json::Value& result) {
  return result.find("content")->items().front().find("text")->as_string();
}

class OfflinePeer : public ::testing::Test {
 protected:
  void SetUp() override {
    ws_ = test::make_workspace(dir_.path(), "alpha", {"agent-a"});
    std::ofstream(ws_->routes_file()) << "[[peer]]\nkey = \"omega\"\npubkey = \""
                                      << SecretKey::generate().public_key().to_text()
                                      << "\"\nurl = \"http://127.0.0.1:9\"\nagent = \"agent-o\"\n";
    CatalogueOptions o;
    o.agent = "agent-a";
    o.background = false;
    auto c = Catalogue::open(*ws_, o);
    ASSERT_TRUE(c.ok()) << c.error().message();
    catalogue_ = std::move(c).value();
  }
  ToolCaller caller(Deferral deferral) {
    auto key = ws_->load_secret_key();
    EXPECT_TRUE(key.ok());
    return ToolCaller(*ws_, std::move(key).value(), "agent-a", *catalogue_, std::chrono::seconds(5), std::move(deferral));
  }

  test::TempDir dir_;
  std::optional<Workspace> ws_;
  std::unique_ptr<Catalogue> catalogue_;
};

TEST_F(OfflinePeer, IsAToolErrorThatSaysSo) {
  json::Value result = caller({}).call("omega__word-count", json::Value::object());
  EXPECT_TRUE(result.find("isError")->as_bool());
  EXPECT_NE(text_of(result).find("omega is offline"), std::string::npos) << text_of(result);
  EXPECT_NE(text_of(result).find("The call was not made"), std::string::npos);
}

TEST_F(OfflinePeer, WaitsForItWhenAsyncRequestsAreThere) {
  Deferral deferral;
  json::Value deferred_input;
  deferral.defer = [&](const std::string& peer, const std::string&, const std::string& skill, const json::Value& input) {
    deferred_input = input;
    return Result<std::string>(peer + "/" + skill + "/r1");
  };
  deferral.result = [](const std::string& id) -> Result<json::Value> {
    if (id != "omega/word-count/r1") return Error(Errc::not_found, "no request " + id);
    return json::Value::object({{"words", 3}});
  };
  ToolCaller c = caller(deferral);
  json::Value queued = c.call("omega__word-count", json::Value::object({{"text", "one two three"}}));
  EXPECT_NE(text_of(queued).find("omega/word-count/r1"), std::string::npos) << text_of(queued);
  EXPECT_EQ(json::write(deferred_input), "{\"text\":\"one two three\"}");
  json::Value later = c.call(std::string(kResultTool), json::Value::object({{"id", "omega/word-count/r1"}}));
  EXPECT_FALSE(later.find("isError")->as_bool());
  EXPECT_EQ(json::write(*later.find("structuredContent")), "{\"words\":3}");
  EXPECT_TRUE(c.call(std::string(kResultTool), json::Value::object({{"id", "nope"}})).find("isError")->as_bool());
}

}  // namespace
}  // namespace bwoc::mcp
