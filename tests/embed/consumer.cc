// A program that embeds bwoc: it signs an envelope with bwoc::core and checks
// it, and a copy with one byte changed, as any user of the library would.
// When the transports were built it calls into each too, so that their
// private dependencies (Boost.Beast with OpenSSL, Paho) are really linked and
// run: both calls aim at a closed loopback port and must fail cleanly.
//
// Exits 0 when everything behaved, 1 with a line on stderr when not.
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <string>

#include "bwoc/core/envelope.h"
#include "bwoc/core/keys.h"
#include "bwoc/core/version.h"
#include "bwoc/core/workspace.h"
#ifdef BWOC_CONSUMER_WITH_A2A
#include "bwoc/a2a/client.h"
#endif
#ifdef BWOC_CONSUMER_WITH_MQTT
#include "bwoc/mqtt/publisher.h"
#endif

namespace {

// Nothing listens on port 1 of the loopback interface.
constexpr const char* kClosedPort = "127.0.0.1:1";

bool fail(const std::string& what) {
  std::cerr << "consumer: " << what << "\n";
  return false;
}

bool sign_and_verify() {
  bwoc::SecretKey key = bwoc::SecretKey::generate();
  bwoc::EnvelopeDraft draft;
  draft.kind = "feedback";
  draft.from = "agent-a";
  draft.to = "agent-b";
  draft.aud = key.public_key();
  draft.payload = bwoc::json::Value::object({{"score", 4}});
  bwoc::Result<std::string> text = bwoc::sign_envelope(draft, key);
  if (!text.ok()) return fail("sign_envelope: " + text.error().message());

  std::string scratch;
  auto envelope = bwoc::parse_envelope(*text);
  if (!envelope.ok()) return fail("parse_envelope: " + envelope.refusal().detail);
  if (!bwoc::verify_signature(envelope.value(), scratch)) return fail("the signed envelope does not verify");

  std::string tampered = *text;
  auto score = tampered.find("\"score\":4");
  if (score == std::string::npos) return fail("no score in " + tampered);
  tampered[score + 8] = '5';
  auto forged = bwoc::parse_envelope(tampered);
  if (!forged.ok()) return fail("parse_envelope (tampered): " + forged.refusal().detail);
  if (bwoc::verify_signature(forged.value(), scratch)) return fail("a tampered envelope verifies");

  std::cout << "signed and verified envelope " << envelope.value().id << "\n";
  return true;
}

#ifdef BWOC_CONSUMER_WITH_A2A
bool a2a_reports_a_closed_port() {
  bwoc::a2a::ClientOptions options;
  options.connect_timeout = std::chrono::seconds(5);
  options.timeout = std::chrono::seconds(5);
  auto card = bwoc::a2a::fetch_card(std::string("http://") + kClosedPort, options);
  if (card.ok()) return fail("a2a: fetched a card from a closed port");
  std::cout << "a2a: " << card.error().message() << "\n";
  return true;
}
#endif

#ifdef BWOC_CONSUMER_WITH_MQTT
bool mqtt_reports_a_closed_port() {
  std::string pattern = (std::filesystem::temp_directory_path() / "bwoc-consumer-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) return fail("mkdtemp failed");
  std::filesystem::path root = pattern;
  bool ok = [&] {
    auto ws = bwoc::Workspace::init(root / "ws", "consumer");
    if (!ws.ok()) return fail("Workspace::init: " + ws.error().message());
    if (auto key = ws->keygen(false); !key.ok()) return fail("keygen: " + key.error().message());
    bwoc::mqtt::PublisherOptions options;
    options.connect_timeout = std::chrono::seconds(5);
    auto publisher = bwoc::mqtt::Publisher::open(*ws, std::string("mqtt://") + kClosedPort, options);
    if (publisher.ok()) return fail("mqtt: connected to a closed port");
    std::cout << "mqtt: " << publisher.error().message() << "\n";
    return true;
  }();
  std::error_code ignored;
  std::filesystem::remove_all(root, ignored);
  return ok;
}
#endif

}  // namespace

int main() {
#ifdef BWOC_CONSUMER_EXPECTS_VERSION
  if (bwoc::kVersion != BWOC_CONSUMER_EXPECTS_VERSION) {
    fail("bwoc/core/version.h says " + std::string(bwoc::kVersion) + ", the package " +
         BWOC_CONSUMER_EXPECTS_VERSION);
    return 1;
  }
#endif
  std::cout << "bwoc " << bwoc::kVersion << "\n";
  bool ok = sign_and_verify();
#ifdef BWOC_CONSUMER_WITH_A2A
  ok = a2a_reports_a_closed_port() && ok;
#endif
#ifdef BWOC_CONSUMER_WITH_MQTT
  ok = mqtt_reports_a_closed_port() && ok;
#endif
  return ok ? 0 : 1;
}
