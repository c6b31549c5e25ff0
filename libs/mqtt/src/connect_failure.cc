#include "connect_failure.h"

namespace bwoc::mqtt {

std::string one_line(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

Error connect_refused(int reason_code, const BrokerSettings& broker) {
  std::string where = " (" + broker.url.text() + ")";
  std::string from = broker.credentials ? " from " + broker.credentials->source.string() : std::string();
  switch (reason_code) {
    case reason::kBadUserNameOrPassword:
      return Error(Errc::permission_denied, "the broker refused the user name or password" + from + where);
    case reason::kNotAuthorized:
      // mosquitto answers a wrong password this way too.
      if (broker.credentials) {
        return Error(Errc::permission_denied, "the broker refused the user name or password" + from +
                                                  ", or does not authorize that user" + where);
      }
      return Error(Errc::permission_denied,
                   "the broker says this client is not authorized (does it need --credentials?)" + where);
    case reason::kServerUnavailable:
    case reason::kServerBusy:
      return Error(Errc::unavailable, "the broker is unavailable" + where);
    default:
      return Error(Errc::unavailable,
                   "the broker refused the connection (reason " + std::to_string(reason_code) + ")" + where);
  }
}

Error connect_failed(const BrokerSettings& broker, const std::string& detail) {
  if (Status tcp = probe_broker(broker.url, std::chrono::seconds(3)); !tcp.ok()) return tcp.error();
  std::string where = " (" + broker.url.text() + ")";
  if (broker.url.tls) {
    // It answers TCP, so the handshake is what failed.
    return Error(Errc::unavailable,
                 "the TLS handshake failed: the broker's certificate does not verify against " +
                     (broker.ca_file ? "the CA file " + broker.ca_file->string()
                                     : std::string("the system's CA certificates")) +
                     ", or the broker refused our client certificate" + where);
  }
  return Error(Errc::unavailable, "cannot connect to the broker" + where + ": " + one_line(detail));
}

Error publish_refused(int reason_code) {
  return Error(Errc::refused, "the broker refused the publish (reason " + std::to_string(reason_code) +
                                  (reason_code == reason::kNotAuthorized ? ": not authorized" : "") + ")");
}

Error subscribe_refused(const std::string& filter, int reason_code) {
  return Error(Errc::permission_denied, "the broker refused the subscription to " + filter + " (reason " +
                                            std::to_string(reason_code) +
                                            (reason_code == reason::kNotAuthorized ? ": not authorized" : "") + ")");
}

}  // namespace bwoc::mqtt
