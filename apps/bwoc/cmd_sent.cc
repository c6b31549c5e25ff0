// bwoc sent: the outbound record, what left this workspace and what arrived.
#include <iostream>
#include <limits>

#include "bwoc/core/sent_log.h"
#include "commands.h"

namespace bwoc::cli {

int run_sent(Context& ctx, const SentOptions& o) {
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  std::optional<SentState> only;
  if (o.state) {
    only = sent_state_from_name(*o.state == "verified" ? "receipt verified" : *o.state);
    if (!only) return usage(ctx, "--state is sent, verified, refused or failed");
  }
  std::size_t limit = o.limit == 0 ? std::numeric_limits<std::size_t>::max() : o.limit;
  // Read whole (the record is bounded), then filtered, so that --limit counts what is shown.
  auto records = SentLog::read(*ws, std::numeric_limits<std::size_t>::max());
  if (!records.ok()) return fail(ctx, records.error());
  std::vector<SentRecord> shown;
  for (SentRecord& r : *records) {
    if (shown.size() >= limit) break;
    if (only && r.state != *only) continue;
    if (!o.agent.empty() && r.from != o.agent) continue;
    shown.push_back(std::move(r));
  }
  if (o.json) {
    json::Value out = json::Value::array();
    for (const SentRecord& r : shown) out.push_back(sent_record_json(r));
    print_json(out);
    return 0;
  }
  if (shown.empty()) {
    std::cout << "nothing sent yet" << (only || !o.agent.empty() ? " that matches" : "")
              << ": `bwoc send PEER/AGENT --from AGENT` sends an envelope\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const SentRecord& r : shown) {
    rows.push_back({format_timestamp(r.first_at), r.id.substr(0, 12), r.kind.empty() ? "-" : r.kind,
                    (r.from.empty() ? "-" : r.from) + " -> " + (r.to.empty() ? "-" : r.to),
                    r.via ? std::string(via_name(*r.via)) : "-", std::string(sent_state_name(r.state)), r.detail});
  }
  print_table({"SENT", "ID", "KIND", "FROM -> TO", "VIA", "STATE", "DETAIL"}, rows);
  std::cout << shown.size() << (shown.size() == 1 ? " envelope" : " envelopes") << " shown, newest first\n";
  return 0;
}

}  // namespace bwoc::cli
