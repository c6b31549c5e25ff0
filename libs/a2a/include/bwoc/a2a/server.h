// `bwoc a2a serve`: one agent of a workspace, reachable over A2A.
//
// A Server listens (127.0.0.1 unless told otherwise), serves the agent card,
// answers A2A JSON-RPC in the 0.3 and 1.0 generations, and hands every
// envelope to the node's inbound layer (bwoc/core/inbound.h), which decides
// what it means; the server frames the answer. Every size, count and time
// that comes from outside is bounded by ServeLimits. The rate per verified
// key is the inbound layer's (InboundOptions::rate_per_key).
#ifndef BWOC_A2A_SERVER_H_
#define BWOC_A2A_SERVER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "bwoc/core/inbound.h"
#include "bwoc/core/result.h"
#include "bwoc/core/service.h"
#include "bwoc/core/workspace.h"

namespace bwoc::a2a {

// What Server::start accepts; beyond these it refuses to start.
inline constexpr int kMaxThreads = 256;
inline constexpr std::size_t kMaxConnections = 1'000'000;
inline constexpr std::size_t kMinBodyBytes = 4096;
inline constexpr std::size_t kMaxBodyBytes = 16u << 20;
inline constexpr std::size_t kMaxTasks = 100'000'000;
inline constexpr std::size_t kMaxBodyBudgetBytes = std::size_t{64} << 30;

struct ServeLimits {
  std::size_t max_body_bytes = (1u << 20) + 64 * 1024;  // 413 beyond: a 1 MiB envelope and its wrapper
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{30'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds write_timeout{30'000};
  std::size_t max_connections = 2048;
  // Bytes of request bodies received or being handled at once, over all
  // connections (what each announces): beyond it, 503 with Retry-After
  // before the body is read. At least max_body_bytes.
  std::size_t body_budget_bytes = 64u << 20;
  double rate_per_address = 100;  // requests a second, before verification (429); 0: unlimited
  double burst_per_address = 200;
  std::chrono::milliseconds drain_timeout{10'000};
  std::size_t max_tasks = 100'000;                     // kept for tasks/get, then the oldest go
  std::chrono::milliseconds task_max_age{7 * 86'400'000LL};
};

struct ServeOptions {
  std::string agent;
  std::string bind = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: any free port
  std::string public_url;     // what the card advertises (default: http://<bind>:<port>)
  int threads = 0;            // 0: one per CPU this process may run on
  ServeLimits limits;
};

class Server : public service::Service {
 public:
  // `inbound` serves options.agent and must outlive the server.
  static Result<std::unique_ptr<Server>> start(const Workspace& ws, const ServeOptions& options, Inbound& inbound);
  ~Server() override;

  std::uint16_t port() const;
  const std::string& base_url() const;

  // service::Service
  std::string_view kind() const override { return "a2a"; }
  const std::string& agent() const override;
  std::string status() const override;
  std::string endpoint() const override { return base_url(); }
  std::vector<std::pair<std::string, std::string>> stats() const override;
  // Stops accepting, lets requests in progress finish (up to the drain
  // timeout) with every accepted envelope on disk, then stops.
  void stop() override;

  struct Counts {
    std::uint64_t accepted = 0, duplicates = 0, refused = 0, denied = 0, failed = 0;
    std::uint64_t commits = 0;  // fdatasyncs shared by the deliveries above
    std::size_t tasks = 0, connections = 0;
    std::size_t body_bytes = 0;  // of the body budget, held now
  };
  Counts counts() const;

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bwoc::a2a

#endif  // BWOC_A2A_SERVER_H_
