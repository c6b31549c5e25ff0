#include "one_shot_client.h"

#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <openssl/x509.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include "connect_failure.h"

namespace bwoc::mqtt {

namespace {

void init_mosquitto_once() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

// libmosquitto's words for a failure; `error_number` is errno where it happened.
std::string words_of(int rc, int error_number) {
  return rc == MOSQ_ERR_ERRNO ? std::string(std::strerror(error_number)) : std::string(mosquitto_strerror(rc));
}

struct PropertyList {
  mosquitto_property* list = nullptr;
  PropertyList() = default;
  PropertyList(const PropertyList&) = delete;
  PropertyList& operator=(const PropertyList&) = delete;
  ~PropertyList() { mosquitto_property_free_all(&list); }
};

// libmosquitto's connect resolves the name and makes the TCP connection
// blocking, with no timeout of its own: a broker behind a firewall that
// drops packets holds it for minutes. It runs on a helper thread that the
// caller waits for at most the connect timeout; a connect that ends after
// the caller gave up frees the client itself.
struct PendingConnect {
  std::mutex mu;
  std::condition_variable finished_cv;
  bool finished = false;
  bool abandoned = false;
  int rc = MOSQ_ERR_SUCCESS;
  int error_number = 0;
  mosquitto* mosq = nullptr;
};

}  // namespace

struct OneShotClient::Impl {
  ConnectionOptions options;
  MessageHandler on_message;
  mosquitto* mosq = nullptr;  // owned, unless a connect that timed out still holds it
  int connack_reason = -1;
  std::map<int, int> acknowledged;  // message id → the SUBACK's or PUBACK's reason code
  bool lost = false;
  int lost_reason = 0;

  ~Impl() {
    if (mosq == nullptr) return;
    if (connack_reason == 0 && !lost) (void)mosquitto_disconnect_v5(mosq, MQTT_RC_NORMAL_DISCONNECTION, nullptr);
    mosquitto_destroy(mosq);
  }

  static Impl& of(void* user_data) { return *static_cast<Impl*>(user_data); }

  static void on_connect(mosquitto*, void* self, int reason_code, int, const mosquitto_property*) {
    of(self).connack_reason = reason_code;
  }
  static void on_subscribe(mosquitto*, void* self, int mid, int count, const int* granted, const mosquitto_property*) {
    // One filter a SUBSCRIBE: its reason code is the granted QoS, or >= 0x80.
    of(self).acknowledged[mid] = count > 0 ? granted[0] : reason::kUnspecified;
  }
  static void on_publish(mosquitto*, void* self, int mid, int reason_code, const mosquitto_property*) {
    of(self).acknowledged[mid] = reason_code;
  }
  static void on_arrival(mosquitto*, void* self, const mosquitto_message* m, const mosquitto_property*) {
    Impl& impl = of(self);
    // The broker was told our Maximum Packet Size; a message past it is not one of ours.
    if (m == nullptr || m->topic == nullptr || m->payloadlen < 0 ||
        static_cast<std::uint32_t>(m->payloadlen) > impl.options.max_packet_bytes || !impl.on_message) {
      return;
    }
    impl.on_message(m->topic, std::string(static_cast<const char*>(m->payload), static_cast<std::size_t>(m->payloadlen)));
  }
  static void on_disconnect(mosquitto*, void* self, int reason_code, const mosquitto_property*) {
    of(self).lost = true;
    of(self).lost_reason = reason_code;
  }

  // Everything but the connect itself: identity, MQTT 5, TLS, credentials.
  Status configure() {
    init_mosquitto_once();
    // A clean start: nothing of a one-shot exchange outlives it.
    mosq = mosquitto_new(options.client_id.c_str(), true, this);
    if (mosq == nullptr) return Error(Errc::internal, "cannot set up an MQTT client: " + std::string(std::strerror(errno)));
    if (mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5) != MOSQ_ERR_SUCCESS) {
      return Error(Errc::internal, "cannot set up an MQTT 5 client");
    }
    // Small packets that each wait for an answer: no Nagle (no_delay.h).
    (void)mosquitto_int_option(mosq, MOSQ_OPT_TCP_NODELAY, 1);
    mosquitto_connect_v5_callback_set(mosq, &Impl::on_connect);
    mosquitto_subscribe_v5_callback_set(mosq, &Impl::on_subscribe);
    mosquitto_publish_v5_callback_set(mosq, &Impl::on_publish);
    mosquitto_message_v5_callback_set(mosq, &Impl::on_arrival);
    mosquitto_disconnect_v5_callback_set(mosq, &Impl::on_disconnect);
    const BrokerSettings& broker = options.broker;
    if (broker.credentials) {
      int rc = mosquitto_username_pw_set(mosq, broker.credentials->user.c_str(), broker.credentials->password.c_str());
      if (rc != MOSQ_ERR_SUCCESS) {
        return Error(Errc::invalid_argument, "the user name or password from " + broker.credentials->source.string() +
                                                 " cannot be sent to a broker");
      }
    }
    if (broker.url.tls) {
      // The broker's certificate verified against the CA file, or the
      // system's CAs when none is named, and its name against the URL's host.
      if (!broker.ca_file) (void)mosquitto_int_option(mosq, MOSQ_OPT_TLS_USE_OS_CERTS, 1);
      std::string ca = broker.ca_file ? broker.ca_file->string() : std::string();
      std::string cert = broker.cert_file ? broker.cert_file->string() : std::string();
      std::string key = broker.key_file ? broker.key_file->string() : std::string();
      int rc = mosquitto_tls_set(mosq, broker.ca_file ? ca.c_str() : nullptr,
                                 broker.ca_file ? nullptr : X509_get_default_cert_dir(),
                                 broker.cert_file ? cert.c_str() : nullptr, broker.key_file ? key.c_str() : nullptr,
                                 nullptr);
      if (rc == MOSQ_ERR_SUCCESS) rc = mosquitto_tls_opts_set(mosq, 1 /* SSL_VERIFY_PEER */, nullptr, nullptr);
      if (rc == MOSQ_ERR_SUCCESS) rc = mosquitto_tls_insecure_set(mosq, false);
      if (rc != MOSQ_ERR_SUCCESS) {
        return Error(Errc::invalid_argument, "cannot use the TLS files for " + broker.url.text() + ": " +
                                                 words_of(rc, errno));
      }
    }
    return ok_status();
  }

  Status connect_socket(Clock::time_point deadline) {
    PropertyList props;
    // The broker must not send us more than this: libmosquitto reads any size.
    if (mosquitto_property_add_int32(&props.list, MQTT_PROP_MAXIMUM_PACKET_SIZE, options.max_packet_bytes) !=
        MOSQ_ERR_SUCCESS) {
      return Error(Errc::internal, "cannot set up an MQTT 5 CONNECT");
    }
    auto pending = std::make_shared<PendingConnect>();
    pending->mosq = mosq;
    auto keep_alive = static_cast<int>(options.keep_alive.count());
    std::string host = options.broker.url.host;
    int port = options.broker.url.port;
    mosquitto_property* connect_props = props.list;
    props.list = nullptr;  // the helper thread frees them
    try {
      std::thread([pending, host, port, keep_alive, connect_props]() mutable {
        int rc = mosquitto_connect_bind_v5(pending->mosq, host.c_str(), port, keep_alive, nullptr, connect_props);
        int error_number = errno;
        mosquitto_property_free_all(&connect_props);
        std::lock_guard<std::mutex> lk(pending->mu);
        if (pending->abandoned) {
          mosquitto_destroy(pending->mosq);
          return;
        }
        pending->rc = rc;
        pending->error_number = error_number;
        pending->finished = true;
        pending->finished_cv.notify_all();
      }).detach();
    } catch (const std::system_error& e) {
      mosquitto_property_free_all(&connect_props);
      return Error(Errc::unavailable, std::string("cannot start a thread to connect: ") + e.what());
    }
    std::unique_lock<std::mutex> lk(pending->mu);
    if (!pending->finished_cv.wait_until(lk, deadline, [&] { return pending->finished; })) {
      pending->abandoned = true;
      mosq = nullptr;  // the helper thread destroys it
      return no_answer();
    }
    if (pending->rc != MOSQ_ERR_SUCCESS) return connect_failed(options.broker, words_of(pending->rc, pending->error_number));
    return ok_status();
  }

  Error no_answer() const {
    return Error(Errc::unavailable, "no answer from the broker within " + std::to_string(options.connect_timeout.count()) +
                                        " s (" + options.broker.url.text() + ")");
  }

  Result<bool> run_until(const std::function<bool()>& done, Clock::time_point deadline) {
    while (true) {
      if (done()) return true;
      if (lost) return Error(Errc::unavailable, "the broker closed the connection (" + options.broker.url.text() + ")");
      Clock::time_point now = Clock::now();
      if (now >= deadline) return false;
      int fd = mosquitto_socket(mosq);
      if (fd < 0) return Error(Errc::unavailable, "not connected to the broker (" + options.broker.url.text() + ")");
      pollfd p{fd, POLLIN, 0};
      if (mosquitto_want_write(mosq)) p.events |= POLLOUT;
      // At most a second at a time, for keep-alive.
      auto wait = std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
      int n = ::poll(&p, 1, static_cast<int>(std::clamp<std::int64_t>(wait.count(), 0, 1000)));
      if (n < 0 && errno != EINTR) {
        return Error(Errc::unavailable, "cannot wait for the broker: " + std::string(std::strerror(errno)));
      }
      int rc = MOSQ_ERR_SUCCESS;
      if (n > 0) {
        // Reads what came, and takes a TLS handshake a step further.
        rc = mosquitto_loop_read(mosq, 1);
        if (rc == MOSQ_ERR_SUCCESS && mosquitto_want_write(mosq)) rc = mosquitto_loop_write(mosq, 1);
      }
      if (rc == MOSQ_ERR_SUCCESS) rc = mosquitto_loop_misc(mosq);
      if (rc != MOSQ_ERR_SUCCESS) {
        if (done()) return true;
        lost = true;
        return Error(Errc::unavailable, "the connection to the broker ended (" + options.broker.url.text() +
                                            "): " + words_of(rc, errno));
      }
    }
  }

  // Waits for the SUBACK or PUBACK of message `mid`; its reason code.
  Result<int> acknowledgement(int mid, Clock::time_point deadline) {
    BWOC_ASSIGN_OR_RETURN(bool arrived, run_until([&] { return acknowledged.count(mid) > 0; }, deadline));
    if (!arrived) return Error(Errc::timeout, "no answer from the broker in time (" + options.broker.url.text() + ")");
    int code = acknowledged[mid];
    acknowledged.erase(mid);
    return code;
  }
};

OneShotClient::OneShotClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
OneShotClient::~OneShotClient() = default;

Result<std::unique_ptr<OneShotClient>> OneShotClient::connect(const ConnectionOptions& options,
                                                              MessageHandler on_message) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->on_message = std::move(on_message);
  Clock::time_point deadline = Clock::now() + options.connect_timeout;
  BWOC_RETURN_IF_ERROR(impl->configure());
  BWOC_RETURN_IF_ERROR(impl->connect_socket(deadline));
  // The TLS handshake and the CONNACK, within what is left of the timeout.
  auto answered = impl->run_until([&] { return impl->connack_reason >= 0; }, deadline);
  if (impl->connack_reason >= 0x80) return connect_refused(impl->connack_reason, options.broker);
  if (!answered.ok()) return connect_failed(options.broker, answered.error().message());
  if (!*answered) return impl->no_answer();
  return std::unique_ptr<OneShotClient>(new OneShotClient(std::move(impl)));
}

Status OneShotClient::subscribe(const std::string& filter, Clock::time_point deadline) {
  int mid = 0;
  int rc = mosquitto_subscribe_v5(impl_->mosq, &mid, filter.c_str(), 1, 0, nullptr);
  if (rc != MOSQ_ERR_SUCCESS) {
    return Error(Errc::unavailable, "cannot subscribe to " + filter + ": " + words_of(rc, errno));
  }
  auto code = impl_->acknowledgement(mid, deadline);
  if (!code.ok()) {
    if (code.error().code() == Errc::timeout) return Error(Errc::timeout, "the broker did not confirm the subscription");
    return Error(Errc::unavailable, "cannot subscribe to " + filter + ": " + code.error().message());
  }
  if (*code >= 0x80) return subscribe_refused(filter, *code);
  return ok_status();
}

Status OneShotClient::publish(const std::string& topic, const std::string& payload, const std::string& response_topic,
                              const std::string& correlation, Clock::time_point deadline) {
  PropertyList props;
  if (!response_topic.empty() &&
      mosquitto_property_add_string(&props.list, MQTT_PROP_RESPONSE_TOPIC, response_topic.c_str()) != MOSQ_ERR_SUCCESS) {
    return Error(Errc::invalid_argument, "cannot use \"" + response_topic + "\" as a response topic");
  }
  if (!correlation.empty() &&
      mosquitto_property_add_binary(&props.list, MQTT_PROP_CORRELATION_DATA, correlation.data(),
                                    static_cast<std::uint16_t>(std::min<std::size_t>(correlation.size(), 0xffff))) !=
          MOSQ_ERR_SUCCESS) {
    return Error(Errc::invalid_argument, "cannot use the correlation data");
  }
  int mid = 0;
  int rc = mosquitto_publish_v5(impl_->mosq, &mid, topic.c_str(), static_cast<int>(payload.size()), payload.data(), 1,
                                false, props.list);
  if (rc == MOSQ_ERR_OVERSIZE_PACKET) {
    return Error(Errc::invalid_argument, "the envelope is larger than the broker takes (" +
                                             impl_->options.broker.url.text() + ")");
  }
  if (rc != MOSQ_ERR_SUCCESS) return Error(Errc::unavailable, "cannot publish to " + topic + ": " + words_of(rc, errno));
  auto code = impl_->acknowledgement(mid, deadline);
  if (!code.ok()) {
    if (code.error().code() == Errc::timeout) return Error(Errc::timeout, "the broker did not acknowledge a publish in time");
    return Error(Errc::unavailable, "publish failed: " + code.error().message());
  }
  if (*code >= 0x80) return publish_refused(*code);
  return ok_status();
}

Result<bool> OneShotClient::run_until(const std::function<bool()>& done, Clock::time_point deadline) {
  return impl_->run_until(done, deadline);
}

}  // namespace bwoc::mqtt
