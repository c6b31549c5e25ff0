// What went wrong with a connect to a broker, in words an operator can act
// on. Paho and libmosquitto report a refused CONNACK as an MQTT 5 reason
// code and everything else vaguely; both clients of libs/mqtt word their
// failures here, so that a command says the same whichever client it used.
#ifndef BWOC_MQTT_SRC_CONNECT_FAILURE_H_
#define BWOC_MQTT_SRC_CONNECT_FAILURE_H_

#include <string>

#include "bwoc/core/result.h"
#include "bwoc/mqtt/broker.h"

namespace bwoc::mqtt {

// MQTT 5 reason codes (§2.4) that bwoc tells apart.
namespace reason {
constexpr int kUnspecified = 0x80;
constexpr int kBadUserNameOrPassword = 0x86;
constexpr int kNotAuthorized = 0x87;
constexpr int kServerUnavailable = 0x88;
constexpr int kServerBusy = 0x89;
}  // namespace reason

// An error's text is one line: OpenSSL's messages end in newlines.
std::string one_line(std::string s);

// The broker answered the CONNECT with `reason_code` (>= 0x80).
Error connect_refused(int reason_code, const BrokerSettings& broker);
// No CONNACK came: the TCP connection or the TLS handshake failed, or the
// broker hung up. `detail` is the client library's own words, used when
// nothing better can be found out.
Error connect_failed(const BrokerSettings& broker, const std::string& detail);

// The broker refused a publish (a PUBACK reason >= 0x80: an ACL, say).
Error publish_refused(int reason_code);
// The broker refused a subscription (a SUBACK reason >= 0x80).
Error subscribe_refused(const std::string& filter, int reason_code);

}  // namespace bwoc::mqtt

#endif  // BWOC_MQTT_SRC_CONNECT_FAILURE_H_
