// Paho C leaves Nagle's algorithm on for its sockets, and MQTT is a protocol
// of small packets each waiting for an answer: a QoS 1 PUBACK followed by a
// receipt, or a SUBSCRIBE followed by a PUBLISH, holds the second packet
// until the broker acknowledges the first, which a broker delays by its own
// delayed-ACK timer (40 ms on Linux). Paho offers no hook on its sockets, so
// once a connection is up the process's TCP sockets connected to the broker's
// port are found and TCP_NODELAY set on them.
#ifndef BWOC_MQTT_SRC_NO_DELAY_H_
#define BWOC_MQTT_SRC_NO_DELAY_H_

#include <cstdint>

namespace bwoc::mqtt {

// Sets TCP_NODELAY on every TCP socket of this process whose peer's port is
// `port`; returns how many.
int set_no_delay_to_port(std::uint16_t port);

}  // namespace bwoc::mqtt

#endif  // BWOC_MQTT_SRC_NO_DELAY_H_
