// `bwoc dashboard`: a web page of one workspace, for the person at this
// machine. Pages: an overview (what `bwoc status` shows), activity (a live
// timeline of envelopes in, out and refused), peers (reachability, tier,
// last seen; change a tier, remove a peer), goals (start, add and tick key
// results, end), skills (expose and hide; calls, errors and latency
// percentiles drawn from the data), an agent's inbox with every envelope
// verified, and the refusal log.
//
// What it shows comes from the same library calls as the CLI's --json, and
// what it changes goes through the same calls as the CLI's commands.
//
// Who may use it:
// - it listens on 127.0.0.1 only;
// - every request needs the random token of this run: in the address it
//   prints (?token=…), which the first visit trades for a cookie (HttpOnly,
//   SameSite=Strict) and a redirect to the same page without it;
// - the Host header must name 127.0.0.1 or localhost at its port, so that a
//   page of another site whose name was rebound to 127.0.0.1 gets nothing;
// - changes are POSTs with a JSON body and the token in X-Bwoc-Token, from
//   this origin (Origin and Sec-Fetch-Site, when the browser sends them); a
//   form or script of another site cannot set that header, and a preflight
//   for it is refused;
// - no CORS header is ever sent, and every answer carries a strict
//   Content-Security-Policy (only its own scripts and styles, nothing
//   inline, nothing from elsewhere), nosniff, no-referrer and no framing;
// - a URL names a page or an asset of the fixed set exactly: nothing is
//   looked up on disk, so no path leads anywhere else.
#ifndef BWOC_DASHBOARD_DASHBOARD_H_
#define BWOC_DASHBOARD_DASHBOARD_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "bwoc/core/result.h"
#include "bwoc/core/service.h"
#include "bwoc/core/workspace.h"

namespace bwoc::dashboard {

struct DashboardOptions {
  std::uint16_t port = 0;  // 0: any free port
  int threads = 2;         // HTTP threads; the API's work runs on two more
};

class Dashboard : public service::Service {
 public:
  static Result<std::unique_ptr<Dashboard>> start(const Workspace& ws, const DashboardOptions& options = {});
  ~Dashboard() override;

  std::uint16_t port() const;
  // http://127.0.0.1:PORT/
  std::string base_url() const;
  // The address to open, with this run's token: show it to the user only
  // (never log it).
  std::string url_with_token() const;

  // service::Service
  std::string_view kind() const override { return "dashboard"; }
  const std::string& agent() const override;
  std::string status() const override;
  std::string endpoint() const override { return base_url(); }
  std::vector<std::pair<std::string, std::string>> stats() const override;
  void stop() override;

 private:
  struct Impl;
  explicit Dashboard(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bwoc::dashboard

#endif  // BWOC_DASHBOARD_DASHBOARD_H_
