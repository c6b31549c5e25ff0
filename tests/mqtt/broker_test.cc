#include "bwoc/mqtt/broker.h"

#include <sys/stat.h>

#include <fstream>

#include <gtest/gtest.h>

#include "../core/test_util.h"

namespace bwoc::mqtt {
namespace {

using test::TempDir;

TEST(BrokerUrl, ParsesSchemesHostsAndPorts) {
  auto plain = parse_broker_url("mqtt://broker.example");
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->tls);
  EXPECT_EQ(plain->port, 1883);
  EXPECT_EQ(plain->paho_uri(), "tcp://broker.example:1883");
  auto tls = parse_broker_url("mqtts://10.0.0.1:9999/");
  ASSERT_TRUE(tls.ok());
  EXPECT_TRUE(tls->tls);
  EXPECT_EQ(tls->text(), "mqtts://10.0.0.1:9999");
  EXPECT_EQ(tls->paho_uri(), "ssl://10.0.0.1:9999");
  EXPECT_EQ(parse_broker_url("mqtts://h")->port, 8883);
  auto v6 = parse_broker_url("mqtt://[::1]:1884");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->paho_uri(), "tcp://[::1]:1884");
}

TEST(BrokerUrl, RefusesEverythingElse) {
  for (const char* bad : {"", "http://h", "tcp://h:1883", "mqtt://", "mqtt://:1883", "mqtt://h:0", "mqtt://h:65536",
                          "mqtt://h:12x", "mqtt://user:pw@h", "mqtt://h/topic", "mqtt://h?x=1", "mqtt://[::1",
                          "mqtt://[::1]x", "mqtt://h :1", "mqtts://[[:::2]:88", "mqtt://a[b"}) {
    auto r = parse_broker_url(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code(), Errc::invalid_argument);
    }
  }
}

TEST(BrokerUrl, RefusesCredentialsWithoutRepeatingThem) {
  for (const char* url : {"mqtt://user:S3cret@h", "mqtts://user:pa/S3cret@h:8883", "mqtt://u:S3cret?x@h", "mqtt://user@h"}) {
    auto r = parse_broker_url(url);
    ASSERT_FALSE(r.ok()) << url;
    EXPECT_EQ(r.error().code(), Errc::invalid_argument);
    EXPECT_EQ(r.error().message().find("S3cret"), std::string::npos) << r.error().message();
    EXPECT_NE(r.error().message().find("credentials file"), std::string::npos) << r.error().message();
  }
}

TEST(Topics, NamesHaveNoWildcards) {
  EXPECT_TRUE(is_valid_topic_name("bwoc/beta/agent-b/inbox"));
  EXPECT_FALSE(is_valid_topic_name(""));
  EXPECT_FALSE(is_valid_topic_name("bwoc/+/x"));
  EXPECT_FALSE(is_valid_topic_name("bwoc/#"));
  EXPECT_FALSE(is_valid_topic_name(std::string("a\0b", 3)));
  EXPECT_FALSE(is_valid_topic_name(std::string(2000, 'a')));
}

TEST(Topics, FiltersFollowMqttRules) {
  for (const char* ok : {"bwoc/beta/agent-b/inbox", "bwoc/beta/+/inbox", "bwoc/#", "#", "+", "bwoc/+/+/#"}) {
    EXPECT_TRUE(is_valid_topic_filter(ok)) << ok;
  }
  for (const char* bad : {"", "bwoc/#/x", "bwoc/a#", "bwoc/a+/x", "bwoc/+x", "##"}) {
    EXPECT_FALSE(is_valid_topic_filter(bad)) << bad;
  }
}

void write_text(const std::filesystem::path& p, const std::string& text, mode_t mode) {
  std::ofstream(p) << text;
  ::chmod(p.c_str(), mode);
}

TEST(Credentials, ReadsUserAndPasswordFromAPrivateFile) {
  TempDir dir;
  auto file = dir.path() / "creds";
  write_text(file, "beta:pa:ss word\n", 0600);
  auto c = read_credentials(file);
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->user, "beta");
  EXPECT_EQ(c->password, "pa:ss word");
}

TEST(Credentials, RefusesFilesOthersCanReadAndNeverShowsThePassword) {
  TempDir dir;
  auto file = dir.path() / "creds";
  write_text(file, "beta:hunter2\n", 0644);
  auto c = read_credentials(file);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code(), Errc::permission_denied);
  EXPECT_EQ(c.error().message().find("hunter2"), std::string::npos);
  write_text(file, "hunter2\n", 0600);
  c = read_credentials(file);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message().find("hunter2"), std::string::npos);
  write_text(file, "beta:a\nsecond:line\n", 0600);
  EXPECT_FALSE(read_credentials(file).ok());
  EXPECT_FALSE(read_credentials(dir.path() / "missing").ok());
}

class BrokerSettingsTest : public ::testing::Test {
 protected:
  void SetUp() override { ws_.emplace(test::make_workspace(dir_.path(), "alpha")); }
  void config(const std::string& text) { std::ofstream(ws_->bwoc_dir() / "mqtt.toml") << text; }
  TempDir dir_;
  std::optional<Workspace> ws_;
};

TEST_F(BrokerSettingsTest, DefaultsWithoutAConfigFile) {
  auto s = broker_settings(*ws_, "mqtt://127.0.0.1:1883");
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->topic_root, "bwoc/alpha");
  EXPECT_FALSE(s->credentials);
  EXPECT_FALSE(s->ca_file);
}

TEST_F(BrokerSettingsTest, TakesTheEntryForThisUrlOnly) {
  auto ca = dir_.path() / "ca.pem";
  write_text(ca, "-", 0644);
  config("[[broker]]\nurl = \"mqtts://other:8883\"\nca = \"/nonexistent\"\n\n[[broker]]\nurl = \"mqtts://h\"\nca = \"" +
         ca.string() + "\"\ntopic_root = \"fleet/alpha\"\n");
  auto s = broker_settings(*ws_, "mqtts://h:8883");
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->ca_file, ca);
  EXPECT_EQ(s->topic_root, "fleet/alpha");
}

TEST_F(BrokerSettingsTest, RefusesWhatItDoesNotKnowWithFileAndLine) {
  config("[[broker]]\nurl = \"mqtt://h\"\npassword = \"x\"\n");
  auto s = broker_settings(*ws_, "mqtt://h");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("mqtt.toml:3"), std::string::npos) << s.error().message();
  EXPECT_NE(s.error().message().find("unknown field \"password\""), std::string::npos);
  config("[[broker]\n");
  EXPECT_FALSE(broker_settings(*ws_, "mqtt://h").ok());
  config("[[broker]]\nurl = \"mqtt://h\"\ntopic_root = \"a/#\"\n");
  EXPECT_FALSE(broker_settings(*ws_, "mqtt://h").ok());
}

TEST_F(BrokerSettingsTest, RefusesAFieldOfAnotherTypeInsteadOfSkippingIt) {
  for (const char* field : {"ca = 5", "cert = true", "key = 1.5", "credentials = [\"f\"]", "topic_root = 7"}) {
    config(std::string("[[broker]]\nurl = \"mqtts://h\"\n") + field + "\n");
    auto s = broker_settings(*ws_, "mqtts://h");
    ASSERT_FALSE(s.ok()) << field;
    EXPECT_NE(s.error().message().find("mqtt.toml:3"), std::string::npos) << s.error().message();
    EXPECT_NE(s.error().message().find("must be a string"), std::string::npos) << s.error().message();
  }
}

TEST_F(BrokerSettingsTest, TlsFilesNeedTlsAndEachOther) {
  auto f = dir_.path() / "f.pem";
  write_text(f, "-", 0644);
  BrokerOverrides o;
  o.ca_file = f;
  EXPECT_FALSE(broker_settings(*ws_, "mqtt://h", o).ok());
  o.ca_file.reset();
  o.cert_file = f;
  EXPECT_FALSE(broker_settings(*ws_, "mqtts://h", o).ok());
  o.key_file = f;
  EXPECT_TRUE(broker_settings(*ws_, "mqtts://h", o).ok());
  o.ca_file = dir_.path() / "missing.pem";
  auto s = broker_settings(*ws_, "mqtts://h", o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), Errc::not_found);
}

}  // namespace
}  // namespace bwoc::mqtt
