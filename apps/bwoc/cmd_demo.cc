// bwoc demo: two workspaces talking, narrated (the demo itself is
// bwoc/node/demo.h; this prints it).
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "bwoc/core/log.h"
#include "bwoc/node/demo.h"
#include "commands.h"

namespace bwoc::cli {

int run_demo(Context& ctx, const DemoOptions& o) {
  // The nodes the demo runs in this process would log to the same terminal
  // as the narration; what they refuse is narrated instead. BWOC_LOG_LEVEL
  // still shows them.
  if (std::getenv("BWOC_LOG_LEVEL") == nullptr) log::set_min_level(log::Level::error);
  node::DemoOptions options;
  options.dir = o.dir;
  options.keep = o.keep || !o.dir.empty();
  node::DemoObserver observer;
  observer.started = [](const std::filesystem::path& base) {
    std::cout << "bwoc demo: two workspaces, alpha and beta, in " << base.string() << "\n\n";
  };
  observer.step_done = [](const node::DemoStep& step) {
    char head[160];
    std::snprintf(head, sizeof head, "%2d  %-62s %7.1f ms", step.number, step.title.c_str(), step.ms);
    std::cout << head << "\n";
    for (const std::string& note : step.notes) std::cout << "      " << note << "\n";
    std::cout.flush();
  };
  auto result = node::run_demo(options, observer);
  if (!result.ok()) return fail(ctx, result.error());
  std::printf("\n%s in %.1f ms.\n", result->as_expected ? "Every step behaved as the spec says" : "UNEXPECTED RESULT",
              result->total_ms);
  if (result->kept) {
    std::cout << "The workspaces are kept in " << result->base.string()
              << ", and reach each other by path. Try next:\n";
    for (const std::string& command : result->next_commands) std::cout << "  " << command << "\n";
  } else {
    std::cout << "The workspaces were removed (--keep leaves them to look around).\n";
  }
  return result->as_expected ? 0 : 1;
}

}  // namespace bwoc::cli
