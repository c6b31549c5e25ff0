// The dashboard's JSON API. Reads answer in the shapes of the CLI's --json
// (built by the same functions: node/views.h, node/status.h, goal_json, ...)
// and every change goes through the function the CLI's command calls.
//
//   GET  /api/status[?probe=1]   bwoc status --json [--probe]
//   GET  /api/activity           the newest envelopes in, out and refused
//   GET  /api/trust              bwoc trust list --json
//   GET  /api/goals              bwoc goal list --json
//   GET  /api/skills             {"skills": bwoc skills list --json, "stats": bwoc skills stats --json}
//   GET  /api/inbox?agent=A[&limit=N]
//                                {"agent", "total", "entries": bwoc inbox list A --json -n N,
//                                 "verification": bwoc inbox verify A --json}
//   GET  /api/refusals[?limit=N] bwoc inbox refusals --json -n N
//                                (N: 1 to 10,000, default 100; 0 is 10,000)
//   POST /api/trust/set     {"peer", "tier"}                     bwoc trust set PEER TIER
//   POST /api/peer/remove   {"peer"}                             bwoc peer remove PEER
//   POST /api/goal/start    {"peer", "objective", "grant", "expires"?}
//   POST /api/goal/kr/add   {"id", "text"}
//   POST /api/goal/kr/done  {"id", "number"}
//   POST /api/goal/done     {"id"}
//   POST /api/skills/expose {"agent", "name"},  /api/skills/hide {"agent", "name"}
#ifndef BWOC_DASHBOARD_SRC_API_H_
#define BWOC_DASHBOARD_SRC_API_H_

#include <map>
#include <string>
#include <string_view>

#include "bwoc/core/json.h"
#include "bwoc/core/result.h"
#include "bwoc/core/workspace.h"

namespace bwoc::dashboard {

using Query = std::map<std::string, std::string>;

// How many activity events the page shows and the feed sends.
inline constexpr std::size_t kActivityEvents = 50;

class Api {
 public:
  explicit Api(Workspace ws) : ws_(std::move(ws)) {}

  // Whether `path` is one of the API's reads or changes.
  static bool is_read(std::string_view path);
  static bool is_change(std::string_view path);

  Result<json::Value> read(std::string_view path, const Query& query) const;
  Result<json::Value> change(std::string_view path, const json::Value& body) const;

  const Workspace& workspace() const { return ws_; }

 private:
  Workspace ws_;
};

// The activity list as the page and the feed send it: {"events": [...]}.
Result<json::Value> activity_json(const Workspace& ws);

}  // namespace bwoc::dashboard

#endif  // BWOC_DASHBOARD_SRC_API_H_
