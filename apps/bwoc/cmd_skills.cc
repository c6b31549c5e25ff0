// bwoc skills, discover, call: this workspace's skills, and calling peers'.
#include <iomanip>
#include <iostream>
#include <sstream>
#include <thread>

#include "bwoc/core/files.h"
#include "bwoc/core/log.h"
#include "bwoc/core/requests.h"
#include "bwoc/core/terminal_text.h"
#include "bwoc/core/trust.h"
#include "bwoc/peer/send.h"
#include "bwoc/peer/skills.h"
#include "bwoc/skill/host.h"
#include "bwoc/skill/llm.h"
#include "bwoc/skill/manifest.h"
#include "bwoc/skill/metering.h"
#include "bwoc/skill/skill_md.h"
#include "bwoc/node/client.h"
#include "bwoc/node/views.h"
#include "commands.h"
#include "progress.h"

namespace bwoc::cli {

namespace {

std::vector<std::string> agents_of(const Workspace& ws, const std::optional<std::string>& only) {
  if (only) return {agent_name(*only)};
  return ws.agents();
}

// The agent that declares skill `name`: --agent, or the only one that does.
Result<std::string> owner_of(const Workspace& ws, const std::string& name, const std::optional<std::string>& agent) {
  if (agent) return agent_name(*agent);
  std::vector<std::string> owners;
  for (const std::string& a : ws.agents()) {
    auto skills = skill::load_skills(ws, a);
    if (!skills.ok()) return skills.error();
    for (const skill::Skill& s : *skills) {
      if (s.name == name) owners.push_back(a);
    }
  }
  if (owners.empty()) return Error(Errc::not_found, "no agent of this workspace declares a skill \"" + name + "\"");
  if (owners.size() > 1) {
    return Error(Errc::invalid_argument, "several agents declare \"" + name + "\" (" + owners[0] + ", " + owners[1] +
                                             "): say which with --agent");
  }
  return owners[0];
}

std::string ms_text(double ms) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(ms < 10 ? 2 : 1) << ms;
  return out.str();
}

int set_visibility(Context& ctx, const SkillsOptions& o, skill::Visibility v) {
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  auto owner = owner_of(*ws, o.name, o.agent);
  if (!owner.ok()) return fail(ctx, owner.error());
  if (Status st = skill::set_visibility(*ws, *owner, o.name, v); !st.ok()) return fail(ctx, st.error());
  std::cout << "Skill \"" << o.name << "\" of " << *owner << " is now " << skill::visibility_name(v)
            << (v == skill::Visibility::exposed ? ": peers whose tier reaches its min_tier can discover and call it\n"
                                                : ": callers get \"Unknown skill\", as for a skill that does not exist\n");
  return 0;
}

// A request to PEER or PEER/AGENT from our agent (--from), and the client that sends it.
struct Asking {
  std::unique_ptr<node::Client> client;
  peer::AskRequest request;
};

Result<Asking> prepare(const Context& ctx, const CallOptions& o) {
  BWOC_ASSIGN_OR_RETURN(Workspace ws, ctx.open_workspace());
  BWOC_ASSIGN_OR_RETURN(std::chrono::milliseconds timeout, millis(o.timeout, "--timeout"));
  Asking a;
  if (o.target.find('/') != std::string::npos) {
    BWOC_ASSIGN_OR_RETURN(auto pa, peer::split_peer_agent(o.target));
    a.request.peer = pa.first;
    a.request.agent = pa.second;
  } else {
    if (!is_valid_peer_key(o.target)) return Error(Errc::invalid_argument, "\"" + o.target + "\" is not a peer key");
    a.request.peer = o.target;
  }
  if (!o.skill.empty() && !skill::is_valid_skill_name(o.skill)) {
    return Error(Errc::invalid_argument, "\"" + o.skill + "\" is not a skill name ([a-z][a-z0-9._-], at most 64)");
  }
  if (o.from) a.request.from = agent_name(*o.from);
  a.request.timeout = timeout;
  if (o.seal) a.request.seal = peer::SealMode::always;
  if (o.via) {
    auto v = via_from_name(*o.via);
    if (!v) return Error(Errc::invalid_argument, "--via is path, a2a or mqtt");
    a.request.via = *v;
  }
  BWOC_ASSIGN_OR_RETURN(a.client, node::Client::open(ws, timeout));
  return a;
}

// A call, kept as a request while it waits (and after, when no answer came).
struct HeldRequest {
  std::unique_ptr<RequestStore> store;  // null: not a request (no such peer)
  std::string id;
};

Result<HeldRequest> hold_as_request(Asking& a, const CallOptions& o, const json::Value& input) {
  HeldRequest held;
  // No such peer, or its key revoked: nothing is queued, the call says why.
  const PeerRoute* route = a.client->routes().find(a.request.peer);
  if (route == nullptr || !refuse_if_revoked(*route).ok()) return held;
  BWOC_ASSIGN_OR_RETURN(std::int64_t deadline, parse_duration(o.deadline));
  if (deadline <= 0 || deadline > kMaxRequestDeadlineMs) {
    return Error(Errc::invalid_argument, "--deadline: a duration such as 30m or 2d, at most 30d");
  }
  BWOC_ASSIGN_OR_RETURN(std::string from, a.client->speaker(a.request.from));
  UnixMillis now = now_millis();
  RequestDraft d;
  d.peer = a.request.peer;
  d.agent = a.request.agent;
  d.from = from;
  d.skill = o.skill;
  d.input = input;
  d.version = o.version;
  d.deadline = now + std::max<std::int64_t>(deadline, a.request.timeout.count());
  d.not_before = now + a.request.timeout.count();
  BWOC_ASSIGN_OR_RETURN(held.store, RequestStore::open(a.client->workspace()));
  BWOC_ASSIGN_OR_RETURN(auto ids, held.store->enqueue({d}, now));
  held.id = ids.front();
  a.request.payload = json::Value::object({{std::string(kIdemMember), held.id},
                                           {std::string(kDeadlineMember), format_timestamp(d.deadline)}});
  a.request.waits_for_peer = true;
  RequestStore* store = held.store.get();
  std::string id = held.id;
  a.request.on_signed = [store, id](const Envelope& sent) {
    return store->record_attempts({RequestStore::Attempt{id, sent.id, sent.aud, ""}});
  };
  return held;
}

// "over a2a (path failed first: …)".
std::string carried_by(const peer::AskResult& r) {
  std::string out = "over " + std::string(via_name(r.via));
  if (!r.skipped.empty()) out += " (" + peer::describe_skipped(r.skipped) + ")";
  return out;
}

std::string schema_summary(const json::Value& schema) {
  const json::Value* props = schema.find("properties");
  if (props == nullptr || !props->is_object()) return summarize(schema, 40);
  std::string out;
  for (const json::Member& m : props->members()) {
    const json::Value* type = m.value.find("type");
    out += (out.empty() ? "" : ", ") + m.name + (type && type->is_string() ? ":" + type->as_string() : "");
  }
  return "{" + out + "}";
}

}  // namespace

int run_skills_list(Context& ctx, const SkillsOptions& o) {
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  json::Value out = json::Value::array();
  std::vector<std::vector<std::string>> rows;
  for (const std::string& agent : agents_of(*ws, o.agent)) {
    auto skills = skill::load_skills(*ws, agent);
    if (!skills.ok()) return fail(ctx, skills.error());
    for (const skill::Skill& s : *skills) {
      out.push_back(node::skill_listing_json(agent, s));
      rows.push_back({agent, s.name, s.version, std::string(skill::visibility_name(s.visibility)),
                      std::to_string(s.min_tier), s.description.size() > 60 ? s.description.substr(0, 57) + "..." : s.description});
    }
  }
  if (o.json) {
    print_json(out);
    return 0;
  }
  if (rows.empty()) {
    std::cout << "no skills declared (add them to agents/NAME/config.manifest.json; see docs/SKILLS.md)\n";
    return 0;
  }
  print_table({"AGENT", "SKILL", "VERSION", "VISIBILITY", "MIN TIER", "DESCRIPTION"}, rows);
  return 0;
}

int run_skills_expose(Context& ctx, const SkillsOptions& o) { return set_visibility(ctx, o, skill::Visibility::exposed); }
int run_skills_hide(Context& ctx, const SkillsOptions& o) { return set_visibility(ctx, o, skill::Visibility::hidden); }

int run_skills_preview(Context& ctx, const SkillsOptions& o) {
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  json::Value out = json::Value::array();
  for (const std::string& agent : agents_of(*ws, o.agent)) {
    // A broken manifest offers nothing to peers; here it is an error to fix.
    if (auto valid = skill::load_skills(*ws, agent); !valid.ok()) return fail(ctx, valid.error());
    auto host = skill::SkillHost::open(*ws, agent);
    if (!host.ok()) return fail(ctx, host.error());
    auto seen = (*host)->discovery(o.tier);
    if (!seen.ok()) return fail(ctx, seen.error());
    out.push_back(std::move(seen).value());
  }
  if (o.json) {
    print_json(out);
    return 0;
  }
  std::cout << "A peer of tier " << o.tier << " (" << tier_name(o.tier) << ") discovers:\n";
  std::size_t total = 0;
  for (const json::Value& answer : out.items()) {
    for (const json::Value& s : answer.find("skills")->items()) {
      ++total;
      std::cout << "  " << answer.find("agent")->as_string() << "/" << s.find("name")->as_string() << " "
                << s.find("version")->as_string() << "  " << s.find("description")->as_string() << "\n"
                << "      input " << schema_summary(*s.find("input_schema")) << "  output "
                << schema_summary(*s.find("output_schema")) << "\n";
    }
  }
  if (total == 0) std::cout << "  nothing\n";
  return 0;
}

int run_skills_stats(Context& ctx, const SkillsOptions& o) {
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  auto report = skill::call_stats(*ws);
  if (!report.ok()) return fail(ctx, report.error());
  if (o.json) {
    print_json(skill::stats_json(*report));
    return 0;
  }
  if (report->records == 0) {
    std::cout << "no skill calls recorded yet\n";
    return 0;
  }
  auto table = [](const std::vector<skill::CallStats>& stats, const char* what) {
    std::vector<std::vector<std::string>> rows;
    for (const skill::CallStats& s : stats) {
      std::size_t colon = s.key.find(':');
      double rate = s.calls ? 100.0 * static_cast<double>(s.errors) / static_cast<double>(s.calls) : 0;
      rows.push_back({s.key.substr(0, colon), s.key.substr(colon + 1), std::to_string(s.calls), std::to_string(s.errors),
                      ms_text(rate) + "%", ms_text(s.p50_ms), ms_text(s.p95_ms), ms_text(s.p99_ms)});
    }
    print_table({"SIDE", what, "CALLS", "ERRORS", "ERROR RATE", "P50 MS", "P95 MS", "P99 MS"}, rows);
  };
  table(report->by_skill, "SKILL");
  std::cout << "\n";
  table(report->by_peer, "PEER");
  return 0;
}

int run_skills_wrap(Context& ctx, const SkillsOptions& o) {
  auto md = skill::read_skill_md(o.dir);
  if (!md.ok()) return fail(ctx, md.error());
  auto contract = skill::skill_md_contract(*md);
  if (!contract.ok()) return fail(ctx, contract.error());
  if (o.json) {
    print_json(*contract);
    return 0;
  }
  std::cout << "What a peer discovers of \"" << md->name << "\" (from " << md->file.string() << "):\n";
  print_json(*contract);
  std::cout << "The instructions (" << md->instructions.size()
            << " bytes, the SKILL.md body) are not in it: they stay on this machine as the system prompt of the\n"
               "chat-completions endpoint in .bwoc/llm.toml, and a reply that repeats them is refused.\n"
               "Declare it with `bwoc skills add "
            << o.dir << "`.\n";
  return 0;
}

int run_skills_add(Context& ctx, const SkillsOptions& o) {
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  std::string agent;
  if (o.agent) {
    agent = agent_name(*o.agent);
  } else {
    std::vector<std::string> agents = ws->agents();
    if (agents.size() != 1) {
      return usage(ctx, agents.empty() ? "this workspace has no agent: `bwoc agent add NAME`"
                                       : "several agents: say which with --agent agents/NAME");
    }
    agent = agents.front();
  }
  auto md = skill::read_skill_md(o.dir);
  if (!md.ok()) return fail(ctx, md.error());
  auto added = skill::add_skill_md(*ws, agent, *md);
  if (!added.ok()) return fail(ctx, added.error());
  std::cout << "Skill \"" << md->name << "\" of " << agent << " " << (added->replaced ? "updated" : "declared")
            << ": answered by an LLM with the SKILL.md body as its instructions, which never leave this machine.\n";
  auto endpoint = skill::load_chat_endpoint(*ws);
  if (endpoint.ok()) {
    std::cout << "Endpoint: model " << endpoint->model << " at " << endpoint->base_url << " (.bwoc/llm.toml).\n";
  } else {
    std::cout << "No endpoint yet: " << endpoint.error().message() << ".\n";
  }
  if (added->visibility != "exposed") {
    std::cout << "It is hidden: `bwoc skills expose " << md->name << "` lets peers of its min_tier call it.\n";
  }
  return 0;
}

int run_discover(Context& ctx, const CallOptions& o) {
  auto a = prepare(ctx, o);
  if (!a.ok()) return fail(ctx, a.error());
  Result<peer::SkillAnswer> answer = Error(Errc::internal, "not asked");
  {
    Progress waiting("waiting for " + a->request.peer + "'s skills");
    answer = a->client->discover(a->request);
  }
  if (!answer.ok()) return fail(ctx, answer.error());
  if (!answer->ok) return fail(ctx, Error(Errc::refused, "peer \"" + a->request.peer + "\" answered: " + answer->error));
  if (o.json) {
    print_json(answer->payload);
    return 0;
  }
  const json::Value* skills = answer->payload.find("skills");
  std::size_t n = skills && skills->is_array() ? skills->items().size() : 0;
  // Names, descriptions and schemas below are the peer's own text.
  std::cout << a->request.peer << "/" << terminal_safe(answer->ask.agent) << " offers " << n << (n == 1 ? " skill" : " skills")
            << " (" << terminal_safe(carried_by(answer->ask)) << ", answer signed by the pinned key)\n";
  for (std::size_t i = 0; i < n; ++i) {
    const json::Value& s = skills->items()[i];
    auto text = [&](const char* f) {
      const json::Value* v = s.find(f);
      return v && v->is_string() ? terminal_safe(v->as_string()) : std::string();
    };
    std::cout << "  " << text("name") << " " << text("version") << "  " << text("description") << "\n";
    if (!text("when_to_use").empty()) std::cout << "      when: " << text("when_to_use") << "\n";
    if (const json::Value* in = s.find("input_schema")) std::cout << "      input " << terminal_safe(schema_summary(*in));
    if (const json::Value* out = s.find("output_schema")) {
      std::cout << "  output " << terminal_safe(schema_summary(*out)) << "\n";
    }
  }
  return 0;
}

int run_call(Context& ctx, const CallOptions& o) {
  only_problems_in_the_log();
  auto a = prepare(ctx, o);
  if (!a.ok()) return fail(ctx, a.error());
  json::Value input = json::Value::object();
  if (o.input || o.input_file) {
    auto read = read_payload(o.input, o.input_file);
    if (!read.ok()) return fail(ctx, Error(read.error().code(), "--input: " + read.error().message()));
    input = std::move(read).value();
  }
  // The call is a request (bwoc/core/requests.h): in the outbox first, held
  // for this command while it waits, then left to the services' courier.
  auto pending = hold_as_request(*a, o, input);
  if (!pending.ok()) return fail(ctx, pending.error());
  Result<peer::SkillAnswer> answer = Error(Errc::internal, "not called");
  {
    Progress waiting("waiting for " + a->request.peer + "'s answer");
    std::size_t attempts = 0;
    a->request.on_attempt = [&waiting, &attempts](Via via, std::size_t) {
      if (waiting.shown()) waiting.note(call_note(via_name(via), attempts));
      ++attempts;
    };
    // A request waits for its peer: one that cannot be reached now is tried
    // again, after a growing pause, for as long as the call waits.
    using Clock = std::chrono::steady_clock;
    Clock::time_point give_up = Clock::now() + a->request.timeout;
    std::chrono::milliseconds pause(250);
    for (;;) {
      answer = a->client->call(a->request, o.skill, input, o.version);
      if (answer.ok() && pending->store) {
        // Signed by the peer, and still no answer of this request (another
        // request's, another skill's): refused, logged, never shown.
        auto judged = pending->store->judge_answer(answer->ask.answer);
        if (judged.ok() && judged->verdict == AnswerVerdict::refused) {
          answer = Error(Errc::unavailable, "peer \"" + a->request.peer + "\"'s answer was refused (" + judged->reason + ")");
        }
      }
      if (answer.ok() || !pending->store) break;
      Errc code = answer.error().code();
      if (code != Errc::unavailable && code != Errc::timeout) break;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(give_up - Clock::now());
      if (left < std::chrono::milliseconds(100)) break;
      auto nap = std::min(pause, left / 2);
      std::this_thread::sleep_for(nap);
      a->request.timeout = left - nap;
      pause = std::min(pause * 2, std::chrono::milliseconds(4000));
    }
  }
  if (pending->store) {
    // Giving up waiting is no failure: the request goes on (exit 0).
    auto still_pending = [&](const std::string& why) {
      std::cerr << "bwoc call: " << why << "; the request is still pending as " << pending->id << ": `bwoc result "
                << pending->id << " --wait` picks it up, a running service delivers it\n";
      if (o.json) print_json(json::Value::object({{"ok", false}, {"pending", true}, {"request", pending->id}}));
      return 0;
    };
    if (!answer.ok() && (answer.error().code() == Errc::timeout || answer.error().code() == Errc::unavailable)) {
      return still_pending(answer.error().message());
    }
    if (answer.ok()) {
      if (const json::Value* st = answer->payload.find("state"); st != nullptr && *st == json::Value("working")) {
        return still_pending("peer \"" + a->request.peer + "\" is at work on it");
      }
      auto taken = pending->store->take_answer(answer->ask.answer, via_name(answer->ask.via));
      if (!taken.ok()) log::warning("request.answer_not_taken", {{"error", taken.error().message()}});
    } else {
      auto cancelled = pending->store->cancel(pending->id, answer.error().message());
      (void)cancelled;
    }
  }
  if (!answer.ok()) return fail(ctx, answer.error());
  std::string note = answer->refusals_note.empty() ? "" : " (" + answer->refusals_note + ")";
  if (!answer->ask.skipped.empty()) {
    std::cerr << "bwoc call: answered " << carried_by(answer->ask) << "\n";
  }
  if (o.json) {
    print_json(json::Value::object({{"ok", answer->ok},
                                    {"kind", answer->ask.answer.kind},
                                    {"via", std::string(via_name(answer->ask.via))},
                                    {"skipped", [&] {
                                       json::Value arr = json::Value::array();
                                       for (const std::string& k : answer->ask.skipped) arr.push_back(k);
                                       return arr;
                                     }()},
                                    {"agent", answer->ask.agent},
                                    {"id", answer->ask.answer.id},
                                    {"re", answer->ask.answer.re.value_or("")},
                                    {"ms", static_cast<double>(answer->ask.elapsed.count()) / 1000.0},
                                    {"payload", answer->payload}}));
    return answer->ok ? 0 : 1;
  }
  if (!answer->ok) {
    std::string detail;
    if (const json::Value* d = answer->payload.find("detail"); d && d->is_string()) detail = ": " + d->as_string();
    if (const json::Value* v = answer->payload.find("available"); v && v->is_string()) detail = " (available: " + v->as_string() + ")";
    return fail(ctx, Error(Errc::refused, "peer \"" + a->request.peer + "\" answered: " + answer->error + detail + note));
  }
  const json::Value* output = answer->payload.find("output");
  print_json(output ? *output : json::Value());
  return 0;
}

}  // namespace bwoc::cli
