// What a workspace publishes for peers that reach it by path: a summary in
// .bwoc/export/status.json (its agents' names, its teams with their open
// tasks, the documents it shares), rewritten by the core itself whenever one
// of those changes (Workspace::add_agent, the task and share functions). A peer reads that file and nothing else of the
// workspace: never its manifests, memories, inboxes or keys.
#ifndef BWOC_CORE_EXPORT_H_
#define BWOC_CORE_EXPORT_H_

#include <filesystem>

#include "bwoc/core/json.h"
#include "bwoc/core/result.h"
#include "bwoc/core/workspace.h"

namespace bwoc {

// The summary as a document: {"workspace", "agents", "teams", "shared",
// "updated"}, where "updated" is when the newest of its sources last changed:
// the same summary asked twice, or read from the export, is the same bytes.
Result<json::Value> status_summary(const Workspace& ws);
// Writes it to .bwoc/export/status.json.
Status write_export(const Workspace& ws);
// write_export() after a change, from the functions that make one: a
// failure is logged (the change itself stands).
void refresh_export(const Workspace& ws);
// Reads a peer's export, bounded and strictly parsed.
Result<json::Value> read_export(const Workspace& peer);

}  // namespace bwoc

#endif  // BWOC_CORE_EXPORT_H_
