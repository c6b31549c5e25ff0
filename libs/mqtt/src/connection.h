// One MQTT 5 connection to a broker, with Eclipse Paho C++. The only place
// (with connection.cc) that knows Paho; the rest of libs/mqtt sees this.
//
// Paho traps this handles: MQTT 5 must be set in the create options and the
// connect options alike (or it silently speaks 3.1.1); connect options lose
// their properties when copied, so they are built once, in place; more than
// about 19 QoS 1 publishes in flight stall against mosquitto's receive
// maximum of 20, so publishing keeps a window of 16; a subscription made once
// is made again on every reconnect; destroying the process's last client
// stops Paho's threads with fixed 100 ms sleeps, so a keeper client is never
// destroyed; Paho leaves Nagle's algorithm on, so TCP_NODELAY is set on the
// broker's sockets once connected (no_delay.h).
#ifndef BWOC_MQTT_SRC_CONNECTION_H_
#define BWOC_MQTT_SRC_CONNECTION_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "bwoc/core/result.h"
#include "bwoc/mqtt/broker.h"

namespace bwoc::mqtt {

// QoS 1 publishes in flight at most: below mosquitto's receive maximum of 20.
constexpr std::size_t kPublishWindow = 16;

struct ConnectionOptions {
  BrokerSettings broker;
  std::string client_id;
  // A persistent session (clean start off, kept for session_expiry) so that
  // the broker queues QoS 1 messages while this client is away.
  bool persistent_session = false;
  std::chrono::seconds session_expiry{7 * 86400};
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds keep_alive{20};
  std::uint32_t max_packet_bytes = (1u << 20) + 8192;  // the broker must not send us more
};

struct IncomingMessage {
  std::string topic;
  std::string payload;
  std::string response_topic;    // MQTT 5 Response Topic, if any
  std::string correlation_data;  // MQTT 5 Correlation Data, if any
  bool duplicate = false;        // redelivered by the broker
};

class Connection {
 public:
  using MessageHandler = std::function<void(IncomingMessage)>;
  using EventHandler = std::function<void(const std::string& what)>;

  // Connects, waiting at most connect_timeout. Errors say what went wrong in
  // words an operator can act on (unreachable, bad credentials, TLS).
  static Result<std::unique_ptr<Connection>> open(const ConnectionOptions& options, MessageHandler on_message,
                                                   EventHandler on_event);
  ~Connection();

  // QoS 1. Also made again after every reconnect.
  Status subscribe(const std::string& filter);
  // QoS 1, waiting for the broker's PUBACK at most `timeout`. Keeps at most 16
  // publishes in flight (call from one thread).
  Status publish(const std::string& topic, const std::string& payload, const std::string& response_topic = {},
                 const std::string& correlation = {}, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Sends without waiting for its PUBACK, but never with more than 16 in flight.
  Status publish_windowed(const std::string& topic, const std::string& payload, const std::string& correlation = {},
                          const std::string& response_topic = {});
  // Hands a QoS 1 message to Paho and returns at once; Paho keeps at most
  // 16 in flight and queues the rest. For a thread that must never wait on
  // the broker: Paho reads PUBACKs on the thread that delivers messages, and
  // that thread may be waiting for us.
  Status publish_async(const std::string& topic, const std::string& payload, const std::string& correlation = {});
  // Asynchronous publishes not yet acknowledged by the broker.
  std::size_t unacknowledged() const;
  // Waits until fewer than `limit` asynchronous publishes are unacknowledged;
  // false on timeout. Paho sends what waits behind its window only when a
  // new publish wakes its sending thread, or a second later: a backlog left
  // to Paho after a burst goes out at 16 a second. A caller that hands Paho
  // a message once the window has room keeps them flowing.
  bool wait_async_below(std::size_t limit, std::chrono::milliseconds timeout);
  // Waits until every asynchronous publish is acknowledged; false on timeout.
  bool wait_async(std::chrono::milliseconds timeout);
  // Waits for every windowed publish to be acknowledged, at most `timeout`.
  Status drain(std::chrono::milliseconds timeout);
  bool connected() const;
  void disconnect();

 private:
  struct Impl;
  explicit Connection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bwoc::mqtt

#endif  // BWOC_MQTT_SRC_CONNECTION_H_
