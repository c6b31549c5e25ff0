// How bwoc reaches an MQTT broker: its URL and the settings that go with it.
//
// Broker URLs are mqtt://host[:1883] or mqtts://host[:8883], with no user
// name or password in them (refused, without repeating the URL). Everything else
// (the CA that signs the broker's certificate, a client certificate and key,
// a user name and password) comes from files named in .bwoc/mqtt.toml or on
// the command line; a password never appears in argv, the environment, a log
// line or an error: only the file it came from does. Under systemd the
// credentials file is best given with LoadCredential= and "%d/NAME".
//
//   # .bwoc/mqtt.toml
//   [[broker]]
//   url = "mqtts://broker.example:8883"
//   ca = "/etc/bwoc/broker-ca.pem"
//   cert = "/etc/bwoc/client.pem"          # optional client certificate
//   key = "/etc/bwoc/client.key"           # and its key
//   credentials = "/etc/bwoc/mqtt.credentials"   # "user:password", mode 0600
//   topic_root = "bwoc/alpha"              # where this workspace's receipts come back (default bwoc/<name>)
#ifndef BWOC_MQTT_BROKER_H_
#define BWOC_MQTT_BROKER_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "bwoc/core/result.h"
#include "bwoc/core/workspace.h"

namespace bwoc::mqtt {

struct BrokerUrl {
  bool tls = false;
  std::string host;
  std::uint16_t port = 1883;

  std::string text() const;       // "mqtts://host:8883", for people
  std::string paho_uri() const;   // "ssl://host:8883", for Paho
};

Result<BrokerUrl> parse_broker_url(std::string_view text);

struct Credentials {
  std::string user;
  std::string password;  // secret: never printed
  std::filesystem::path source;
};

// Reads "user:password" (one line) from a file that only its owner can read
// (or one that systemd put in $CREDENTIALS_DIRECTORY).
Result<Credentials> read_credentials(const std::filesystem::path& file);

struct BrokerSettings {
  BrokerUrl url;
  std::optional<std::filesystem::path> ca_file;
  std::optional<std::filesystem::path> cert_file;
  std::optional<std::filesystem::path> key_file;
  std::optional<Credentials> credentials;
  std::string topic_root;  // this workspace's topics: <root>/<agent>/<slot>
};

struct BrokerOverrides {
  std::optional<std::filesystem::path> ca_file, cert_file, key_file, credentials_file;
};

// The settings for `url`: its [[broker]] entry in .bwoc/mqtt.toml, if any,
// with `overrides` on top; topic_root defaults to "bwoc/<workspace name>".
Result<BrokerSettings> broker_settings(const Workspace& ws, std::string_view url, const BrokerOverrides& overrides = {});

// Whether a TCP connection to the broker can be made, within `timeout`
// (Errc::unavailable, saying why, when not). Paho C reports a refused
// connection and a failed TLS handshake alike, as "Failure"; this tells them
// apart, and is what `bwoc peer list` asks of an MQTT peer.
Status probe_broker(const BrokerUrl& url, std::chrono::milliseconds timeout);

// Topics follow bwoc/<workspace>/<agent>/<slot>; these check what comes from outside.
bool is_valid_topic_name(std::string_view topic);    // no wildcards (publishing)
bool is_valid_topic_filter(std::string_view filter);  // wildcards allowed (subscribing)

}  // namespace bwoc::mqtt

#endif  // BWOC_MQTT_BROKER_H_
