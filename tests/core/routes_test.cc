#include "bwoc/core/routes.h"

#include <gtest/gtest.h>

#include <cctype>
#include <ostream>
#include <string>
#include <vector>

#include "bwoc/core/files.h"
#include "test_util.h"

namespace bwoc {
namespace {

namespace fs = std::filesystem;

const fs::path kFile = "/ws/alpha/.bwoc/routes.toml";
const fs::path kRoot = "/ws/alpha";

const PublicKey& beta_key() { return test::vector_sender().public_key(); }
const PublicKey& gamma_key() { return test::vector_audience().public_key(); }

Result<Routes> parse(const std::string& text) { return Routes::parse(text, kFile, kRoot); }

// A [[peer]] table for beta (reached by path) with `extra` lines after its pubkey.
std::string beta_peer(const std::string& extra = "path = \"../beta\"\n") {
  return "[[peer]]\nkey = \"beta\"\npubkey = \"" + beta_key().to_text() + "\"\n" + extra;
}

// The message of a refusal, or a failure when the text was accepted.
std::string refusal(const std::string& text) {
  auto routes = parse(text);
  if (routes.ok()) {
    ADD_FAILURE() << "accepted:\n" << text;
    return "";
  }
  EXPECT_EQ(routes.error().code(), Errc::invalid_argument);
  return routes.error().message();
}

// "<file>:<line>: " starts every refusal, as compilers write it.
std::string at_line(int line) { return kFile.string() + ":" + std::to_string(line) + ": "; }

TEST(Routes, ReadsEveryFieldOfAPeer) {
  auto routes = parse("# peers\n\n" + beta_peer(
                                          "name = \"Beta Workspace\"\n"
                                          "allowlist = false\n"
                                          "path = \"../beta\"\n"
                                          "url = \"https://beta.example:8443\"\n"
                                          "mqtt = { broker = \"mqtts://broker.example:8883\", topic = \"bwoc/b\" }\n"
                                          "tier = 2\n"
                                          "max_age = \"1h30m\"\n"));
  ASSERT_TRUE(routes.ok()) << routes.error().message();
  ASSERT_EQ(routes->peers().size(), 1u);
  const PeerRoute& p = routes->peers()[0];
  EXPECT_EQ(p.key, "beta");
  EXPECT_EQ(p.name, "Beta Workspace");
  EXPECT_EQ(p.pubkey, beta_key());
  EXPECT_FALSE(p.allowlist);
  EXPECT_EQ(p.path, fs::path("/ws/beta"));
  EXPECT_EQ(p.url, "https://beta.example:8443");
  ASSERT_TRUE(p.mqtt.has_value());
  EXPECT_EQ(p.mqtt->broker, "mqtts://broker.example:8883");
  EXPECT_EQ(p.mqtt->topic, "bwoc/b");
  EXPECT_EQ(p.tier, 2);
  EXPECT_EQ(p.max_age_ms, 5'400'000);
  EXPECT_EQ(p.line, 3);
}

TEST(Routes, OptionalFieldsHaveTheirDocumentedDefaults) {
  auto routes = parse(beta_peer("mqtt = { broker = \"mqtt://broker.example:1883\" }\n"));
  ASSERT_TRUE(routes.ok()) << routes.error().message();
  const PeerRoute& p = routes->peers()[0];
  EXPECT_EQ(p.name, "beta");
  EXPECT_TRUE(p.allowlist);
  EXPECT_FALSE(p.path.has_value());
  EXPECT_FALSE(p.url.has_value());
  EXPECT_EQ(p.mqtt->topic, "bwoc/beta");
  EXPECT_FALSE(p.tier.has_value());
  EXPECT_FALSE(p.max_age_ms.has_value());
}

TEST(Routes, RelativePathsAreResolvedAgainstTheWorkspaceAbsoluteOnesKept) {
  auto relative = parse(beta_peer("path = \"peers/./x/../beta\"\n"));
  ASSERT_TRUE(relative.ok()) << relative.error().message();
  EXPECT_EQ(relative->peers()[0].path, fs::path("/ws/alpha/peers/beta"));
  auto absolute = parse(beta_peer("path = \"/srv/workspaces/beta\"\n"));
  ASSERT_TRUE(absolute.ok()) << absolute.error().message();
  EXPECT_EQ(absolute->peers()[0].path, fs::path("/srv/workspaces/beta"));
}

TEST(Routes, MaxAgeIsADurationOrWholeSeconds) {
  auto text = parse(beta_peer("path = \"../beta\"\nmax_age = \"7d\"\n"));
  ASSERT_TRUE(text.ok()) << text.error().message();
  EXPECT_EQ(text->peers()[0].max_age_ms, 7 * 86'400'000LL);
  auto seconds = parse(beta_peer("path = \"../beta\"\nmax_age = 600\n"));
  ASSERT_TRUE(seconds.ok()) << seconds.error().message();
  EXPECT_EQ(seconds->peers()[0].max_age_ms, 600'000);
  for (std::string bad : {"0", "-5", "\"0s\"", "\"soon\"", "\"\"", "1.5", "600.0", "true", "315360000"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(refusal(beta_peer("path = \"../beta\"\nmax_age = " + bad + "\n")),
              at_line(5) + "\"max_age\" must be a duration such as \"300s\" or \"7d\"");
  }
}

TEST(Routes, TierIsZeroToThree) {
  for (int tier = 0; tier <= 3; ++tier) {
    auto routes = parse(beta_peer("path = \"../beta\"\ntier = " + std::to_string(tier) + "\n"));
    ASSERT_TRUE(routes.ok()) << routes.error().message();
    EXPECT_EQ(routes->peers()[0].tier, tier);
  }
  for (std::string bad : {"4", "-1", "\"2\"", "2.0", "true"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(refusal(beta_peer("path = \"../beta\"\ntier = " + bad + "\n")),
              at_line(5) + "\"tier\" must be 0, 1, 2 or 3");
  }
}

TEST(Routes, AnEmptyOrMissingFileDeclaresNoPeers) {
  for (std::string text : {"", "# only a comment\n", "\n\n"}) {
    auto routes = parse(text);
    ASSERT_TRUE(routes.ok()) << routes.error().message();
    EXPECT_TRUE(routes->peers().empty());
  }
  test::TempDir dir;
  auto missing = Routes::load(dir.path() / "routes.toml", dir.path());
  ASSERT_TRUE(missing.ok()) << missing.error().message();
  EXPECT_TRUE(missing->peers().empty());
}

TEST(Routes, LoadReadsTheFileAndNamesItInErrors) {
  test::TempDir dir;
  fs::path file = dir.path() / "routes.toml";
  ASSERT_TRUE(write_file_atomic(file, beta_peer()).ok());
  auto routes = Routes::load(file, dir.path());
  ASSERT_TRUE(routes.ok()) << routes.error().message();
  EXPECT_EQ(routes->peers()[0].path, dir.path().parent_path() / "beta");

  ASSERT_TRUE(write_file_atomic(file, beta_peer() + "pubky = \"x\"\n").ok());
  auto bad = Routes::load(file, dir.path());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), file.string() + ":5: unknown field \"pubky\" in [[peer]] (known: key, name, pubkey, "
                                                   "agent, allowlist, path, url, mqtt, tier, max_age, "
                 "seal, seal_key, seal_key_sig, previous_pubkey, previous_until, revoked)");
}

// Each refusal names the line of the value at fault, or of the [[peer]]
// header when a field is missing.
struct BadRoutes {
  const char* what;
  std::string text;
  int line;
  std::string message;
};

void PrintTo(const BadRoutes& bad, std::ostream* out) { *out << bad.what; }

class RoutesRefusal : public ::testing::TestWithParam<BadRoutes> {};

TEST_P(RoutesRefusal, NamesTheLineAndTheProblem) {
  EXPECT_EQ(refusal(GetParam().text), at_line(GetParam().line) + GetParam().message);
}

std::vector<BadRoutes> bad_routes() {
  std::string beta = beta_key().to_text();
  std::string gamma = gamma_key().to_text();
  return {
      {"unknown field (the docs' example)", "[[peer]]\nkey = \"beta\"\npubky = \"x\"\npath = \"../beta\"\n", 3,
       "unknown field \"pubky\" in [[peer]] (known: key, name, pubkey, agent, allowlist, path, url, mqtt, tier, max_age, "
                 "seal, seal_key, seal_key_sig, previous_pubkey, previous_until, revoked)"},
      {"missing key", "\n[[peer]]\npubkey = \"" + beta + "\"\npath = \"../beta\"\n", 2,
       "[[peer]] is missing \"key\""},
      {"key not a string", "[[peer]]\nkey = 7\npubkey = \"" + beta + "\"\npath = \"../beta\"\n", 2,
       "\"key\" must be a string"},
      {"key not a peer key", "[[peer]]\nkey = \"Beta\"\npubkey = \"" + beta + "\"\npath = \"../beta\"\n", 2,
       "peer key \"Beta\" must be [a-z0-9][a-z0-9._-]{0,63}"},
      {"missing pubkey", "[[peer]]\nkey = \"beta\"\npath = \"../beta\"\n", 1, "[[peer]] is missing \"pubkey\""},
      {"name not a string", beta_peer() + "name = [\"b\"]\n", 5, "\"name\" must be a string"},
      {"allowlist not a boolean", beta_peer() + "allowlist = \"no\"\n", 5, "\"allowlist\" must be true or false"},
      {"allowlist as a number", beta_peer() + "allowlist = 0\n", 5, "\"allowlist\" must be true or false"},
      {"no way to reach it", beta_peer("tier = 1\n"), 1,
       "peer \"beta\" has no way to reach it: give path, url or mqtt"},
      {"empty path", beta_peer("path = \"\"\n"), 4, "\"path\" must be a folder"},
      {"url of another scheme", beta_peer("url = \"ftp://beta.example\"\n"), 4,
       "\"url\" must be an http:// or https:// URL"},
      // Routes come from peers' invites too: no escape sequence, line break or space in an address.
      {"url with an escape sequence", beta_peer("url = \"http://b.example/\\u001b]0;x\\u0007\"\n"), 4,
       "\"url\" must be an http:// or https:// URL"},
      {"url with a space", beta_peer("url = \"http://b.example/ $(id)\"\n"), 4,
       "\"url\" must be an http:// or https:// URL"},
      {"mqtt broker with an escape sequence",
       beta_peer("mqtt = { broker = \"mqtt://b:1883/\\u001b[2J\" }\n"), 4,
       "mqtt.broker must be an mqtt:// or mqtts:// URL"},
      {"mqtt broker with a line break", beta_peer("mqtt = { broker = \"mqtt://b:1883\\nx\" }\n"), 4,
       "mqtt.broker must be an mqtt:// or mqtts:// URL"},
      {"mqtt topic with DEL", beta_peer("mqtt = { broker = \"mqtt://b:1883\", topic = \"bwoc/\\u007f\" }\n"), 4,
       "mqtt.topic must be a topic root without wildcards, such as \"bwoc/beta\""},
      {"path with an escape sequence", beta_peer("path = \"/srv/\\u001b[31mbeta\"\n"), 4,
       "\"path\" holds a control character"},
      {"mqtt not a table", beta_peer("mqtt = \"mqtt://broker.example\"\n"), 4,
       "\"mqtt\" must be a table: { broker = \"mqtt://host:1883\", topic = \"bwoc/beta\" }"},
      {"unknown field in mqtt", beta_peer("mqtt = { broker = \"mqtt://b:1883\", qos = 1 }\n"), 4,
       "unknown field \"qos\" in mqtt (known: broker, topic)"},
      {"mqtt without broker", beta_peer("mqtt = { topic = \"bwoc/beta\" }\n"), 4,
       "mqtt.broker must be an mqtt:// or mqtts:// URL"},
      {"mqtt broker over http", beta_peer("mqtt = { broker = \"http://b:1883\" }\n"), 4,
       "mqtt.broker must be an mqtt:// or mqtts:// URL"},
      {"mqtt topic with a wildcard", beta_peer("mqtt = { broker = \"mqtt://b:1883\", topic = \"bwoc/#\" }\n"), 4,
       "mqtt.topic must be a topic root without wildcards, such as \"bwoc/beta\""},
      {"mqtt topic not a string", beta_peer("mqtt = { broker = \"mqtt://b:1883\", topic = 5 }\n"), 4,
       "mqtt.topic must be a topic root without wildcards, such as \"bwoc/beta\""},
      {"the same key twice",
       beta_peer() + "\n[[peer]]\nkey = \"beta\"\npubkey = \"" + gamma + "\"\npath = \"../gamma\"\n", 7,
       "peer key \"beta\" is declared twice (also on line 1)"},
      {"the same pubkey twice",
       beta_peer() + "\n[[peer]]\nkey = \"gamma\"\npubkey = \"" + beta + "\"\npath = \"../gamma\"\n", 8,
       "peer \"gamma\" has the same pubkey as \"beta\" (line 1)"},
      {"a second peer with a problem", beta_peer() + "\n[[peer]]\nkey = \"gamma\"\npath = \"../gamma\"\n", 6,
       "[[peer]] is missing \"pubkey\""},
      {"an unknown top-level entry", "version = 2\n" + beta_peer(), 1,
       "unknown top-level entry \"version\" (routes.toml holds [[peer]] tables)"},
      {"peer as a value", "peer = 5\n", 1, "peers are declared as [[peer]] tables"},
  };
}

INSTANTIATE_TEST_SUITE_P(Routes, RoutesRefusal, ::testing::ValuesIn(bad_routes()),
                         [](const ::testing::TestParamInfo<BadRoutes>& case_info) {
                           std::string name;
                           for (char c : std::string(case_info.param.what)) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return name;
                         });

TEST(Routes, AnInvalidPubkeyIsRefusedWithItsLine) {
  std::string message = refusal("[[peer]]\nkey = \"beta\"\npubkey = \"ed25519:AAAA\"\npath = \"../beta\"\n");
  EXPECT_EQ(message.rfind(at_line(3), 0), 0u) << message;
}

TEST(Routes, ATomlSyntaxErrorNamesFileAndLine) {
  std::string message = refusal(beta_peer() + "url = \"http://unterminated\n");
  EXPECT_EQ(message.rfind(at_line(5), 0), 0u) << message;
}

// What waits for a key (the MQTT spool) goes out only to a declared peer
// that holds it and has not revoked it; and nothing at all goes to a
// revoked peer.
TEST(Routes, NothingGoesToARevokedRemovedOrReplacedKey) {
  SecretKey previous = SecretKey::generate();
  SecretKey stranger = SecretKey::generate();
  auto rotated = parse(beta_peer("path = \"../beta\"\nprevious_pubkey = \"" + previous.public_key().to_text() +
                                 "\"\nprevious_until = \"2026-11-30T08:00:00.000Z\"\n"));
  ASSERT_TRUE(rotated.ok()) << rotated.error().message();
  EXPECT_TRUE(rotated->may_send_to_key(beta_key()));
  EXPECT_TRUE(rotated->may_send_to_key(previous.public_key()));  // resent as signed; the peer decides
  EXPECT_FALSE(rotated->may_send_to_key(stranger.public_key()));  // removed, or replaced by a new invite
  EXPECT_TRUE(refuse_if_revoked(rotated->peers()[0]).ok());
  auto revoked = parse(beta_peer("path = \"../beta\"\nrevoked = \"2026-11-30T08:00:00.000Z\"\n"));
  ASSERT_TRUE(revoked.ok()) << revoked.error().message();
  EXPECT_FALSE(revoked->may_send_to_key(beta_key()));
  Status refused = refuse_if_revoked(revoked->peers()[0]);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), Errc::refused);
  EXPECT_NE(refused.error().message().find("new invite"), std::string::npos);
}

TEST(Routes, TransportsAreTriedInPathUrlMqttOrder) {
  auto routes = parse(beta_peer("mqtt = { broker = \"mqtt://b:1883\" }\nurl = \"http://b:8080\"\npath = \"../beta\"\n"));
  ASSERT_TRUE(routes.ok()) << routes.error().message();
  EXPECT_EQ(routes->peers()[0].transports(), (std::vector<Via>{Via::path, Via::a2a, Via::mqtt}));
  auto mqtt_only = parse(beta_peer("mqtt = { broker = \"mqtt://b:1883\" }\n"));
  ASSERT_TRUE(mqtt_only.ok());
  EXPECT_EQ(mqtt_only->peers()[0].transports(), std::vector<Via>{Via::mqtt});
}

TEST(Routes, FindsPeersByKeyAndByPubkey) {
  auto routes = parse(beta_peer() + "\n[[peer]]\nkey = \"gamma\"\npubkey = \"" + gamma_key().to_text() +
                      "\"\nurl = \"http://g:8080\"\n");
  ASSERT_TRUE(routes.ok()) << routes.error().message();
  ASSERT_NE(routes->find("gamma"), nullptr);
  EXPECT_EQ(routes->find("gamma")->pubkey, gamma_key());
  EXPECT_EQ(routes->find("delta"), nullptr);
  ASSERT_NE(routes->find_by_pubkey(beta_key()), nullptr);
  EXPECT_EQ(routes->find_by_pubkey(beta_key())->key, "beta");
  EXPECT_EQ(routes->find_by_pubkey(SecretKey::generate().public_key()), nullptr);
}

TEST(Routes, TheLongestMaxAgeCoversEveryPeerAndTheStoredDefault) {
  auto defaults = parse(beta_peer("path = \"../beta\"\nmax_age = \"1m\"\n"));
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->longest_max_age_ms(), default_max_age_ms(Via::path));
  auto longer = parse(beta_peer("path = \"../beta\"\nmax_age = \"30d\"\n"));
  ASSERT_TRUE(longer.ok());
  EXPECT_EQ(longer->longest_max_age_ms(), 30 * 86'400'000LL);
}

TEST(Routes, DefaultMaxAgeIsLiveForA2aStoredOtherwise) {
  EXPECT_EQ(default_max_age_ms(Via::a2a), 300'000);
  EXPECT_EQ(default_max_age_ms(Via::path), 7 * 86'400'000LL);
  EXPECT_EQ(default_max_age_ms(Via::mqtt), 7 * 86'400'000LL);
}

TEST(Routes, TransportNamesReadBackAndUrlMeansA2a) {
  for (Via via : {Via::path, Via::a2a, Via::mqtt}) EXPECT_EQ(via_from_name(via_name(via)), via);
  EXPECT_EQ(via_from_name("url"), Via::a2a);
  EXPECT_EQ(via_from_name("http"), std::nullopt);
  EXPECT_EQ(via_from_name(""), std::nullopt);
}

TEST(Routes, PeerKeysAreLowercaseNames) {
  for (std::string_view good : {"beta", "b", "0day", "beta.example", "beta_2", "beta-2"}) {
    EXPECT_TRUE(is_valid_peer_key(good)) << good;
  }
  for (std::string_view bad : {"", "Beta", "-beta", ".beta", "be ta", "beta/agent", "b\xC3\xA9ta"}) {
    EXPECT_FALSE(is_valid_peer_key(bad)) << bad;
  }
  EXPECT_TRUE(is_valid_peer_key(std::string(64, 'a')));
  EXPECT_FALSE(is_valid_peer_key(std::string(65, 'a')));
}

TEST(Routes, FormatPeerReadsBackAsTheSamePeer) {
  PeerRoute p;
  p.key = "beta";
  p.name = "Beta \"the second\" \\ workspace\twith\ncontrol \x7F and \xE2\x82\xAC";
  p.pubkey = beta_key();
  p.path = "/srv/work spaces/beta";
  p.url = "https://beta.example:8443/base";
  p.mqtt = MqttRoute{"mqtts://broker.example:8883", "bwoc/beta"};
  PeerRoute q;
  q.key = "gamma";
  q.name = "gamma";
  q.pubkey = gamma_key();
  q.mqtt = MqttRoute{"mqtt://broker.example:1883", "teams/gamma"};

  auto routes = parse("# kept by hand\n" + format_peer(p) + "\n" + format_peer(q));
  ASSERT_TRUE(routes.ok()) << routes.error().message();
  ASSERT_EQ(routes->peers().size(), 2u);
  for (int i = 0; i < 2; ++i) {
    const PeerRoute& want = i == 0 ? p : q;
    const PeerRoute& got = routes->peers()[static_cast<std::size_t>(i)];
    EXPECT_EQ(got.key, want.key);
    EXPECT_EQ(got.name, want.name);
    EXPECT_EQ(got.pubkey, want.pubkey);
    EXPECT_EQ(got.path, want.path);
    EXPECT_EQ(got.url, want.url);
    ASSERT_EQ(got.mqtt.has_value(), want.mqtt.has_value());
    if (want.mqtt) {
      EXPECT_EQ(got.mqtt->broker, want.mqtt->broker);
      EXPECT_EQ(got.mqtt->topic, want.mqtt->topic);
    }
    EXPECT_EQ(got.transports(), want.transports());
  }
}

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
