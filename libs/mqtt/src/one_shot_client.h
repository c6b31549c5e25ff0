// An MQTT 5 client for one short exchange (`bwoc send` and `bwoc mqtt
// publish`: connect, subscribe to the receipt topic, publish, wait for the
// receipt, go), on libmosquitto, driven in the calling thread: no thread of
// its own, every wait bounded by the caller's deadline.
//
// Why not Paho here (docs/PERFORMANCE.md, "MQTT: bwoc send"): Paho C 1.3's
// asynchronous client sleeps a fixed 100 ms in its receive thread when its
// first poll finds no socket yet, and its synchronous client polls a TCP
// connect in progress for reading, 100 ms each time; either makes a 5 ms
// exchange take 100 to 200 ms. Long-lived connections (the subscriber, a
// publisher of many envelopes) stay on Paho C++ (connection.h).
//
// What it keeps from connection.h: MQTT 5, a clean start, the Maximum Packet
// Size the broker may send us, TLS with the broker's certificate and name
// verified, a user name and password from the credentials file (never in a
// message), TCP_NODELAY, and the same wording of failures
// (connect_failure.h).
#ifndef BWOC_MQTT_SRC_ONE_SHOT_CLIENT_H_
#define BWOC_MQTT_SRC_ONE_SHOT_CLIENT_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "bwoc/core/result.h"
#include "connection.h"

namespace bwoc::mqtt {

class OneShotClient {
 public:
  using Clock = std::chrono::steady_clock;
  // A message that arrived on a subscription: its topic and payload.
  using MessageHandler = std::function<void(const std::string& topic, const std::string& payload)>;

  // Connects and waits for the CONNACK, at most options.connect_timeout
  // (the DNS look-up and the TCP connect included). Messages that arrive
  // while a later call waits go to `on_message`, in the calling thread.
  static Result<std::unique_ptr<OneShotClient>> connect(const ConnectionOptions& options, MessageHandler on_message);
  ~OneShotClient();  // says DISCONNECT and closes

  // QoS 1; returns once the broker's SUBACK accepted it.
  Status subscribe(const std::string& filter, Clock::time_point deadline);
  // QoS 1 with an MQTT 5 Response Topic and Correlation Data; returns once
  // the broker's PUBACK came (Errc::refused when it says no: an ACL).
  Status publish(const std::string& topic, const std::string& payload, const std::string& response_topic,
                 const std::string& correlation, Clock::time_point deadline);
  // Handles the network until `done()` is true (checked after each message)
  // or `deadline` passes; false then. An error when the broker hung up.
  Result<bool> run_until(const std::function<bool()>& done, Clock::time_point deadline);

  struct Impl;

 private:
  explicit OneShotClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bwoc::mqtt

#endif  // BWOC_MQTT_SRC_ONE_SHOT_CLIENT_H_
