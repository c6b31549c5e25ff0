// Fuzzes what the MQTT transport reads from outside before any envelope
// check: broker URLs (routes.toml, mqtt.toml, the command line) and topic
// names and filters (Response Topics set by whoever published).
#include <cstdint>
#include <string_view>

#include "bwoc/mqtt/broker.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto url = bwoc::mqtt::parse_broker_url(text);
  if (url.ok()) {
    // What was accepted round-trips, and Paho gets a well-formed URI.
    auto again = bwoc::mqtt::parse_broker_url(url->text());
    if (!again.ok() || again->text() != url->text()) __builtin_trap();
    if (url->paho_uri().find_first_of(" /?#@", 6) != std::string::npos) __builtin_trap();
  }
  bool name = bwoc::mqtt::is_valid_topic_name(text);
  bool filter = bwoc::mqtt::is_valid_topic_filter(text);
  // Every topic one may publish to is also a topic one may subscribe to.
  if (name && !filter) __builtin_trap();
  return 0;
}
