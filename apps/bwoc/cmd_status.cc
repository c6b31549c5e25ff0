// bwoc status: the workspace on one screen (bwoc/node/status.h).
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>

#include "bwoc/core/terminal_text.h"
#include "bwoc/node/status.h"
#include "commands.h"
#include "progress.h"

namespace bwoc::cli {

namespace {

std::string age(UnixMillis now, UnixMillis then) { return then == 0 ? "-" : format_age(now - then); }

std::string fixed(double value) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(value < 10 ? 2 : 1) << value;
  return out.str();
}

std::string tier_text(int tier) { return std::to_string(tier) + " " + std::string(tier_name(tier)); }

void print_section(const std::string& title) { std::cout << "\n" << title << "\n"; }

void print_identity(const node::WorkspaceStatus& s) {
  std::cout << "workspace    " << s.name << "  " << s.root << "\n";
  if (s.public_key) std::cout << "public key   " << *s.public_key << "\n";
  if (s.fingerprint) std::cout << "fingerprint  " << *s.fingerprint << "\n";
  std::string agents;
  for (const std::string& a : s.agents) agents += (agents.empty() ? "" : ", ") + a;
  std::cout << "agents       " << (agents.empty() ? "none yet (`bwoc agent add NAME`)" : agents) << "\n";
}

void print_services(const node::WorkspaceStatus& s) {
  print_section("Services");
  if (s.services.empty()) {
    std::cout << "  none running (`bwoc a2a serve`, `bwoc mqtt subscribe` and `bwoc inbox ingest --watch` serve peers)\n";
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const service::ServiceRecord& r : s.services) {
    const service::ServiceState& st = r.state;
    std::string state(service::liveness_name(r.liveness));
    if (r.liveness == service::Liveness::running && st.state == "stopping") state = "stopping";
    if (r.liveness == service::Liveness::gone) state += " (stopped without cleaning up: killed or crashed)";
    std::string since = r.liveness == service::Liveness::gone ? "last seen " + age(s.at, st.updated) : age(s.at, st.started);
    std::string error = st.last_error ? terminal_safe(*st.last_error) + " (" + age(s.at, st.last_error_at.value_or(0)) + ")" : "-";
    rows.push_back({"  " + st.kind, st.agent == "*" ? "all" : st.agent, state, since,
                    st.endpoint.empty() ? "-" : terminal_safe(st.endpoint), error});
  }
  print_table({"  KIND", "AGENT", "STATE", "SINCE", "ENDPOINT", "LAST ERROR"}, rows);
}

void print_peers(const node::WorkspaceStatus& s, bool probed) {
  print_section("Peers (" + std::to_string(s.peers.size()) + ")");
  if (s.peers.empty()) {
    std::cout << "  none declared: `bwoc invite` prints this workspace's code, `bwoc peer add CODE` declares a peer\n";
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const node::PeerStatus& p : s.peers) {
    std::string via;
    for (Via v : p.transports) via += (via.empty() ? "" : ",") + std::string(via_name(v));
    std::string tier = tier_text(p.tier);
    if (p.tier != p.declared) tier += " (declared " + std::to_string(p.declared) + ")";
    std::vector<std::string> row = {"  " + p.key, tier, via.empty() ? "-" : via,
                                    p.last_seen ? age(s.at, *p.last_seen) : "never"};
    if (probed) {
      row.push_back(p.reach ? std::string(peer::state_name(p.reach->state)) +
                                  (p.reach->detail.empty() ? "" : ": " + terminal_safe(p.reach->detail))
                            : "-");
    }
    rows.push_back(std::move(row));
  }
  std::vector<std::string> header = {"  PEER", "TIER", "VIA", "LAST SEEN"};
  if (probed) header.push_back("REACHABILITY");
  print_table(header, rows);
}

void print_goals(const node::WorkspaceStatus& s) {
  print_section("Goals (" + std::to_string(s.goals.size()) + " active)");
  if (s.goals.empty()) {
    std::cout << "  none (`bwoc goal start PEER --objective TEXT --grant TIER` raises a peer for one collaboration)\n";
    return;
  }
  for (const Goal& g : s.goals) {
    std::cout << "  " << g.id << "  " << g.peer << " at " << tier_text(std::max(g.grant, g.before)) << " until done"
              << (g.expires ? " or " + format_timestamp(*g.expires) : std::string()) << ": " << g.objective << "\n";
    for (std::size_t i = 0; i < g.key_results.size(); ++i) {
      std::cout << "      " << (i + 1) << ". [" << (g.key_results[i].done ? "x" : " ") << "] " << g.key_results[i].text
                << "\n";
    }
  }
}

void print_envelopes(const node::WorkspaceStatus& s) {
  print_section("Envelopes (newest in and out)");
  std::vector<node::EnvelopeEvent> all = s.recent_in;
  all.insert(all.end(), s.recent_out.begin(), s.recent_out.end());
  std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.at > b.at; });
  if (all.empty()) {
    std::cout << "  none yet (`bwoc send PEER/AGENT --from AGENT --payload JSON` sends one)\n";
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const node::EnvelopeEvent& e : all) {
    bool in = e.direction == node::EnvelopeEvent::Direction::in;
    std::string ours = e.agent.empty() ? "-" : e.agent;
    std::string theirs = (e.peer.empty() ? "(undeclared)" : e.peer) + "/" + e.remote_agent;
    rows.push_back({"  " + age(s.at, e.at), std::string(node::direction_name(e.direction)), std::string(via_name(e.via)),
                    terminal_safe(in ? theirs : ours), terminal_safe(in ? ours : theirs), terminal_safe(e.kind),
                    e.id.substr(0, 12), e.receipt});
  }
  print_table({"  WHEN", "DIR", "VIA", "FROM", "TO", "KIND", "ID", "RECEIPT"}, rows);
}

void print_refusals(const node::WorkspaceStatus& s) {
  const node::RefusalCounts& r = s.refusals_24h;
  std::cout << "\nRefusals in the last 24 hours: " << (r.partial ? "at least " : "") << r.total;
  if (!r.by_reason.empty()) {
    std::string reasons;
    for (const auto& [reason, n] : r.by_reason) reasons += (reasons.empty() ? "" : ", ") + reason + " " + std::to_string(n);
    std::cout << " (" << reasons << "): `bwoc inbox refusals` shows them";
  }
  std::cout << "\n";
}

void print_requests(const node::WorkspaceStatus& s) {
  if (s.pending_requests.empty()) return;
  std::map<std::string, std::size_t> by_state;
  for (const RequestEntry& e : s.pending_requests) ++by_state[std::string(request_state_name(e.state))];
  std::string states;
  for (const auto& [state, n] : by_state) states += (states.empty() ? "" : ", ") + state + " " + std::to_string(n);
  std::cout << "\nRequests waiting: " << s.pending_requests.size() << " (" << states
            << "): `bwoc requests` lists them, `bwoc result ID` reads one\n";
}

void print_skills(const node::WorkspaceStatus& s) {
  print_section("Skills");
  if (s.skills.empty() && s.calls.records == 0) {
    std::cout << "  none declared (agents/NAME/config.manifest.json; see docs/SKILLS.md)\n";
    return;
  }
  if (!s.skills.empty()) {
    std::string declared;
    for (const node::SkillStatus& k : s.skills) {
      declared += (declared.empty() ? "" : ", ") + k.agent + "/" + k.name + " " + k.version + " (" + k.visibility +
                  ", tier " + std::to_string(k.min_tier) + ")";
    }
    std::cout << "  declared: " << declared << "\n";
  }
  if (s.calls.records == 0) {
    std::cout << "  no calls recorded yet\n";
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const skill::CallStats& c : s.calls.by_skill) {
    std::size_t colon = c.key.find(':');
    double rate = c.calls ? 100.0 * static_cast<double>(c.errors) / static_cast<double>(c.calls) : 0;
    rows.push_back({"  " + c.key.substr(0, colon), terminal_safe(c.key.substr(colon + 1)), std::to_string(c.calls),
                    fixed(rate) + "%", fixed(c.p50_ms), fixed(c.p95_ms), fixed(c.p99_ms)});
  }
  print_table({"  SIDE", "SKILL", "CALLS", "ERROR RATE", "P50 MS", "P95 MS", "P99 MS"}, rows);
}

}  // namespace

int run_status(Context& ctx, const StatusOptions& o) {
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  node::StatusOptions options;
  options.probe = o.probe;
  auto timeout = millis(o.timeout, "--timeout");
  if (!timeout.ok()) return fail(ctx, timeout.error());
  if (timeout->count() < 1 || timeout->count() > 60'000) return usage(ctx, "--timeout must be between 1ms and 60s");
  options.probe_timeout = *timeout;
  if (o.recent > 1000) return usage(ctx, "--recent is at most 1000");
  options.recent = o.recent;
  Result<node::WorkspaceStatus> status = Error(Errc::internal, "not collected");
  {
    Progress progress(o.probe ? "probing peers" : "");
    status = node::collect_status(*ws, options);
  }
  if (!status.ok()) return fail(ctx, status.error());
  if (o.json) {
    print_json(node::status_json(*status));
    return 0;
  }
  print_identity(*status);
  for (const std::string& p : status->problems) std::cout << "problem      " << terminal_safe(p) << "\n";
  print_services(*status);
  print_peers(*status, o.probe);
  print_goals(*status);
  print_envelopes(*status);
  print_refusals(*status);
  print_requests(*status);
  print_skills(*status);
  return 0;
}

}  // namespace bwoc::cli
