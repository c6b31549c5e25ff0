// `bwoc demo`: two workspaces, alpha and beta, in one folder, doing in a
// few seconds what bwoc is for: keys and invite codes, a signed envelope
// over the path transport, a tampered copy and a replay refused, shared
// documents and tasks read, the same over A2A and MQTT, a skill discovered
// and called. Every step is checked, not only shown.
//
// The steps are a list (DemoRun::steps() in demo.cc): a new one is a
// function and a line there. The command prints each step as it finishes.
//
// With `keep`, the workspaces stay, routed to each other by path (the
// demo's A2A server and broker are gone by then), checked to still work
// together, with three commands to try next.
#ifndef BWOC_NODE_DEMO_H_
#define BWOC_NODE_DEMO_H_

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "bwoc/core/result.h"

namespace bwoc::node {

struct DemoOptions {
  std::filesystem::path dir;  // empty: a new temporary folder
  bool keep = false;
  // The bwoc executable, run as `bwoc mqtt subscribe` the way systemd would
  // (empty: this process's own executable).
  std::filesystem::path bwoc;
};

struct DemoStep {
  int number = 0;
  std::string title;
  std::vector<std::string> notes;  // what happened, for people
  double ms = 0;
  bool as_expected = true;  // false: a note says what was unexpected
};

struct DemoObserver {
  std::function<void(const std::filesystem::path& base)> started;
  std::function<void(const DemoStep& step)> step_done;
};

struct DemoResult {
  std::filesystem::path base;  // where alpha and beta are
  bool kept = false;
  bool as_expected = true;  // every step behaved as the spec says
  double total_ms = 0;
  std::vector<std::string> next_commands;  // when kept: three to try
};

// An error is a step that could not be done at all (a disk that refuses to
// write, say); a step that ran but saw something unexpected says so in its
// notes and in `as_expected`.
Result<DemoResult> run_demo(const DemoOptions& options, const DemoObserver& observer);

}  // namespace bwoc::node

#endif  // BWOC_NODE_DEMO_H_
