#include "bwoc/core/routes.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace bwoc {
namespace {

std::string peer_with(const std::string& line) {
  return "[[peer]]\nkey = \"beta\"\npubkey = \"" + test::vector_sender().public_key().to_text() + "\"\n" + line + "\n";
}

TEST(Routes, RefusesUserInformationInEveryUrlWithoutRepeatingIt) {
  for (const std::string line : {"url = \"http://beta:S3cret@beta.example:8080\"",
                                 "url = \"https://beta:pa/ss#S3cret@beta.example/bwoc\"",
                                 "mqtt = { broker = \"mqtt://beta:S3cret@broker.example:1883\" }",
                                 "mqtt = { broker = \"mqtts://:S3cret@broker.example\" }",
                                 "mqtt = { broker = \"mqtt://beta@broker.example\" }"}) {
    auto routes = Routes::parse(peer_with(line), "routes.toml", "/");
    ASSERT_FALSE(routes.ok()) << line;
    const std::string& message = routes.error().message();
    EXPECT_EQ(message.find("S3cret"), std::string::npos) << message;
    EXPECT_EQ(message.rfind("routes.toml:4: ", 0), 0u) << message;
    EXPECT_NE(message.find("credentials file"), std::string::npos) << message;
  }
  EXPECT_TRUE(Routes::parse(peer_with("url = \"http://beta.example:8080/a2a\""), "routes.toml", "/").ok());
}

TEST(Routes, SaysWhereAPasswordGoesInstead) {
  EXPECT_TRUE(url_has_user_info("mqtt://u:p@h"));
  EXPECT_TRUE(url_has_user_info("http://h/x@y"));  // any '@', so that no spelling slips through
  EXPECT_FALSE(url_has_user_info("mqtts://broker.example:8883"));
  Error e = url_user_info_error("--broker");
  EXPECT_EQ(e.code(), Errc::invalid_argument);
  EXPECT_EQ(e.message().rfind("--broker: ", 0), 0u);
  EXPECT_NE(e.message().find("docs/MQTT.md"), std::string::npos);
}

}  // namespace
}  // namespace bwoc
