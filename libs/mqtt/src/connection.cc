#include "connection.h"

#include <mqtt/async_client.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>

#include "bwoc/core/log.h"
#include "connect_failure.h"
#include "no_delay.h"

namespace bwoc::mqtt {

namespace {

constexpr std::size_t kWindow = kPublishWindow;
// Paho counts what waits behind its in-flight window as buffered, connected
// or not; receipts may queue up to the subscriber's own cap (subscriber.cc).
constexpr int kMaxBuffered = 20'000;

// What went wrong with a connect, in words; Paho's messages do not say.
Error describe_connect_failure(const ::mqtt::exception& e, const BrokerSettings& broker) {
  // Paho reports a CONNACK's refusal as the reason code or as the return code.
  int code = e.get_reason_code() != 0 ? e.get_reason_code() : e.get_return_code();
  switch (code) {
    case reason::kBadUserNameOrPassword:
    case reason::kNotAuthorized:
    case reason::kServerUnavailable:
    case reason::kServerBusy:
      return connect_refused(code, broker);
    default:
      return connect_failed(broker, e.get_error_str().empty() ? e.what() : e.get_error_str());
  }
}

// Paho C stops its two threads when its last client is destroyed, and
// waits for them in steps of a fixed 100 ms sleep (twice, as it happens):
// 200 ms at the end of every short command. A client that is never
// destroyed (and never connected) keeps the threads for the life of the
// process instead; they end with it.
// Volatile, so that the pointer is stored and LeakSanitizer sees the client
// reachable from it.
::mqtt::async_client* volatile paho_keeper = nullptr;

void keep_paho_threads() {
  static std::once_flag once;
  std::call_once(once, [] {
    paho_keeper = new ::mqtt::async_client(
        "tcp://127.0.0.1:1", "bwoc-keeper", ::mqtt::create_options_builder().mqtt_version(MQTTVERSION_5).finalize(),
        nullptr);
  });
}

}  // namespace

struct Connection::Impl : public virtual ::mqtt::callback {
  Impl(const ConnectionOptions& o, MessageHandler m, EventHandler e)
      : keeper((keep_paho_threads(), true)),
        options(o),
        on_message(std::move(m)),
        on_event(std::move(e)),
        client(o.broker.url.paho_uri(), o.client_id,
               ::mqtt::create_options_builder().mqtt_version(MQTTVERSION_5).max_buffered_messages(kMaxBuffered).finalize(),
               nullptr) {
    client.set_callback(*this);
  }

  // Paho callbacks, on its thread.
  void connected(const std::string& cause) override {
    set_no_delay_to_port(options.broker.url.port);
    std::set<std::string> filters;
    {
      std::lock_guard<std::mutex> lk(mu);
      filters = subscriptions;
    }
    for (const std::string& f : filters) {
      try {
        client.subscribe(f, 1);
      } catch (const ::mqtt::exception& e) {
        // Once per filter on every reconnect, and a broker that drops us at
        // once brings a reconnect a second.
        log::warning(resubscribe_failed_log, "mqtt.resubscribe_failed", {{"topic", f}, {"error", e.get_error_str()}});
      }
    }
    (void)cause;  // Paho's wording varies; what matters is whether this is the first time
    if (on_event) on_event(ever_connected.exchange(true) ? "reconnected" : "connected");
  }
  void connection_lost(const std::string& cause) override {
    if (on_event) on_event("connection lost" + (cause.empty() ? std::string() : ": " + cause));
  }
  void message_arrived(::mqtt::const_message_ptr msg) override {
    if (!msg || !on_message) return;
    IncomingMessage m;
    m.topic = msg->get_topic();
    m.payload = msg->get_payload_str();
    m.duplicate = msg->is_duplicate();
    const ::mqtt::properties& props = msg->get_properties();
    if (props.contains(::mqtt::property::RESPONSE_TOPIC)) {
      m.response_topic = ::mqtt::get<std::string>(props, ::mqtt::property::RESPONSE_TOPIC);
    }
    if (props.contains(::mqtt::property::CORRELATION_DATA)) {
      m.correlation_data = ::mqtt::get<std::string>(props, ::mqtt::property::CORRELATION_DATA);
    }
    on_message(std::move(m));
  }

  Status connect() {
    // Built in place and never copied: copying connect_options loses its
    // properties. Kept for the client's lifetime, as automatic reconnects
    // use them.
    ::mqtt::connect_options& opts = connect_opts;
    opts.set_mqtt_version(MQTTVERSION_5);
    opts.set_clean_start(!options.persistent_session);
    opts.set_keep_alive_interval(options.keep_alive);
    opts.set_connect_timeout(options.connect_timeout);
    // Paho's own back-off: a failed reconnect (the broker away, or this
    // process out of descriptors) waits twice as long as the last, up to 30 s.
    opts.set_automatic_reconnect(std::chrono::seconds(1), std::chrono::seconds(30));
    // Below mosquitto's receive maximum of 20: beyond it Paho C stalls a second at a time.
    opts.set_max_inflight(static_cast<int>(kWindow));
    ::mqtt::properties props;
    if (options.persistent_session) {
      props.add(::mqtt::property(::mqtt::property::SESSION_EXPIRY_INTERVAL,
                                 static_cast<int>(options.session_expiry.count())));
    }
    props.add(::mqtt::property(::mqtt::property::MAXIMUM_PACKET_SIZE, static_cast<int>(options.max_packet_bytes)));
    opts.set_properties(props);
    if (options.broker.credentials) {
      opts.set_user_name(options.broker.credentials->user);
      opts.set_password(options.broker.credentials->password);
    }
    if (options.broker.url.tls) {
      ::mqtt::ssl_options& ssl = ssl_opts;
      ssl.set_enable_server_cert_auth(true);
      ssl.set_verify(true);
      if (options.broker.ca_file) ssl.set_trust_store(options.broker.ca_file->string());
      if (options.broker.cert_file) ssl.set_key_store(options.broker.cert_file->string());
      if (options.broker.key_file) ssl.set_private_key(options.broker.key_file->string());
      // No set_error_handler(): Paho C++ 1.2 leaves its context pointing at
      // the connect_options copy that connect() takes by value, which is gone
      // when a later handshake fails (found by AddressSanitizer).
      opts.set_ssl(ssl);
    }
    try {
      auto token = client.connect(opts);
      if (!token->wait_for(options.connect_timeout + std::chrono::seconds(1))) {
        return Error(Errc::unavailable, "no answer from the broker within " +
                                            std::to_string(options.connect_timeout.count()) + " s (" +
                                            options.broker.url.text() + ")");
      }
    } catch (const ::mqtt::exception& e) {
      return describe_connect_failure(e, options.broker);
    }
    return ok_status();
  }

  Status wait_window(std::size_t max_in_flight, std::chrono::milliseconds timeout) {
    while (in_flight.size() > max_in_flight) {
      auto token = in_flight.front();
      try {
        if (!token->wait_for(timeout)) return Error(Errc::timeout, "the broker did not acknowledge a publish in time");
        int rc = token->get_reason_code();
        if (rc >= 0x80) {
          in_flight.pop_front();
          return publish_refused(rc);
        }
      } catch (const ::mqtt::exception& e) {
        in_flight.pop_front();
        int rc = e.get_reason_code();
        if (rc >= 0x80) return publish_refused(rc);
        return Error(Errc::unavailable, "publish failed: " + one_line(e.get_error_str()));
      }
      in_flight.pop_front();
    }
    return ok_status();
  }

  bool keeper;  // first: the keeper client exists before ours
  ConnectionOptions options;
  ::mqtt::ssl_options ssl_opts;
  ::mqtt::connect_options connect_opts;
  MessageHandler on_message;
  EventHandler on_event;
  ::mqtt::async_client client;
  std::mutex mu;
  std::set<std::string> subscriptions;
  std::deque<::mqtt::delivery_token_ptr> in_flight;
  std::atomic<bool> ever_connected{false};
  log::Throttle resubscribe_failed_log{5, std::chrono::seconds(60)};

  // Counts asynchronous publishes until the broker acknowledges them (or Paho gives up).
  struct AsyncListener : public virtual ::mqtt::iaction_listener {
    std::mutex mu;
    std::condition_variable acknowledged;
    std::size_t pending = 0;
    // The largest limit a waiter waits below (0: none waits). An
    // acknowledgement above it wakes nobody: a waiter woken for each of
    // them was a context switch a receipt.
    std::size_t wake_below = 0;
    std::size_t waiters = 0;
    void add() {
      std::lock_guard<std::mutex> lk(mu);
      ++pending;
    }
    void done() {
      std::lock_guard<std::mutex> lk(mu);
      --pending;
      if (pending < wake_below) acknowledged.notify_all();
    }
    void on_success(const ::mqtt::token&) override { done(); }
    void on_failure(const ::mqtt::token&) override { done(); }
  } async_listener;
};

Connection::Connection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Connection::~Connection() { disconnect(); }

Result<std::unique_ptr<Connection>> Connection::open(const ConnectionOptions& options, MessageHandler on_message,
                                                     EventHandler on_event) {
  std::unique_ptr<Impl> impl;
  try {
    impl = std::make_unique<Impl>(options, std::move(on_message), std::move(on_event));
  } catch (const ::mqtt::exception& e) {
    return Error(Errc::invalid_argument, std::string("cannot set up an MQTT client: ") + e.get_error_str());
  }
  BWOC_RETURN_IF_ERROR(impl->connect());
  return std::unique_ptr<Connection>(new Connection(std::move(impl)));
}

Status Connection::subscribe(const std::string& filter) {
  {
    std::lock_guard<std::mutex> lk(impl_->mu);
    impl_->subscriptions.insert(filter);
  }
  try {
    auto token = impl_->client.subscribe(filter, 1);
    if (!token->wait_for(std::chrono::seconds(10))) return Error(Errc::timeout, "the broker did not confirm the subscription");
    auto rc = token->get_reason_code();
    if (rc >= 0x80) return subscribe_refused(filter, rc);
    // A v5 SUBACK carries one reason code per filter.
    const ::mqtt::subscribe_response response = token->get_subscribe_response();
    for (auto code : response.get_reason_codes()) {
      if (code >= 0x80) return subscribe_refused(filter, code);
    }
  } catch (const ::mqtt::exception& e) {
    return Error(Errc::unavailable, "cannot subscribe to " + filter + ": " + e.get_error_str());
  }
  return ok_status();
}

namespace {

::mqtt::message_ptr make_message(const std::string& topic, const std::string& payload,
                                 const std::string& response_topic, const std::string& correlation) {
  auto msg = ::mqtt::make_message(topic, payload, 1, false);
  if (!response_topic.empty() || !correlation.empty()) {
    ::mqtt::properties props;
    if (!response_topic.empty()) props.add(::mqtt::property(::mqtt::property::RESPONSE_TOPIC, response_topic));
    if (!correlation.empty()) props.add(::mqtt::property(::mqtt::property::CORRELATION_DATA, correlation));
    msg->set_properties(props);
  }
  return msg;
}

}  // namespace

Status Connection::publish_windowed(const std::string& topic, const std::string& payload,
                                    const std::string& correlation, const std::string& response_topic) {
  BWOC_RETURN_IF_ERROR(impl_->wait_window(kWindow - 1, std::chrono::seconds(10)));
  try {
    impl_->in_flight.push_back(impl_->client.publish(make_message(topic, payload, response_topic, correlation)));
  } catch (const ::mqtt::exception& e) {
    return Error(Errc::unavailable, "cannot publish to " + topic + ": " + e.get_error_str());
  }
  return ok_status();
}

Status Connection::publish(const std::string& topic, const std::string& payload, const std::string& response_topic,
                           const std::string& correlation, std::chrono::milliseconds timeout) {
  BWOC_RETURN_IF_ERROR(impl_->wait_window(kWindow - 1, timeout));
  try {
    impl_->in_flight.push_back(impl_->client.publish(make_message(topic, payload, response_topic, correlation)));
  } catch (const ::mqtt::exception& e) {
    return Error(Errc::unavailable, "cannot publish to " + topic + ": " + e.get_error_str());
  }
  return impl_->wait_window(0, timeout);
}

Status Connection::publish_async(const std::string& topic, const std::string& payload, const std::string& correlation) {
  impl_->async_listener.add();
  try {
    impl_->client.publish(make_message(topic, payload, {}, correlation), nullptr, impl_->async_listener);
  } catch (const ::mqtt::exception& e) {
    impl_->async_listener.done();
    return Error(Errc::unavailable, "cannot publish to " + topic + ": " + one_line(e.get_error_str()));
  }
  return ok_status();
}

std::size_t Connection::unacknowledged() const {
  std::lock_guard<std::mutex> lk(impl_->async_listener.mu);
  return impl_->async_listener.pending;
}

bool Connection::wait_async(std::chrono::milliseconds timeout) { return wait_async_below(1, timeout); }

bool Connection::wait_async_below(std::size_t limit, std::chrono::milliseconds timeout) {
  auto& listener = impl_->async_listener;
  std::unique_lock<std::mutex> lk(listener.mu);
  if (listener.pending < limit) return true;
  ++listener.waiters;
  listener.wake_below = std::max(listener.wake_below, limit);
  bool below = listener.acknowledged.wait_for(lk, timeout, [&] { return listener.pending < limit; });
  if (--listener.waiters == 0) listener.wake_below = 0;
  return below;
}

Status Connection::drain(std::chrono::milliseconds timeout) { return impl_->wait_window(0, timeout); }

bool Connection::connected() const { return impl_->client.is_connected(); }

void Connection::disconnect() {
  if (!impl_) return;
  try {
    if (impl_->client.is_connected()) impl_->client.disconnect(std::chrono::seconds(2))->wait_for(std::chrono::seconds(3));
  } catch (const ::mqtt::exception&) {
    // Already gone: nothing to undo.
  }
}

}  // namespace bwoc::mqtt
