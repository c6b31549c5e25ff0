// `bwoc send --via mqtt` on its one-shot client (one_shot_send.h), against a
// broker on a loopback socket that follows a script: what a real mosquitto
// cannot be made to do on cue (hang up once it has the publish, answer with
// receipts of the test's choosing, never answer at all). The happy path
// against a real mosquitto is in tests/e2e/mqtt_test.sh.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <thread>

#include "../core/test_util.h"
#include "bwoc/core/envelope.h"
#include "bwoc/core/receipt.h"
#include "bwoc/mqtt/publisher.h"
#include "bwoc/mqtt/spool.h"
#include "connection.h"
#include "one_shot_send.h"

namespace bwoc::mqtt {
namespace {

using namespace std::chrono_literals;

// What the client published, as the scripted broker read it.
struct Published {
  std::string topic;
  std::string payload;
  std::string response_topic;
};

class ScriptedBroker {
 public:
  enum class Script {
    silent,          // takes the TCP connection, never answers the CONNECT
    hang_up,         // answers CONNECT and SUBSCRIBE, hangs up on the PUBLISH
    answer_publish,  // sends what `answers` returns to the response topic, then the PUBACK
  };
  using Answers = std::function<std::vector<std::string>(const Published&)>;

  explicit ScriptedBroker(Script script, Answers answers = {}) : script_(script), answers_(std::move(answers)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(listener_, 4) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      ADD_FAILURE() << "cannot listen on loopback";
      return;
    }
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedBroker() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    ::close(listener_);
  }

  std::string url() const { return "mqtt://127.0.0.1:" + std::to_string(port_); }
  // Read by the test once the client is done with the broker.
  int protocol_version() const { return protocol_version_; }
  std::optional<std::uint32_t> maximum_packet_size() const {
    std::uint32_t n = maximum_packet_size_;
    return n == 0 ? std::nullopt : std::optional<std::uint32_t>(n);
  }
  bool published() const { return published_; }

 private:
  // Bounded reads: a client that stops talking ends the script.
  bool read_exactly(int fd, std::string& out, std::size_t n) {
    while (out.size() < n) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 100) == 0) {
        if (stop_) return false;
        continue;
      }
      char buf[4096];
      ssize_t got = ::read(fd, buf, std::min(sizeof buf, n - out.size()));
      if (got <= 0) return false;
      out.append(buf, static_cast<std::size_t>(got));
    }
    return true;
  }
  static std::uint32_t varint(const std::string& s, std::size_t& at) {
    std::uint32_t value = 0;
    for (int shift = 0; at < s.size() && shift < 28; shift += 7) {
      auto byte = static_cast<unsigned char>(s[at++]);
      value |= static_cast<std::uint32_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) break;
    }
    return value;
  }
  static std::string encode_varint(std::size_t n) {
    std::string out;
    do {
      auto byte = static_cast<char>(n % 128);
      n /= 128;
      if (n > 0) byte = static_cast<char>(byte | 0x80);
      out += byte;
    } while (n > 0);
    return out;
  }
  static std::uint16_t u16(const std::string& s, std::size_t at) {
    return static_cast<std::uint16_t>((static_cast<unsigned char>(s[at]) << 8) | static_cast<unsigned char>(s[at + 1]));
  }
  static std::string utf8(const std::string& s) {
    return std::string{static_cast<char>(s.size() >> 8), static_cast<char>(s.size() & 0xff)} + s;
  }
  static void send_all(int fd, const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<std::size_t>(n);
    }
  }
  bool read_packet(int fd, unsigned char& type, std::string& body) {
    std::string head;
    if (!read_exactly(fd, head, 1)) return false;
    type = static_cast<unsigned char>(head[0]);
    std::size_t length = 0;
    for (int shift = 0; shift < 28; shift += 7) {
      std::string b;
      if (!read_exactly(fd, b, 1)) return false;
      length |= static_cast<std::size_t>(static_cast<unsigned char>(b[0]) & 0x7f) << shift;
      if ((static_cast<unsigned char>(b[0]) & 0x80) == 0) break;
    }
    body.clear();
    return read_exactly(fd, body, length);
  }

  void read_connect(const std::string& body) {
    // Protocol name, version, flags, keep-alive, then the v5 properties.
    std::size_t at = 2 + u16(body, 0);
    protocol_version_ = static_cast<unsigned char>(body[at]);
    at += 4;
    std::size_t end = varint(body, at);
    end += at;
    while (at < end && at < body.size()) {
      auto id = static_cast<unsigned char>(body[at++]);
      if (id == 0x27) {  // Maximum Packet Size
        maximum_packet_size_ = (static_cast<std::uint32_t>(u16(body, at)) << 16) | u16(body, at + 2);
        at += 4;
      } else {
        break;  // the client sends no other; stop reading rather than guess
      }
    }
  }

  Published read_publish(const std::string& body) {
    Published p;
    std::size_t at = 0;
    std::uint16_t topic_len = u16(body, at);
    p.topic = body.substr(2, topic_len);
    at = 2 + topic_len + 2;  // and the packet id
    std::size_t end = varint(body, at);
    end += at;
    while (at < end) {
      auto id = static_cast<unsigned char>(body[at++]);
      std::uint16_t n = u16(body, at);
      if (id == 0x08) p.response_topic = body.substr(at + 2, n);
      at += 2 + n;  // Response Topic (0x08) and Correlation Data (0x09) alike
    }
    p.payload = body.substr(end);
    return p;
  }

  void serve() {
    int fd = -1;
    while (!stop_ && fd < 0) {
      pollfd p{listener_, POLLIN, 0};
      if (::poll(&p, 1, 100) > 0) fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    }
    if (fd < 0) return;
    unsigned char type = 0;
    std::string body;
    while (read_packet(fd, type, body)) {
      if (script_ == Script::silent) continue;
      switch (type & 0xf0) {
        case 0x10:  // CONNECT: CONNACK, success, no properties
          read_connect(body);
          send_all(fd, std::string("\x20\x03\x00\x00\x00", 5));
          break;
        case 0x80:  // SUBSCRIBE: SUBACK, QoS 1 granted
          send_all(fd, std::string("\x90\x04", 2) + body.substr(0, 2) + std::string("\x00\x01", 2));
          break;
        case 0x30: {  // PUBLISH, QoS 1
          published_ = true;
          if (script_ == Script::hang_up) {
            ::close(fd);
            return;
          }
          Published p = read_publish(body);
          std::string packet_id = body.substr(2 + u16(body, 0), 2);
          for (const std::string& answer : answers_(p)) {
            std::string rest = utf8(p.response_topic) + std::string(1, '\0') + answer;  // QoS 0, no properties
            send_all(fd, "\x30" + encode_varint(rest.size()) + rest);
          }
          send_all(fd, "\x40\x02" + packet_id);  // PUBACK, success
          break;
        }
        case 0xe0:  // DISCONNECT
          ::close(fd);
          return;
        default:
          break;
      }
    }
    ::close(fd);
  }

  Script script_;
  Answers answers_;
  int listener_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> protocol_version_{0};
  std::atomic<std::uint32_t> maximum_packet_size_{0};  // 0: not sent
  std::atomic<bool> published_{false};
};

class OneShotSendTest : public test::TwoWorkspaces {
 protected:
  PeerRoute beta_route(const std::string& broker_url) {
    PeerRoute r;
    r.key = "beta";
    r.pubkey = *beta_->public_key();
    r.mqtt = MqttRoute{broker_url, "bwoc/beta"};
    return r;
  }
  SignedEnvelope signed_envelope() {
    std::string text = envelope();
    return SignedEnvelope{text, parse_envelope(text).value()};
  }
  // A receipt for `request_text`, signed by `key`.
  static std::string receipt_by(const SecretKey& key, const std::string& request_text) {
    return make_receipt(key, parse_envelope(request_text).value(), now_millis()).value();
  }
  std::size_t spooled() { return Spool::open(*alpha_)->size(); }
};

TEST_F(OneShotSendTest, AReceiptFromAnotherKeyIsRefusedAndTheEnvelopeStaysSpooled) {
  SecretKey mallory = SecretKey::generate();
  ScriptedBroker broker(ScriptedBroker::Script::answer_publish,
                        [&](const Published& p) { return std::vector<std::string>{receipt_by(mallory, p.payload)}; });
  MqttTransportOptions options;
  // The forged receipt comes before the PUBACK, so it has been judged by
  // the time the receipt is waited for.
  options.receipt_timeout = 200ms;
  MqttTransport transport(*alpha_, options);
  SignedEnvelope sent = signed_envelope();
  auto report = transport.deliver(beta_route(broker.url()), sent, 60s);
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_FALSE(report->confirmed);
  EXPECT_FALSE(report->reply);
  EXPECT_TRUE(Spool::open(*alpha_)->get(sent.envelope.id));
}

TEST_F(OneShotSendTest, TheRightReceiptAfterAForgedOneConfirmsOverMqtt5) {
  SecretKey mallory = SecretKey::generate();
  SecretKey beta_key = std::move(beta_->load_secret_key()).value();
  std::string good;
  ScriptedBroker broker(ScriptedBroker::Script::answer_publish, [&](const Published& p) {
    good = receipt_by(beta_key, p.payload);
    return std::vector<std::string>{receipt_by(mallory, p.payload), good};
  });
  MqttTransport transport(*alpha_);
  auto report = transport.deliver(beta_route(broker.url()), signed_envelope(), 60s);
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_TRUE(report->confirmed);
  ASSERT_TRUE(report->reply);
  EXPECT_EQ(*report->reply, good);
  EXPECT_EQ(spooled(), 0u);  // retired on its receipt
  // MQTT 5, and the broker told how much it may send us.
  EXPECT_EQ(broker.protocol_version(), 5);
  ASSERT_TRUE(broker.maximum_packet_size());
  EXPECT_EQ(*broker.maximum_packet_size(), ConnectionOptions{}.max_packet_bytes);
}

TEST_F(OneShotSendTest, ABrokerThatHangsUpOnThePublishIsAnErrorAndTheEnvelopeStaysSpooled) {
  ScriptedBroker broker(ScriptedBroker::Script::hang_up);
  MqttTransport transport(*alpha_);
  SignedEnvelope sent = signed_envelope();
  auto started = std::chrono::steady_clock::now();
  auto report = transport.deliver(beta_route(broker.url()), sent, 60s);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().code(), Errc::unavailable);
  EXPECT_NE(report.error().message().find("kept in the spool"), std::string::npos) << report.error().message();
  // At once, not at the end of the 10 s the PUBACK may take.
  EXPECT_LT(std::chrono::steady_clock::now() - started, 9s);
  EXPECT_TRUE(broker.published());
  EXPECT_TRUE(Spool::open(*alpha_)->get(sent.envelope.id));
}

TEST_F(OneShotSendTest, ABrokerThatNeverAnswersTheConnectIsAnErrorWithinTheBoundAndNothingIsSpooled) {
  ScriptedBroker broker(ScriptedBroker::Script::silent);
  auto settings = broker_settings(*alpha_, broker.url());
  ASSERT_TRUE(settings.ok());
  SignedEnvelope sent = signed_envelope();
  Outgoing m{sent.text, sent.envelope.id, "agent-a", "beta/agent-b", "bwoc/beta/agent-b/inbox", *beta_->public_key()};
  OneShotTimeouts timeouts;
  timeouts.connect = 1s;
  auto started = std::chrono::steady_clock::now();
  auto report = send_one_envelope(*alpha_, *settings, m, timeouts);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().code(), Errc::unavailable);
  EXPECT_NE(report.error().message().find("no answer from the broker within 1 s"), std::string::npos)
      << report.error().message();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 9s);
  EXPECT_EQ(spooled(), 0u);  // never published: the next transport may try
}

TEST_F(OneShotSendTest, AnUnreachableBrokerIsAClearErrorAndNothingIsSpooled) {
  int port = 0;
  {
    // A port that was free a moment ago: nothing listens there.
    ScriptedBroker gone(ScriptedBroker::Script::silent);
    port = std::stoi(gone.url().substr(gone.url().rfind(':') + 1));
  }
  MqttTransport transport(*alpha_);
  auto report = transport.deliver(beta_route("mqtt://127.0.0.1:" + std::to_string(port)), signed_envelope(), 60s);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().code(), Errc::unavailable);
  EXPECT_NE(report.error().message().find("cannot connect to the broker (mqtt://127.0.0.1:" + std::to_string(port) + ")"),
            std::string::npos)
      << report.error().message();
  EXPECT_EQ(spooled(), 0u);
}

}  // namespace
}  // namespace bwoc::mqtt
