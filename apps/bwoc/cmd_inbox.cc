// bwoc inbox: read, re-verify and fill agents' inboxes; see what was refused.
#include <CLI/CLI.hpp>

#include <iostream>
#include <map>

#include "bwoc/core/drop_folder.h"
#include "bwoc/core/inbox.h"
#include "bwoc/core/receiver.h"
#include "bwoc/core/refusal_log.h"
#include "bwoc/core/routes.h"
#include "cli.h"

namespace bwoc::cli {

namespace {

std::string sender_of(const InboxEntry& e) {
  return (e.peer.empty() ? std::string("(undeclared)") : e.peer) + "/" + e.from;
}

}  // namespace

void register_inbox(CLI::App& app, Context& ctx) {
  struct Options {
    std::string agent;
    bool json = false;
    std::size_t limit = 20;
    std::size_t max = 0;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* inbox = app.add_subcommand("inbox", "Read, verify and ingest agents' inboxes");
  inbox->require_subcommand(1);
  inbox->footer(
      "Each agent's inbox is agents/NAME/memories/inbox.jsonl: one accepted envelope\n"
      "a line, verbatim, with when and how it arrived.");

  CLI::App* list = inbox->add_subcommand("list", "List the envelopes in an agent's inbox, newest last");
  list->add_option("agent", opts->agent, "Agent name")->required();
  list->add_option("-n,--limit", opts->limit, "Show the newest N (0: all; default 20)");
  list->add_flag("--json", opts->json, "Print JSON (the envelopes' members and payloads)");
  list->callback([&ctx, opts] {
    ctx.command = "inbox list";
    ctx.action = [&ctx, opts]() -> int {
      auto ws = ctx.open_workspace();
      if (!ws.ok()) return fail(ctx, ws.error());
      auto routes = Routes::load(ws->routes_file(), ws->root());
      if (!routes.ok()) return fail(ctx, routes.error());
      auto listing = list_inbox(*ws, *routes, opts->agent, opts->limit);
      if (!listing.ok()) return fail(ctx, listing.error());
      if (opts->json) {
        nlohmann::ordered_json out = nlohmann::ordered_json::array();
        for (const InboxEntry& e : listing->entries) {
          out.push_back({{"line", e.line},     {"received", e.received},  {"via", via_name(e.via)},
                         {"id", e.id},         {"kind", e.kind},          {"from", e.from},
                         {"peer", e.peer},     {"key", e.sender_key},     {"to", e.to},
                         {"ts", e.ts},         {"re", e.re},              {"payload", to_nlohmann(e.payload)}});
        }
        print_json(out);
        return 0;
      }
      std::vector<std::vector<std::string>> rows;
      for (const InboxEntry& e : listing->entries) {
        rows.push_back({std::to_string(e.line), e.received, std::string(via_name(e.via)), sender_of(e), e.kind,
                        e.id.substr(0, 12), summarize(e.payload)});
      }
      print_table({"#", "RECEIVED", "VIA", "FROM", "KIND", "ID", "PAYLOAD"}, rows);
      std::cout << listing->total << " envelope" << (listing->total == 1 ? "" : "s") << " in " << opts->agent
                << "'s inbox";
      if (listing->entries.size() < listing->total) std::cout << " (newest " << listing->entries.size() << " shown)";
      std::cout << "\n";
      if (listing->unreadable > 0) std::cout << listing->unreadable << " unreadable line(s): run `bwoc inbox verify " << opts->agent << "`\n";
      return 0;
    };
  });

  CLI::App* verify = inbox->add_subcommand("verify", "Re-verify every envelope in an agent's inbox");
  verify->add_option("agent", opts->agent, "Agent name")->required();
  verify->add_flag("--json", opts->json, "Print JSON");
  verify->footer("Exit 0 when every line verifies, 1 when any does not.");
  verify->callback([&ctx, opts] {
    ctx.command = "inbox verify";
    ctx.action = [&ctx, opts]() -> int {
      auto ws = ctx.open_workspace();
      if (!ws.ok()) return fail(ctx, ws.error());
      auto routes = Routes::load(ws->routes_file(), ws->root());
      if (!routes.ok()) return fail(ctx, routes.error());
      auto v = verify_inbox(*ws, *routes, opts->agent);
      if (!v.ok()) return fail(ctx, v.error());
      if (opts->json) {
        nlohmann::ordered_json problems = nlohmann::ordered_json::array();
        for (const auto& p : v->problems) problems.push_back({{"line", p.line}, {"id", p.id}, {"problem", p.problem}});
        print_json({{"agent", opts->agent}, {"lines", v->lines}, {"verified", v->verified},
                    {"unpinned", v->unpinned}, {"problems", problems}});
      } else {
        for (const auto& p : v->problems) {
          std::cout << "line " << p.line << (p.id.empty() ? "" : " (" + p.id + ")") << ": " << p.problem << "\n";
        }
        std::cout << v->lines << " line" << (v->lines == 1 ? "" : "s") << ", " << v->verified << " verified";
        if (v->unpinned > 0) std::cout << " (" << v->unpinned << " from senders no longer declared)";
        std::cout << ", " << v->problems.size() << " problem" << (v->problems.size() == 1 ? "" : "s") << "\n";
      }
      return v->problems.empty() ? 0 : 1;
    };
  });

  CLI::App* ingest = inbox->add_subcommand("ingest", "Check the envelopes in the drop folder and deliver the good ones");
  ingest->footer(
      "Peers reached by path drop envelopes into .bwoc/drop/new/. Each is checked like\n"
      "any other: accepted ones go to their agent's inbox, refused ones to\n"
      ".bwoc/quarantine/ and the refusal log (`bwoc inbox refusals`).");
  ingest->add_option("--max", opts->max, "Stop after this many entries (default: until the folder is empty)");
  ingest->add_flag("--json", opts->json, "Print JSON");
  ingest->callback([&ctx, opts] {
    ctx.command = "inbox ingest";
    ctx.action = [&ctx, opts]() -> int {
      auto ws = ctx.open_workspace();
      if (!ws.ok()) return fail(ctx, ws.error());
      auto rx = Receiver::open(*ws);
      if (!rx.ok()) return fail(ctx, rx.error());
      IngestOptions io;
      io.max_entries = opts->max;
      auto report = ingest_drop_folder(**rx, io);
      if (!report.ok()) return fail(ctx, report.error());
      if (opts->json) {
        nlohmann::ordered_json items = nlohmann::ordered_json::array();
        for (const auto& i : report->items) {
          items.push_back({{"entry", i.entry}, {"outcome", outcome_name(i.outcome)}, {"reason", i.reason},
                           {"id", i.id}, {"to", i.to}});
        }
        print_json({{"accepted", report->accepted}, {"duplicates", report->duplicates}, {"refused", report->refused},
                    {"quarantined_unread", report->quarantined_unread}, {"failed", report->failed}, {"items", items}});
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
        if (report->failed) std::cout << ", " << report->failed << " left to retry (the node could not store them)";
        std::cout << "\n";
      }
      return report->failed > 0 ? 1 : 0;
    };
  });

  CLI::App* refusals = inbox->add_subcommand("refusals", "Show what receivers refused, and why");
  refusals->add_option("-n,--limit", opts->limit, "Show the newest N (0: all; default 20)");
  refusals->add_flag("--json", opts->json, "Print JSON");
  refusals->callback([&ctx, opts] {
    ctx.command = "inbox refusals";
    ctx.action = [&ctx, opts]() -> int {
      auto ws = ctx.open_workspace();
      if (!ws.ok()) return fail(ctx, ws.error());
      auto records = read_refusal_log(ws->refusal_log_file(), opts->limit);
      if (!records.ok()) return fail(ctx, records.error());
      if (opts->json) {
        nlohmann::ordered_json out = nlohmann::ordered_json::array();
        for (const auto& r : *records) {
          nlohmann::ordered_json j = {{"at", format_timestamp(r.at)}, {"via", via_name(r.via)}, {"reason", r.reason},
                                      {"detail", r.detail}, {"source", r.source}, {"bytes", r.bytes}};
          if (r.peer) j["peer"] = *r.peer;
          if (r.key) j["key"] = *r.key;
          if (r.id) j["id"] = *r.id;
          if (r.kind) j["kind"] = *r.kind;
          if (r.from) j["from"] = *r.from;
          if (r.to) j["to"] = *r.to;
          out.push_back(std::move(j));
        }
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
      std::cout << records->size() << " refusal" << (records->size() == 1 ? "" : "s") << " shown\n";
      return 0;
    };
  });
}

}  // namespace bwoc::cli
