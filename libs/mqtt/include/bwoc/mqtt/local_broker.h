// A throwaway mosquitto on 127.0.0.1, for the demo and the tests: a free
// port, a configuration in a folder of the caller's, and stopped when the
// handle goes. bwoc never runs a broker for real use: point it at yours.
#ifndef BWOC_MQTT_LOCAL_BROKER_H_
#define BWOC_MQTT_LOCAL_BROKER_H_

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "bwoc/core/process.h"
#include "bwoc/core/result.h"

namespace bwoc::mqtt {

class LocalBroker {
 public:
  // The mosquitto binary, when it is installed.
  static std::optional<std::filesystem::path> find_mosquitto();
  // Starts one with its configuration in `dir`; returns once it accepts
  // connections (at most 10 s).
  static Result<std::unique_ptr<LocalBroker>> start(const std::filesystem::path& dir);

  const std::string& url() const { return url_; }  // mqtt://127.0.0.1:PORT
  int port() const { return port_; }

 private:
  LocalBroker() = default;
  std::unique_ptr<ChildProcess> process_;
  std::string url_;
  int port_ = 0;
};

}  // namespace bwoc::mqtt

#endif  // BWOC_MQTT_LOCAL_BROKER_H_
