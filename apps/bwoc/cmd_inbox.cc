// bwoc inbox: read, re-verify and fill agents' inboxes; see what was refused.
#include <iostream>
#include <map>

#include "bwoc/core/drop_folder.h"
#include "bwoc/core/inbox.h"
#include "bwoc/core/refusal_log.h"
#include "bwoc/core/routes.h"
#include "bwoc/core/service.h"
#include "bwoc/node/network.h"
#include "bwoc/node/node.h"
#include "bwoc/node/path_service.h"
#include "bwoc/core/terminal_text.h"
#include "bwoc/node/views.h"
#include "bwoc/node/courier.h"
#include "commands.h"
#include "progress.h"

namespace bwoc::cli {

namespace {

std::string sender_of(const InboxEntry& e) {
  return (e.peer.empty() ? std::string("(undeclared)") : e.peer) + "/" + e.from;
}

std::string plural(std::uint64_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

}  // namespace

int run_inbox_list(Context& ctx, const InboxOptions& o) {
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  auto routes = Routes::load(ws->routes_file(), ws->root());
  if (!routes.ok()) return fail(ctx, routes.error());
  auto listing = list_inbox(*ws, *routes, o.agent, o.limit);
  if (!listing.ok()) return fail(ctx, listing.error());
  if (o.json) {
    json::Value out = json::Value::array();
    for (const InboxEntry& e : listing->entries) out.push_back(node::inbox_entry_json(e));
    print_json(out);
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const InboxEntry& e : listing->entries) {
    rows.push_back({std::to_string(e.line), e.received, std::string(via_name(e.via)), sender_of(e), e.kind,
                    e.id.substr(0, 12),
                    (e.sealed ? (e.payload.is_null() ? std::string("(sealed, does not open here)") : "(sealed) ") : std::string()) +
                        (e.sealed && e.payload.is_null() ? std::string() : summarize(e.payload))});
  }
  print_table({"#", "RECEIVED", "VIA", "FROM", "KIND", "ID", "PAYLOAD"}, rows);
  std::cout << plural(listing->total, "envelope") << " in " << o.agent << "'s inbox";
  if (listing->entries.size() < listing->total) std::cout << " (newest " << listing->entries.size() << " shown)";
  std::cout << "\n";
  if (listing->unreadable > 0) {
    std::cout << plural(listing->unreadable, "unreadable line") << ": run `bwoc inbox verify " << o.agent << "`\n";
  }
  return 0;
}

int run_inbox_verify(Context& ctx, const InboxOptions& o) {
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  auto routes = Routes::load(ws->routes_file(), ws->root());
  if (!routes.ok()) return fail(ctx, routes.error());
  auto v = verify_inbox(*ws, *routes, o.agent);
  if (!v.ok()) return fail(ctx, v.error());
  if (o.json) {
    print_json(node::inbox_verification_json(o.agent, *v));
  } else {
    for (const auto& p : v->problems) {
      std::cout << "line " << p.line << (p.id.empty() ? "" : " (" + terminal_safe(p.id) + ")") << ": "
                << terminal_safe(p.problem) << "\n";
    }
    std::cout << plural(v->lines, "line") << ", " << v->verified << " verified";
    if (v->unpinned > 0) std::cout << " (" << v->unpinned << " from senders no longer declared)";
    std::cout << ", " << plural(v->problems.size(), "problem") << "\n";
  }
  return v->problems.empty() ? 0 : 1;
}

int run_inbox_ingest(Context& ctx, const InboxOptions& o) {
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  InboundOptions io;
  io.wait_when_busy = true;  // the drop folder keeps the rest while skills run
  if (o.watch) service::block_stop_signals();
  auto inbound = node::open_inbound(*ws, io);
  if (!inbound.ok()) return fail(ctx, inbound.error());
  peer::Network network = node::make_network(*ws);
  if (o.watch) {
    auto service = node::PathService::start(**inbound, network);
    if (!service.ok()) return fail(ctx, service.error());
    // Requests of ours go out while the service runs (node/courier.h).
    node::CourierOptions courier_options;
    auto courier = node::CourierThread::start(*ws, courier_options);
    service::run(*ws, **service, std::chrono::seconds(60), [&] {
      std::cout << "bwoc inbox ingest: " << (*service)->status() << " until SIGTERM" << std::endl;
    });
    return 0;
  }
  node::PathIngest ingest(**inbound, network);
  Result<IngestReport> report = Error(Errc::internal, "not ingested");
  {
    Progress progress(progress_wanted() ? "ingesting the drop folder" : "");
    std::size_t total = progress.shown() ? ingest.waiting() : 0;
    if (o.max != 0) total = std::min(total, o.max);
    report = ingest.round(o.max, [&](std::size_t done) { progress.count(done, total); });
  }
  if (!report.ok()) return fail(ctx, report.error());
  if (o.json) {
    json::Value items = json::Value::array();
    for (const auto& i : report->items) {
      items.push_back(json::Value::object({{"entry", i.entry},
                                           {"outcome", outcome_name(i.outcome)},
                                           {"disposition", disposition_name(i.disposition)},
                                           {"reason", i.reason},
                                           {"id", i.id},
                                           {"to", i.to}}));
    }
    print_json(json::Value::object({{"accepted", report->accepted},
                                    {"duplicates", report->duplicates},
                                    {"refused", report->refused},
                                    {"quarantined_unread", report->quarantined_unread},
                                    {"failed", report->failed},
                                    {"deferred", report->deferred},
                                    {"answered", report->answered},
                                    {"items", items}}));
  } else {
    std::map<std::string, int> reasons;
    for (const auto& i : report->items) {
      if (!i.reason.empty() && i.outcome != Delivery::Outcome::duplicate) ++reasons[i.reason];
    }
    std::cout << "ingested " << report->items.size() << ": " << report->accepted << " accepted";
    if (report->duplicates) std::cout << ", " << report->duplicates << " already delivered";
    std::size_t refused = report->refused + report->quarantined_unread;
    if (refused) {
      std::cout << ", " << refused << " refused (";
      bool first = true;
      for (const auto& [r, n] : reasons) {
        std::cout << (first ? "" : ", ") << r << " " << n;
        first = false;
      }
      std::cout << ") and quarantined";
    }
    if (report->answered) std::cout << ", " << report->answered << " answered";
    if (report->deferred) std::cout << ", " << report->deferred << " left for later (the node is busy)";
    if (report->failed) std::cout << ", " << report->failed << " left to retry (the node could not store them)";
    std::cout << "\n";
  }
  if (report->failed > 0) {
    std::cerr << "bwoc inbox ingest: " << report->failed
              << " envelope(s) could not be stored (disk full or unwritable?): they stay in the drop folder; "
                 "see `bwoc inbox refusals`\n";
    return 1;
  }
  return 0;
}

int run_inbox_refusals(Context& ctx, const InboxOptions& o) {
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  auto records = read_refusal_log(ws->refusal_log_file(), o.limit);
  if (!records.ok()) return fail(ctx, records.error());
  if (o.json) {
    json::Value out = json::Value::array();
    for (const auto& r : *records) out.push_back(node::refusal_json(r));
    print_json(out);
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : *records) {
    std::string who = r.peer ? *r.peer : r.key ? r.key->substr(0, 20) + "\xE2\x80\xA6" : "-";
    rows.push_back({format_timestamp(r.at), std::string(via_name(r.via)), r.reason, who,
                    r.id ? r.id->substr(0, 12) : "-", r.detail});
  }
  print_table({"AT", "VIA", "REASON", "SENDER", "ID", "DETAIL"}, rows);
  std::cout << plural(records->size(), "refusal") << " shown\n";
  return 0;
}

}  // namespace bwoc::cli
