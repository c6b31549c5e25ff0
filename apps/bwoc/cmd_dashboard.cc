// bwoc dashboard: a local web page of the workspace (libs/dashboard).
#include <iostream>

#include "bwoc/core/service.h"
#include "bwoc/dashboard/dashboard.h"
#include "commands.h"

namespace bwoc::cli {

int run_dashboard(Context& ctx, const DashboardOptions& o) {
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  service::block_stop_signals();
  dashboard::DashboardOptions options;
  options.port = static_cast<std::uint16_t>(o.port);
  auto board = dashboard::Dashboard::start(*ws, options);
  if (!board.ok()) return fail(ctx, board.error());
  // The address carries this run's token: it is printed here, for the
  // person who started it, and nowhere else.
  service::run(*ws, **board, std::chrono::seconds(60), [&] {
    std::cout << "bwoc dashboard: open " << (*board)->url_with_token() << " (on this machine; until SIGTERM or Ctrl-C)"
              << std::endl;
  });
  return 0;
}

}  // namespace bwoc::cli
