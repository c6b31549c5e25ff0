// The tools `bwoc mcp serve` offers: our agent's own exposed skills and every
// skill each declared peer lets us see at our tier there, kept current in the
// background so that listing them never waits on the network.
//
// Each peer's discovery answer (its skills and their set hash, signed by the
// peer) is cached in .bwoc/state/mcp/discovery-<agent>.json and asked again
// every `refresh` (at once for a peer newly declared). A peer that does not
// answer keeps its cached tools, marked stale with why; a peer removed from
// routes.toml loses them. Whenever what a client would list changes (a peer
// added or removed, a skill exposed, hidden or changed here or there, our
// tier at a peer changed: anything that moves a set hash), `on_change` runs.
//
// Listing never waits on the network, except on the very first start in a
// workspace (no cache yet), for peers not discovered yet, and then at most
// `list_wait` (one second by default): tools that arrive later are announced
// with list_changed.
#ifndef BWOC_MCP_CATALOGUE_H_
#define BWOC_MCP_CATALOGUE_H_

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bwoc/core/json.h"
#include "bwoc/core/result.h"
#include "bwoc/core/timestamp.h"
#include "bwoc/core/workspace.h"

namespace bwoc::node {
class Client;
}

namespace bwoc::mcp {

// One skill as a tool.
struct Tool {
  std::string name;   // "self__word-count", "beta__word-count"
  std::string owner;  // "self" or the peer's alias
  std::string agent;  // whose skill it is
  json::Value contract;  // as discovery shows it: name, version, description, when_to_use, schemas, hash
  bool stale = false;    // from the cache: the peer has not confirmed it lately
  std::string stale_why;
};

// What one peer's discovery looks like now.
struct PeerState {
  std::string peer;
  std::string agent;
  std::string set_hash;
  std::size_t skills = 0;
  UnixMillis answered = 0;  // when it last answered (0: never)
  bool fresh = false;       // answered since this catalogue started
  bool in_flight = false;
  std::string error;        // why the latest attempt failed ("" when it did not)
  std::string via;          // how the latest answer came
};

// A peer's discovery, as its signed answer said.
struct Discovery {
  std::string agent;
  json::Value skills;  // array of contracts with "hash"
  std::string set_hash;
  std::string via;
};
// Asks one peer; the default asks through node::Client (signed, with failover).
using Discoverer = std::function<Result<Discovery>(const std::string& peer, std::chrono::milliseconds timeout)>;

struct CatalogueOptions {
  std::string agent;  // our agent: whose skills are local tools and who asks peers
  std::chrono::milliseconds refresh{30'000};
  std::chrono::milliseconds retry{10'000};  // after a failed attempt, at most this long before the next
  std::chrono::milliseconds discover_timeout{10'000};
  std::chrono::milliseconds list_wait{1'000};
  std::chrono::milliseconds watch_interval{500};  // how often routes.toml and the manifest are looked at
  std::size_t parallel = 8;                       // discoveries at once
  bool background = true;                         // false: refresh only when asked (mcp test)
  Discoverer discover;                            // tests and benchmarks replace it
};

class Catalogue {
 public:
  static Result<std::unique_ptr<Catalogue>> open(const Workspace& ws, CatalogueOptions options);
  ~Catalogue();  // stop()

  // Stops the background refresh (nothing new starts) and returns how many
  // discoveries are still in flight: they finish on threads of their own,
  // which a process must not outlive by running its static destructors.
  std::size_t stop();
  Catalogue(const Catalogue&) = delete;
  Catalogue& operator=(const Catalogue&) = delete;

  // The tools now, local first, then by name. Waits (at most list_wait) only
  // for peers that were never discovered and are being asked now.
  std::vector<Tool> tools();
  // A listed tool by name, without waiting.
  std::optional<Tool> find(const std::string& name);
  // "self" and every declared peer's alias (for names not listed).
  std::vector<std::string> owners();

  std::vector<PeerState> peers();
  // Asks every peer now and returns once each answered or failed (bounded
  // by discover_timeout), for `mcp test`.
  void refresh_now();
  // Asks `peer` again soon (a call found its cached contract out of date).
  void refresh_peer(const std::string& peer);

  // Runs (on a background thread) whenever the tools a client would list changed.
  void on_change(std::function<void()> callback);

  const std::string& agent() const;
  // The client peers are asked and called through (replaced when routes.toml changes).
  std::shared_ptr<node::Client> client();

 private:
  struct Shared;
  explicit Catalogue(std::shared_ptr<Shared> shared);
  std::shared_ptr<Shared> shared_;
};

// The MCP Tool object (tools/list) for a tool: name, title, description with
// when_to_use, inputSchema and outputSchema (a schema whose root is not an
// object is wrapped in {"input": ...} / {"output": ...}, as MCP requires
// object roots), and _meta naming its owner, agent, version and hash.
json::Value tool_json(const Tool& tool);
// Whether tool_json wrapped the input or output schema.
bool wraps_input(const json::Value& contract);
bool wraps_output(const json::Value& contract);

}  // namespace bwoc::mcp

#endif  // BWOC_MCP_CATALOGUE_H_
