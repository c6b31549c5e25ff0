// bwoc: a node that makes an agent workspace part of a network of workspaces.
//
// This file declares the whole command line; it is the only one that
// includes CLI11. The work of each subcommand is in cmd_*.cc.
#include <CLI/CLI.hpp>
#include <signal.h>

#include <iostream>
#include <string>

#include "bwoc/core/version.h"
#include "cmd_mcp.h"
#include "commands.h"

namespace bwoc::cli {
namespace {

constexpr const char* kDescription =
    "bwoc makes an agent workspace a node in a network of workspaces.\n"
    "Every message is a signed envelope, verified before anything acts on it; it\n"
    "travels over a peer folder, A2A (JSON-RPC over HTTP) or MQTT.\n\n"
    "Start here:\n"
    "  bwoc demo                      two workspaces talking, in a temporary folder\n"
    "  bwoc init --name alpha         make this folder a workspace\n"
    "  bwoc trust --keygen            give it its Ed25519 key pair\n"
    "  bwoc agent add agent-a         add an agent (agents/agent-a/)\n"
    "  bwoc send PEER/AGENT --from agent-a --payload '{\"text\":\"hi\"}'\n\n"
    "The workspace is found from --workspace, $BWOC_WORKSPACE, or the nearest\n"
    "folder holding .bwoc/ above the current one. Exit codes: 0 ok, 1 failure,\n"
    "2 usage error or not found.";

// For counts read into unsigned integers, where "-1" would otherwise wrap
// around to a huge number and be taken as a limit.
const CLI::Validator kNotNegative(
    [](std::string& text) { return !text.empty() && text[0] == '-' ? std::string("must not be negative") : ""; }, "",
    "not negative");

// Runs `action` with `opts` when `sub` is the chosen subcommand.
template <class Options>
void on(CLI::App* sub, Context& ctx, std::string name, std::shared_ptr<Options> opts,
        int (*action)(Context&, const Options&)) {
  sub->callback([&ctx, name = std::move(name), opts, action] {
    ctx.command = name;
    ctx.action = [&ctx, opts, action] { return action(ctx, *opts); };
  });
}

void declare_init(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<InitOptions>();
  CLI::App* cmd = app.add_subcommand("init", "Make a folder a bwoc workspace");
  cmd->footer(
      "Creates .bwoc/identity.toml, .bwoc/routes.toml (no peers yet, with an example),\n"
      ".bwoc/interconnect/shared.toml, the credential store, agents/, and a .gitignore\n"
      "that keeps the credential store and node state out of git.\n\n"
      "Example:\n  bwoc init ~/agents/alpha --name alpha --keygen");
  cmd->add_option("dir", o->dir, "Folder to initialize (default: the current folder)");
  cmd->add_option("-n,--name", o->name, "Workspace name, [a-z0-9][a-z0-9._-]{0,63} (default: the folder's name)");
  cmd->add_flag("--keygen", o->keygen, "Also make the workspace's key pair (as `bwoc trust --keygen`)");
  on(cmd, ctx, "init", o, run_init);
}

void declare_trust(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<TrustOptions>();
  CLI::App* trust = app.add_subcommand("trust", "The workspace's key pair, and its peers' trust tiers");
  trust->require_subcommand(0, 1);
  trust->footer(
      "  bwoc trust --keygen      make the Ed25519 key pair, and the X25519 pair sealed\n"
      "                           payloads are sealed to: the secrets go to the credential\n"
      "                           store (.bwoc/credentials/, mode 0600), the public keys\n"
      "                           to .bwoc/identity.toml (the X25519 one signed)\n"
      "  bwoc trust show          print the name, public keys and fingerprint to share\n"
      "  bwoc trust rotate        new key pairs, told to every peer (see its --help)\n"
      "  bwoc trust revoke        a leaked key, refused by every peer at once\n\n"
      "Replacing a key (--force) breaks every peer that pinned the old one: rotate instead.");
  trust->add_flag("--keygen", o->keygen, "Make the workspace's key pair");
  trust->add_flag("--force", o->force, "With --keygen: replace an existing key");
  trust->callback([&ctx, o, trust] {
    if (!trust->get_subcommands().empty()) return;  // a subcommand decides
    ctx.command = "trust";
    ctx.action = [&ctx, o] { return run_trust_keygen(ctx, *o); };
  });
  CLI::App* show = trust->add_subcommand("show", "Print this workspace's name, public key and fingerprint");
  show->add_flag("--json", o->json, "Print JSON");
  on(show, ctx, "trust show", o, run_trust_show);
  CLI::App* list = trust->add_subcommand("list", "Every declared peer's trust tier, and its failed calls");
  list->footer(
      "Tiers: 0 UNTRUSTED (ping only, sees no skills), 1 KNOWN (discovers and calls\n"
      "exposed skills; a declared peer's default), 2 INTERNAL, 3 PRIVILEGED (by hand\n"
      "only). routes.toml gives the starting tier; changes live in .bwoc/state/trust.json\n"
      "and each is a line in .bwoc/state/trust-audit.jsonl. 3 failed or refused calls in\n"
      "a row lower a peer one tier, 10 in all lower it to UNTRUSTED.");
  list->add_flag("--json", o->json, "Print JSON");
  on(list, ctx, "trust list", o, run_trust_list);
  CLI::App* rotate = trust->add_subcommand("rotate", "Make a new key pair and tell every peer (signed by both keys)");
  rotate->footer(
      "Sends each declared peer a key.rotate signed by the old key and by the new one;\n"
      "each re-pins this workspace in its routes.toml and accepts the old key until\n"
      "the grace period ends, so that envelopes already on their way still arrive.\n"
      "A peer that is away gets it when it is back.");
  rotate->add_option("--grace", o->grace, "How long peers still accept the old key (default 7d, at most 30d)");
  rotate->add_option("--timeout", o->timeout, "How long to wait for each peer's answer (default 15s)");
  on(rotate, ctx, "trust rotate", o, run_trust_rotate);
  CLI::App* revoke = trust->add_subcommand("revoke", "Revoke a leaked key: every peer refuses it at once");
  revoke->footer(
      "Sends each declared peer a key.revoke signed by the key it revokes (whoever\n"
      "holds a leaked key can only lock himself out), then makes a new key pair.\n"
      "Peers refuse the old key at once and list this workspace as needing a new\n"
      "invite. A peer that is away gets it when it is back.");
  revoke->add_flag("--force", o->force, "Yes, revoke it");
  revoke->add_option("--timeout", o->timeout, "How long to wait for each peer's answer (default 15s)");
  on(revoke, ctx, "trust revoke", o, run_trust_revoke);
  CLI::App* set = trust->add_subcommand("set", "Set a peer's tier by hand (and clear its failure counts)");
  set->add_option("peer", o->peer, "The peer's alias in routes.toml")->required();
  set->add_option("tier", o->tier, "0-3 or UNTRUSTED, KNOWN, INTERNAL, PRIVILEGED")->required();
  on(set, ctx, "trust set", o, run_trust_set);
}

void declare_goal(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<GoalOptions>();
  CLI::App* goal = app.add_subcommand("goal", "Raise a peer's tier for one collaboration, with key results");
  goal->require_subcommand(1);
  goal->footer(
      "  bwoc goal start oracle --objective \"Write the Q3 incident review\" --grant 2 --expires 7d\n"
      "  bwoc goal kr add g1 \"Draft reviewed by both sides\"\n"
      "  bwoc goal kr done g1 1\n"
      "  bwoc goal done g1          the peer steps down one tier (never below where it was)\n\n"
      "A goal grants KNOWN or INTERNAL; PRIVILEGED is only ever set with `bwoc trust set`.\n"
      "An expired goal steps its peer down as if it were done.");
  CLI::App* start = goal->add_subcommand("start", "Start a goal: raise PEER to --grant until it is done or expires");
  start->add_option("peer", o->peer, "The peer's alias")->required();
  start->add_option("--objective", o->objective, "What the collaboration is for")->required();
  start->add_option("--grant", o->grant, "The tier it grants: 1/KNOWN or 2/INTERNAL")->required();
  start->add_option("--expires", o->expires, "Step down after this long, such as 7d or 12h (default: never)");
  start->add_flag("--json", o->json, "Print JSON");
  on(start, ctx, "goal start", o, run_goal_start);
  CLI::App* done = goal->add_subcommand("done", "Finish a goal: its peer steps down one tier");
  done->add_option("id", o->id, "The goal, such as g1")->required();
  on(done, ctx, "goal done", o, run_goal_done);
  CLI::App* list = goal->add_subcommand("list", "Every goal with its key results");
  list->add_flag("--json", o->json, "Print JSON");
  on(list, ctx, "goal list", o, run_goal_list);
  CLI::App* kr = goal->add_subcommand("kr", "A goal's key results: add one, tick one");
  kr->require_subcommand(1);
  CLI::App* kr_add = kr->add_subcommand("add", "Add a key result to a goal");
  kr_add->add_option("id", o->id, "The goal")->required();
  kr_add->add_option("text", o->text, "The key result")->required();
  on(kr_add, ctx, "goal kr add", o, run_goal_kr_add);
  CLI::App* kr_done = kr->add_subcommand("done", "Tick a key result");
  kr_done->add_option("id", o->id, "The goal")->required();
  kr_done->add_option("number", o->number, "Its number in `bwoc goal list` (1, 2, ...)")->required();
  on(kr_done, ctx, "goal kr done", o, run_goal_kr_done);
}

// SKILL.md skills: `skills wrap DIR` and `skills add DIR`.
void declare_skill_md(CLI::App* skills, Context& ctx, const std::shared_ptr<SkillsOptions>& o) {
  CLI::App* wrap = skills->add_subcommand("wrap", "Read a SKILL.md and print exactly what peers would see of it");
  wrap->footer(
      "The front matter gives name, description and optionally when_to_use, version,\n"
      "input_schema and output_schema; the body is the instructions, which stay here.");
  wrap->add_option("dir", o->dir, "The SKILL.md's folder (or the file)")->required();
  wrap->add_flag("--json", o->json, "Print only the contract, as JSON");
  on(wrap, ctx, "skills wrap", o, run_skills_wrap);
  CLI::App* add = skills->add_subcommand("add", "Declare a SKILL.md as an LLM-backed skill of an agent (hidden until exposed)");
  add->footer(
      "Calls send the SKILL.md body as the system prompt and the input as the user message\n"
      "to the OpenAI-compatible endpoint in .bwoc/llm.toml (see docs/WORKSPACE.md).");
  add->add_option("dir", o->dir, "The SKILL.md's folder (or the file)")->required();
  add->add_option("--agent", o->agent, "The agent that offers it (needed when there are several)");
  on(add, ctx, "skills add", o, run_skills_add);
}

void declare_skills(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<SkillsOptions>();
  CLI::App* skills = app.add_subcommand("skills", "This workspace's skills: list, expose, hide, preview, stats");
  skills->require_subcommand(1);
  skills->footer(
      "Skills are declared in agents/NAME/config.manifest.json (see docs/SKILLS.md):\n"
      "a contract peers may see (name, description, when_to_use, version, JSON Schema\n"
      "draft-7 input_schema and output_schema, min_tier) and a private part that never\n"
      "leaves the node (run: the argv of an executable). A skill without visibility is\n"
      "hidden until you expose it.");
  CLI::App* list = skills->add_subcommand("list", "Every agent's skills, with visibility and minimum tier");
  list->add_option("--agent", o->agent, "Only this agent's");
  list->add_flag("--json", o->json, "Print JSON");
  on(list, ctx, "skills list", o, run_skills_list);
  CLI::App* expose = skills->add_subcommand("expose", "Let peers of its min_tier discover and call a skill");
  expose->add_option("name", o->name, "The skill")->required();
  expose->add_option("--agent", o->agent, "The agent that declares it (needed when several do)");
  on(expose, ctx, "skills expose", o, run_skills_expose);
  CLI::App* hide = skills->add_subcommand("hide", "Hide a skill: callers get \"Unknown skill\", as for one that does not exist");
  hide->add_option("name", o->name, "The skill")->required();
  hide->add_option("--agent", o->agent, "The agent that declares it (needed when several do)");
  on(hide, ctx, "skills hide", o, run_skills_hide);
  CLI::App* preview = skills->add_subcommand("preview", "Exactly what a peer of a tier would discover");
  preview->add_option("--tier", o->tier, "The tier, 0 to 3")->required()->check(CLI::Range(0, 3));
  preview->add_option("--agent", o->agent, "Only this agent's");
  preview->add_flag("--json", o->json, "Print the discovery answers as JSON");
  on(preview, ctx, "skills preview", o, run_skills_preview);
  CLI::App* stats = skills->add_subcommand("stats", "Calls per skill and per peer: counts, error rate, p50/p95/p99");
  stats->add_flag("--json", o->json, "Print JSON");
  on(stats, ctx, "skills stats", o, run_skills_stats);
  declare_skill_md(skills, ctx, o);
}

void declare_call(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<CallOptions>();
  CLI::App* discover = app.add_subcommand("discover", "The skills a peer's agent offers us (by our tier there)");
  discover->footer(
      "Sends a signed skill.discover envelope and prints the contracts in the signed\n"
      "answer: name, version, when to use, input and output schemas, hashes.\n"
      "PEER alone asks the agent its card serves (url) or the first it lists (path).");
  discover->add_option("peer", o->target, "PEER or PEER/AGENT")->required();
  discover->add_option("--from", o->from, "Our agent that asks (default: the first)");
  discover->add_option("--via", o->via, "Use this transport only: path, a2a or mqtt")
      ->check(CLI::IsMember({"path", "a2a", "url", "mqtt"}));
  discover->add_option("--timeout", o->timeout, "How long to wait for the answer (default 30s)");
  discover->add_flag("--json", o->json, "Print JSON");
  discover->add_flag("--seal", o->seal, "Seal the payload: only the peer's workspace can read it (fails when its X25519 key is not known)");
  on(discover, ctx, "discover", o, run_discover);
  CLI::App* call = app.add_subcommand("call", "Call a peer's skill and print its output");
  call->footer(
      "  bwoc call oracle summarize --input '{\"text\":\"...\"}'\n"
      "  bwoc call oracle/agent-wenchang summarize --input-file in.json --version 1.0.0\n\n"
      "The output is printed as JSON. An error answer (\"Unknown skill\", \"Invalid input\",\n"
      "\"Skill failed\", a version mismatch) exits 1 with the peer's words.\n\n"
      "A call is a request (see `bwoc request --help`): when no answer comes within\n"
      "--timeout, it stays pending under the id printed on stderr (exit 0; --json\n"
      "prints {\"ok\":false,\"pending\":true,\"request\":ID}), a running service delivers it\n"
      "until --deadline, the peer runs it once, and `bwoc result ID` shows the answer.\n"
      "A peer that is away loses no trust for it. On a terminal, stderr shows the wait:\n"
      "its time, the transport it is on and how many it tried before.\n\n"
      "Exit status: 0 with the output, or still pending; 1 when the peer refused or\n"
      "failed it, or it could not be sent; 2 for a usage error or an unknown peer.");
  call->add_option("peer", o->target, "PEER or PEER/AGENT")->required();
  call->add_option("skill", o->skill, "The skill's name")->required();
  call->add_option("--input", o->input, "Input JSON (default: {})");
  call->add_option("--input-file", o->input_file, "Read the input from a file, or - for stdin");
  call->add_option("--version", o->version, "Only this version of the skill");
  call->add_option("--from", o->from, "Our agent that calls (default: the first)");
  call->add_option("--via", o->via, "Use this transport only: path, a2a or mqtt")
      ->check(CLI::IsMember({"path", "a2a", "url", "mqtt"}));
  call->add_option("--timeout", o->timeout, "How long to wait for the answer (default 30s)");
  call->add_option("--deadline", o->deadline,
                   "How long the request stands after that: delivered by a service until then (default 2d)");
  call->add_flag("--json", o->json, "Print the whole answer as JSON");
  call->add_flag("--seal", o->seal, "Seal the payload: only the peer's workspace can read it (fails when its X25519 key is not known)");
  on(call, ctx, "call", o, run_call);
}

void declare_request(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<RequestOptions>();
  CLI::App* request = app.add_subcommand("request", "Ask a peer's skill for work that may outlive this command");
  request->footer(
      "Prints the request's id at once and returns: the request waits in the outbox\n"
      "(.bwoc/state/requests/) and is delivered over whichever of the peer's transports\n"
      "works, again and again with a growing pause, until the peer answers or the\n"
      "deadline passes. A running service (a2a serve, mqtt subscribe, inbox ingest\n"
      "--watch) delivers it; so does `bwoc requests --deliver` or `bwoc result ID --wait`.\n"
      "The peer runs it once per idempotency key (--key, default: the id), however\n"
      "often it arrives. A peer that is away loses no trust for it.\n\n"
      "  id=$(bwoc request oracle summarize --input '{\"text\":\"...\"}' --deadline 2d)\n"
      "  bwoc requests                 queued, delivered, working, done, failed, expired, cancelled\n"
      "  bwoc result \"$id\" --wait 5m   the output, checked against the peer's key\n"
      "  bwoc request cancel \"$id\"");
  // Checked by the command, not the parser: a required positional would take
  // the word "cancel" before the subcommand is seen.
  request->add_option("peer", o->target, "PEER or PEER/AGENT (required)");
  request->add_option("skill", o->skill, "The skill's name (required)");
  request->add_option("--input", o->input, "Input JSON (default: {})");
  request->add_option("--input-file", o->input_file, "Read the input from a file, or - for stdin");
  request->add_option("--inputs", o->inputs, "One request per line of this JSON-lines file (ids printed in order)");
  request->add_option("--version", o->version, "Only this version of the skill");
  request->add_option("--from", o->from, "Our agent that asks (default: the first)");
  request->add_option("--deadline", o->deadline, "How long the result is wanted: 90s, 30m, 2d (default 2d)");
  request->add_option("--key", o->key, "Idempotency key: the peer runs the work once for it ([A-Za-z0-9._:-], at most 128)");
  request->positionals_at_end(false);
  request->callback([&ctx, o, request] {
    if (!request->get_subcommands().empty()) return;  // `request cancel` decides
    ctx.command = "request";
    ctx.action = [&ctx, o] { return run_request(ctx, *o); };
  });
  CLI::App* cancel = request->add_subcommand("cancel", "Stop delivering a request that is not settled yet");
  cancel->add_option("id", o->id, "The request's id")->required();
  on(cancel, ctx, "request cancel", o, run_request_cancel);

  CLI::App* requests = app.add_subcommand("requests", "What this workspace asked of peers, and what they asked of it");
  requests->footer(
      "Outbound (DIR out: our requests): queued (not delivered yet), delivered (in the\n"
      "peer's folder or hands), working (the peer is at it), done, failed, expired (the\n"
      "deadline passed first), cancelled (by hand, or the peer was removed, lowered to\n"
      "UNTRUSTED, or the goal that let us work with it ended).\n"
      "Inbound (DIR in: work peers asked of us, by their key): working, interrupted (the\n"
      "process that ran it is gone), done, failed, expired, refused (the caller was\n"
      "removed or UNTRUSTED when it would have run). Results go back by themselves\n"
      "until the caller's receipt comes (`bwoc sent` shows each push).");
  requests->add_flag("--json", o->json, "Print JSON");
  requests->add_flag("--deliver", o->deliver, "Deliver every pending request once now, without a service");
  requests->add_option("--via", o->via, "With --deliver: this transport only")
      ->check(CLI::IsMember({"path", "a2a", "url", "mqtt"}));
  on(requests, ctx, "requests", o, run_requests);

  CLI::App* result = app.add_subcommand("result", "A request's result, verified against the peer's key");
  result->footer(
      "Prints the output as JSON (exit 0). A request that failed, expired or was\n"
      "cancelled exits 1 and says why; one still pending exits 1 and says so.\n"
      "--wait [TIMEOUT] (default 60s) delivers it meanwhile and waits for the answer.");
  result->add_option("id", o->id, "The request's id")->required();
  result->add_option("--wait", o->wait, "Wait this long for it (default 60s)")->expected(0, 1);
  result->add_flag("--json", o->json, "Print the request and its answer's payload as JSON");
  on(result, ctx, "result", o, run_result);
}

void declare_agent(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<AgentOptions>();
  CLI::App* agent = app.add_subcommand("agent", "Add and list the workspace's agents");
  agent->require_subcommand(1);
  CLI::App* add = agent->add_subcommand("add", "Add an agent: agents/NAME/config.manifest.json and memories/");
  add->add_option("name", o->name, "Agent name, [a-z0-9][a-z0-9._-]{0,63}")->required();
  add->add_option("-d,--description", o->description, "What the agent does");
  on(add, ctx, "agent add", o, run_agent_add);
  CLI::App* list = agent->add_subcommand("list", "List the workspace's agents");
  list->add_flag("--json", o->json, "Print JSON");
  on(list, ctx, "agent list", o, run_agent_list);
}

void declare_envelope(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<EnvelopeOptions>();
  CLI::App* envelope = app.add_subcommand("envelope", "Sign or verify one envelope (spec: envelope v1)");
  envelope->require_subcommand(1);

  CLI::App* sign = envelope->add_subcommand("sign", "Print an envelope signed with this workspace's key");
  sign->footer(
      "The envelope is printed in canonical form (RFC 8785) on one line.\n\n"
      "Example:\n"
      "  bwoc envelope sign --from agent-a --to agent-b --aud beta --kind feedback \\\n"
      "    --payload '{\"score\":4}' > env.json\n"
      "  bwoc --workspace ../beta envelope verify env.json");
  sign->add_option("--from", o->from, "Sending agent of this workspace")->required();
  sign->add_option("--to", o->to, "Receiving agent of the audience workspace")->required();
  sign->add_option("--aud", o->aud, "The audience: a peer key from routes.toml, \"self\", or ed25519:<base64>")
      ->required();
  sign->add_option("--kind", o->kind, "Envelope kind, [a-z][a-z0-9._-]{0,63} (default: message)");
  sign->add_option("--payload", o->payload, "Payload JSON (default: {})");
  sign->add_option("--payload-file", o->payload_file, "Read the payload from a file, or - for stdin");
  sign->add_option("--re", o->re, "Id of the envelope this one answers");
  sign->add_option("--id", o->id, "Use this id instead of a random one (test vectors only)");
  sign->add_option("--ts", o->ts, "Use this time instead of now (test vectors only)");
  sign->add_flag("--seal", o->seal, "Seal the payload to the audience's X25519 key (routes.toml's seal_key, or this workspace's for self)");
  sign->add_option("--seal-to", o->seal_to, "Seal the payload to this X25519 key, x25519:<base64>");
  on(sign, ctx, "envelope sign", o, run_envelope_sign);

  CLI::App* verify =
      envelope->add_subcommand("verify", "Run every receiver check on an envelope; print ok or the reason");
  verify->footer(
      "Prints `ok` (exit 0) or the reason code of the first failed check (exit 1):\n"
      "malformed, unsupported_version, unknown_sender, wrong_audience,\n"
      "unknown_recipient, bad_signature, stale, future, replayed, and for\n"
      "sealed payloads bad_seal (does not open here) and unsealed (the peer is\n"
      "declared seal = \"required\").\n"
      "A dry run: nothing is delivered, logged or recorded.\n\n"
      "Example:\n  bwoc envelope verify fixture.json --now 2026-11-22T08:00:01Z");
  verify->add_option("file", o->input, "Envelope file, or - for stdin (default)");
  verify->add_option("--now", o->now, "Check at this time instead of now: YYYY-MM-DDTHH:MM:SS[.mmm]Z or @SECONDS");
  verify->add_option("--via", o->via, "The transport it came by, for the age check: path (7d), a2a (300s), mqtt (7d)")
      ->check(CLI::IsMember({"path", "a2a", "mqtt"}));
  verify->add_flag("--explain", o->explain, "Also say why on stderr");
  on(verify, ctx, "envelope verify", o, run_envelope_verify);
}

void declare_inbox(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<InboxOptions>();
  CLI::App* inbox = app.add_subcommand("inbox", "Read, verify and ingest agents' inboxes");
  inbox->require_subcommand(1);
  inbox->footer(
      "Each agent's inbox is agents/NAME/memories/inbox.jsonl: one accepted envelope\n"
      "a line, verbatim, with when and how it arrived.");

  CLI::App* list = inbox->add_subcommand("list", "List the envelopes in an agent's inbox, newest last");
  list->add_option("agent", o->agent, "Agent name")->required();
  list->add_option("-n,--limit", o->limit, "Show the newest N (0: all; default 20)");
  list->add_flag("--json", o->json, "Print JSON (the envelopes' members and payloads)");
  on(list, ctx, "inbox list", o, run_inbox_list);

  CLI::App* verify = inbox->add_subcommand("verify", "Re-verify every envelope in an agent's inbox");
  verify->add_option("agent", o->agent, "Agent name")->required();
  verify->add_flag("--json", o->json, "Print JSON");
  verify->footer("Exit 0 when every line verifies, 1 when any does not.");
  on(verify, ctx, "inbox verify", o, run_inbox_verify);

  CLI::App* ingest =
      inbox->add_subcommand("ingest", "Check the envelopes in the drop folder and deliver the good ones");
  ingest->footer(
      "Peers reached by path drop envelopes into .bwoc/drop/new/. Each is checked like\n"
      "any other: accepted ones go to their agent's inbox, refused ones to\n"
      ".bwoc/quarantine/ and the refusal log (`bwoc inbox refusals`). Skill requests\n"
      "(skill.discover, skill.call) are answered, and the answers sent back by the\n"
      "asking peer's route. With --watch it keeps going until SIGTERM: the service\n"
      "that serves path peers.");
  ingest->add_option("--max", o->max, "Stop after this many entries (default: until the folder is empty)");
  ingest->add_flag("--watch", o->watch, "Keep ingesting as entries arrive, until SIGTERM or SIGINT");
  ingest->add_flag("--json", o->json, "Print JSON");
  on(ingest, ctx, "inbox ingest", o, run_inbox_ingest);

  CLI::App* refusals = inbox->add_subcommand("refusals", "Show what receivers refused, and why");
  refusals->add_option("-n,--limit", o->limit, "Show the newest N (0: all; default 20)");
  refusals->add_flag("--json", o->json, "Print JSON");
  on(refusals, ctx, "inbox refusals", o, run_inbox_refusals);
}

void declare_send(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<SendOptions>();
  CLI::App* cmd = app.add_subcommand("send", "Sign an envelope and deliver it to an agent of a peer");
  cmd->footer(
      "The peer is reached by the first of its routes.toml entry's path, url and mqtt\n"
      "that works, unless --via says which: one that cannot reach the peer, or gets no\n"
      "receipt within its share of --timeout, passes the same envelope (the same id) to\n"
      "the next, and the peer keeps it once however many attempts arrive. The output\n"
      "says which transport carried it and which were tried first. Over path the\n"
      "envelope lands in the peer's drop folder and is delivered when the peer ingests\n"
      "it; over A2A and MQTT the peer's signed receipt is verified.\n\n"
      "Example:\n"
      "  bwoc send beta/agent-b --from agent-a --kind feedback --payload '{\"score\":4}'");
  cmd->add_option("target", o->target, "PEER/AGENT: a peer key from routes.toml and one of its agents")->required();
  cmd->add_option("--from", o->from, "The agent of this workspace that speaks")->required();
  cmd->add_option("--kind", o->kind, "Envelope kind (default: message)");
  cmd->add_option("--payload", o->payload, "Payload JSON (default: {})");
  cmd->add_option("--payload-file", o->payload_file, "Read the payload from a file, or - for stdin");
  cmd->add_option("--re", o->re, "Id of the envelope this one answers");
  cmd->add_option("--via", o->via, "Use this transport only: path, a2a or mqtt")
      ->check(CLI::IsMember({"path", "a2a", "url", "mqtt"}));
  cmd->add_option("--timeout", o->timeout, "How long to wait for receipts, every transport together (default 30s)");
  cmd->add_flag("--json", o->json, "Print JSON");
  cmd->add_flag("--seal", o->seal, "Seal the payload: only the peer's workspace can read it (fails when its X25519 key is not known)");
  on(cmd, ctx, "send", o, run_send);
}

void declare_sent(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<SentOptions>();
  CLI::App* cmd = app.add_subcommand("sent", "List the envelopes this workspace sent, and whether each arrived");
  cmd->footer(
      "Every envelope that leaves this workspace through a peer transport (send,\n"
      "call, peer commands, a2a send, mqtt publish, answers to path peers) is recorded\n"
      "with what became of it, newest first. STATE is one of:\n"
      "  sent              handed to a transport, no receipt yet: a path drop waits for\n"
      "                    the peer to ingest it; an MQTT envelope stays in the spool\n"
      "                    and is resent (`bwoc mqtt spool --retry`)\n"
      "  receipt verified  the peer's signed receipt (or answer) arrived and verified;\n"
      "                    a receipt that comes later updates the line\n"
      "  refused           the peer or its broker refused it (the peer never says why:\n"
      "                    its `bwoc inbox refusals` does)\n"
      "  failed            no transport reached the peer, or the MQTT spool gave it up\n"
      "                    (peer removed or UNTRUSTED, too old, deadline passed)\n"
      "The record is .bwoc/state/sent.jsonl, rotated at 4 MiB to sent.jsonl.1 (the two\n"
      "hold the last 20,000 sends or so).\n\n"
      "Examples:\n"
      "  bwoc sent\n"
      "  bwoc sent --state failed --limit 0\n"
      "  bwoc sent --json | jq '.[] | select(.via == \"mqtt\")'");
  cmd->add_option("--limit", o->limit, "Show at most this many (default 20; 0: all that are kept)");
  cmd->add_option("--state", o->state, "Only these: sent, verified, refused or failed");
  cmd->add_option("--agent", o->agent, "Only what this agent of ours sent");
  cmd->add_flag("--json", o->json, "Print JSON: id, kind, from, to, via, state, at (last change), first_at, detail");
  on(cmd, ctx, "sent", o, run_sent);
}

#ifdef BWOC_HAVE_A2A
void declare_a2a(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<A2aOptions>();
  CLI::App* a2a = app.add_subcommand("a2a", "Serve an agent over A2A (JSON-RPC over HTTP), print its card, send to a URL");
  a2a->require_subcommand(1);

  CLI::App* serve = a2a->add_subcommand("serve", "Serve one agent over A2A until SIGTERM or SIGINT");
  serve->footer(
      "Standard A2A clients (0.3 and 1.0) find the agent card at\n"
      "/.well-known/agent-card.json and talk JSON-RPC at /a2a. A message carrying a\n"
      "bwoc envelope in a data part {\"bwoc.envelope\": ...} goes through every check;\n"
      "if accepted it is in the agent's inbox, on disk, before the answer: a task whose\n"
      "artifact is the node's signed receipt. Anything else gets \"Not accepted.\".\n\n"
      "Listens on 127.0.0.1 unless --bind says otherwise; put a TLS proxy in front for\n"
      "other machines and give its address with --public-url. Logs go to stderr, one\n"
      "event a line; SIGTERM drains requests in progress and exits.\n\n"
      "Example:\n  bwoc a2a serve --agent agents/agent-b --port 8080");
  serve->add_option("--agent", o->agent, "The agent to serve: agents/NAME or NAME")->required();
  serve->add_option("--bind", o->bind, "Address to listen on (default 127.0.0.1)");
  serve->add_option("--port", o->port, "Port (default 8080; 0: any free port)");
  serve->add_option("--public-url", o->public_url, "The URL clients reach it by, for the card (default http://BIND:PORT)");
  serve->add_option("--threads", o->threads, "I/O threads (default: one per CPU this process may run on)");
  serve->add_option("--rate-per-address", o->rate_per_address, "Requests a second from one address before any check (default 100; 0: no limit)");
  serve->add_option("--rate-per-key", o->rate_per_key, "Envelopes a second from one verified peer (default 50; 0: no limit)");
  serve->add_option("--max-connections", o->max_connections, "Open connections at most (default 2048)")
      ->check(kNotNegative);
  serve->add_option("--max-body", o->max_body, "Request body bytes at most (default 1 MiB + 64 KiB; 413 beyond)")
      ->check(kNotNegative);
  serve->add_option("--body-budget", o->body_budget,
                    "Request body bytes in flight over all connections (default 64 MiB; 503 beyond)")
      ->check(kNotNegative);
  serve->add_option("--header-timeout", o->header_timeout, "Time to receive a request's headers (default 10s)");
  serve->add_option("--body-timeout", o->body_timeout, "Time to receive a request's body (default 30s)");
  serve->add_option("--idle-timeout", o->idle_timeout, "Time a kept-alive connection may wait (default 60s)");
  serve->add_option("--drain-timeout", o->drain_timeout, "Time requests in progress get on SIGTERM (default 10s)");
  serve->add_option("--max-tasks", o->max_tasks, "Tasks kept for tasks/get; the oldest go first (default 100000)")
      ->check(kNotNegative);
  on(serve, ctx, "a2a serve", o, run_a2a_serve);

  CLI::App* card = a2a->add_subcommand("card", "Print the agent card that `bwoc a2a serve` publishes");
  card->add_option("--agent", o->agent, "The agent: agents/NAME or NAME")->required();
  card->add_option("--bind", o->bind, "As for serve, for the URL in the card");
  card->add_option("--port", o->port, "As for serve, for the URL in the card");
  card->add_option("--public-url", o->public_url, "As for serve");
  on(card, ctx, "a2a card", o, run_a2a_card);

  CLI::App* send = a2a->add_subcommand("send", "Send one signed envelope to an A2A URL and verify the receipt");
  send->footer(
      "The URL must be the url of a peer declared in routes.toml: its key is pinned\n"
      "there, and the card at the URL must publish the same key.\n\n"
      "Example:\n  bwoc a2a send http://127.0.0.1:8080 --from agent-a --to agent-b --payload '{\"x\":1}'");
  send->add_option("url", o->url, "The peer's A2A base URL (http:// or https://)")->required();
  send->add_option("--from", o->from, "The agent of this workspace that speaks")->required();
  send->add_option("--to", o->to, "The peer's agent")->required();
  send->add_option("--kind", o->kind, "Envelope kind (default: message)");
  send->add_option("--payload", o->payload, "Payload JSON (default: {})");
  send->add_option("--payload-file", o->payload_file, "Read the payload from a file, or - for stdin");
  send->add_flag("--json", o->json, "Print JSON, with the verified receipt");
  send->add_flag("--seal", o->seal, "Seal the payload: only the peer's workspace can read it (fails when its X25519 key is not known)");
  on(send, ctx, "a2a send", o, run_a2a_send);
}
#endif

#ifdef BWOC_HAVE_MQTT
void add_broker_files(CLI::App* cmd, MqttOptions& o) {
  cmd->add_option("--ca", o.ca, "CA certificate file that signs the broker's certificate (mqtts://)");
  cmd->add_option("--cert", o.cert, "Client certificate file (mqtts://, with --key)");
  cmd->add_option("--key", o.key, "Client private key file (mqtts://, with --cert)");
  cmd->add_option("--credentials", o.credentials,
                  "File holding user:password (mode 0600, or from systemd's LoadCredential=)");
}

void declare_mqtt(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<MqttOptions>();
  CLI::App* mqtt = app.add_subcommand("mqtt", "Publish signed envelopes to an MQTT broker, or feed an inbox from one");
  mqtt->require_subcommand(1);
  mqtt->footer(
      "Topics follow bwoc/<workspace>/<agent>/<slot>: an agent's envelopes arrive on\n"
      "bwoc/<workspace>/<agent>/inbox and receipts go back on .../receipts. Broker\n"
      "settings (CA, client certificate, credentials file, topic root) can also live\n"
      "in .bwoc/mqtt.toml, one [[broker]] table per URL. Passwords are read from a\n"
      "file only, never from argv or the environment, and never printed.");

  CLI::App* pub = mqtt->add_subcommand("publish", "Sign an envelope as an agent and publish it (QoS 1), waiting for its receipt");
  pub->footer(
      "The envelope goes into the spool (.bwoc/state/mqtt-spool/spool.jsonl) before it is\n"
      "published, and leaves it only when the peer's signed receipt has verified.\n"
      "Without a receipt within --wait it stays there; `bwoc mqtt spool --retry` and\n"
      "the agent's `bwoc mqtt subscribe` resend it (same id: never delivered twice).\n\n"
      "Examples:\n"
      "  bwoc mqtt publish --agent agents/agent-a --to beta/agent-b --payload '{\"x\":1}'\n"
      "  bwoc mqtt publish --broker mqtt://127.0.0.1:1883 --topic bwoc/beta/agent-b/inbox \\\n"
      "      --agent agents/agent-a --payload '{\"x\":1}'");
  pub->add_option("--agent", o->agent, "The agent that signs: agents/NAME or NAME")->required();
  pub->add_option("--broker", o->broker, "mqtt://HOST[:1883] or mqtts://HOST[:8883] (default: the peer's mqtt route)");
  pub->add_option("--topic", o->topics, "Topic to publish to (default: <peer's topic root>/AGENT/inbox)")->expected(1);
  pub->add_option("--to", o->to, "PEER/AGENT the envelope is for (default: read from a bwoc/<ws>/<agent>/... topic)");
  pub->add_option("--kind", o->kind, "Envelope kind (default: message)");
  pub->add_option("--payload", o->payload, "Payload JSON (default: {})");
  pub->add_option("--payload-file", o->payload_file, "Read the payload from a file, or - for stdin");
  pub->add_option("--wait", o->wait, "How long to wait for the receipt (default 10s; 0s: do not wait)");
  pub->add_flag("--require-receipt", o->require_receipt, "Exit 1 when no receipt came within --wait");
  pub->add_flag("--json", o->json, "Print JSON, with the verified receipt");
  pub->add_flag("--seal", o->seal, "Seal the payload: only the peer's workspace can read it (fails when its X25519 key is not known)");
  add_broker_files(pub, *o);
  on(pub, ctx, "mqtt publish", o, run_mqtt_publish);

  CLI::App* sub = mqtt->add_subcommand("subscribe", "Feed an agent's inbox from a broker until SIGTERM or SIGINT");
  sub->footer(
      "Every payload goes through every receiver check; accepted envelopes are in the\n"
      "inbox exactly once, on disk, before their signed receipt goes back to the\n"
      "sender. Refused ones go to the refusal log, and nothing goes back. The session\n"
      "is persistent: what is published while the subscriber is down arrives when it\n"
      "returns. Also resends this agent's own unconfirmed envelopes from the spool.\n\n"
      "Example:\n  bwoc mqtt subscribe --broker mqtt://127.0.0.1:1883 --agent agents/agent-b");
  sub->add_option("--agent", o->agent, "The agent whose inbox is fed: agents/NAME or NAME")->required();
  sub->add_option("--broker", o->broker, "mqtt://HOST[:1883] or mqtts://HOST[:8883]")->required();
  sub->add_option("--topic", o->topics, "Topic filter, wildcards allowed; repeatable (default: bwoc/<ws>/<agent>/inbox)");
  sub->add_option("--client-id", o->client_id, "MQTT client id of the persistent session (default: bwoc-<ws>-<agent>-<key>)");
  sub->add_option("--max-pending", o->max_pending, "Envelopes between arrival and receipt at most (default 1024)")
      ->check(kNotNegative);
  sub->add_option("--retry-interval", o->retry_interval, "How often unconfirmed envelopes of this agent are resent (default 30s)");
  add_broker_files(sub, *o);
  on(sub, ctx, "mqtt subscribe", o, run_mqtt_subscribe);

  CLI::App* spool = mqtt->add_subcommand("spool", "List the envelopes still waiting for a receipt, or resend them");
  spool->footer(
      "A resend gives up an envelope (it leaves the spool, with an mqtt.spool_gave_up\n"
      "log line, and `bwoc sent` shows it failed) whose peer was removed from\n"
      "routes.toml, revoked or lowered to UNTRUSTED, that is older than the maximum\n"
      "age the peer accepts, or whose deadline passed.");
  spool->add_option("--agent", o->agent, "Only this agent's envelopes");
  spool->add_flag("--retry", o->retry, "Resend them (same ids) and wait for receipts");
  spool->add_option("--wait", o->wait, "With --retry: how long to wait for receipts (default 10s)");
  spool->add_flag("--json", o->json, "Print JSON");
  add_broker_files(spool, *o);
  on(spool, ctx, "mqtt spool", o, run_mqtt_spool);
}
#endif

void declare_service(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<ServiceOptions>();
  CLI::App* service = app.add_subcommand("service", "systemd units for the long-running commands");
  service->require_subcommand(1);
  CLI::App* print = service->add_subcommand(
      "print", "Print a hardened systemd unit for `mqtt subscribe`, `a2a serve` or `inbox ingest --watch`");
  print->footer(
      "For mqtt and a2a the unit is a template: its instance name is the agent. The\n"
      "ingest unit serves path peers for the whole workspace. Each runs as a dedicated\n"
      "user with NoNewPrivileges, ProtectSystem=strict and only the workspace\n"
      "writable, tells systemd when it is ready (Type=notify), restarts on failure and\n"
      "stops cleanly on SIGTERM. Logs go to the journal with their priority.\n\n"
      "Example:\n"
      "  bwoc service print mqtt --agent agents/agent-b --broker mqtt://127.0.0.1:1883 \\\n"
      "      --credentials /etc/bwoc/mqtt.credentials > /etc/systemd/system/bwoc-mqtt-beta@.service");
  print->add_option("kind", o->kind, "mqtt, a2a or ingest")->required()->check(CLI::IsMember({"mqtt", "a2a", "ingest"}));
  print->add_option("--agent", o->agent, "mqtt and a2a: the agent to show the install commands for");
  print->add_option("--user", o->user, "The dedicated user it runs as (default bwoc)");
  print->add_option("--broker", o->broker, "mqtt: the broker URL");
  print->add_option("--credentials", o->credentials, "mqtt: user:password file, handed over with LoadCredential=");
  print->add_option("--ca", o->ca, "mqtt: CA file");
  print->add_option("--cert", o->cert, "mqtt: client certificate file");
  print->add_option("--key", o->key, "mqtt: client key file");
  print->add_option("--port", o->port, "a2a: the port (default 8080)");
  print->add_option("--bind", o->bind, "a2a: the address (default 127.0.0.1)");
  print->add_option("--binary", o->binary, "Path of the bwoc executable (default: this one)");
  on(print, ctx, "service print", o, run_service_print);
}

void declare_peer(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<PeerOptions>();
  CLI::App* invite = app.add_subcommand("invite", "Print an invite code: this workspace's name, key and endpoints");
  invite->footer(
      "The code is URL-safe base64 with a checksum: it survives chat apps, holds no\n"
      "secret, and `bwoc peer add CODE` on the other side declares this workspace.\n\n"
      "Examples:\n"
      "  bwoc invite --url https://alpha.example/bwoc\n"
      "  bwoc invite --path                      # a peer on the same machine or disk\n"
      "  bwoc invite --mqtt-broker mqtts://broker.example:8883");
  invite->add_flag("--path", o->path, "Peers reach this workspace's folder directly (same machine or shared disk)");
  invite->add_option("--url", o->url, "The A2A base URL where `bwoc a2a serve` answers");
  invite->add_option("--mqtt-broker", o->mqtt_broker, "The MQTT broker this workspace subscribes on");
  invite->add_option("--mqtt-topic", o->mqtt_topic, "Its topic root (default bwoc/<workspace>)");
  invite->add_option("--agent", o->agent,
                     "The agent that answers for this workspace when a peer names none (default: the only one)");
  invite->add_flag("--json", o->json, "Print JSON, with the fingerprint");
  on(invite, ctx, "invite", o, run_invite);

  CLI::App* peer = app.add_subcommand("peer", "Peers: add, remove, list, status, learn, feedback");
  peer->require_subcommand(1);
  CLI::App* add = peer->add_subcommand("add", "Declare the peer an invite code describes, pinning its key");
  add->footer(
      "Appends a [[peer]] table to .bwoc/routes.toml and leaves the rest of the file,\n"
      "comments included, as it was. Compare the fingerprint it prints with the one\n"
      "the peer's `bwoc trust show` prints before you trust what it sends.");
  add->add_option("code", o->code, "The invite code (from `bwoc invite`)")->required();
  add->add_option("--key", o->key, "The alias to declare it under (default: its workspace name)");
  on(add, ctx, "peer add", o, run_peer_add);
  CLI::App* list = peer->add_subcommand("list", "Every declared peer, and whether it answers now");
  list->footer(
      "Peers are probed at once, each for at most --timeout: a path peer's folder must\n"
      "hold a workspace with the pinned key, a url peer's agent card must publish it,\n"
      "an MQTT peer's broker must accept a connection. An unreachable peer shows when\n"
      "it was last seen.");
  list->add_option("--timeout", o->timeout, "How long each probe may take (default 2s)");
  list->add_flag("--json", o->json, "Print JSON");
  on(list, ctx, "peer list", o, run_peer_list);
  CLI::App* status = peer->add_subcommand("status", "A peer's agents, teams and open tasks (what it publishes)");
  status->footer(
      "Sends a signed peer.status envelope over the peer's transports in the order\n"
      "routes.toml lists them (path, url, mqtt), the next one tried when one cannot\n"
      "reach it, and shows the node's signed answer; the node answers declared peers\n"
      "of tier 1 (KNOWN) or more, and tells anyone else \"Not permitted\". A path peer's\n"
      "node answers while `bwoc inbox ingest --watch` runs there; when no node answers,\n"
      "the summary its bwoc keeps in .bwoc/export/status.json is read instead, after\n"
      "checking the folder holds the workspace with the pinned key (never its manifests,\n"
      "memories, inboxes or keys, and nothing is written there).\n"
      "Example: bwoc peer status beta --via mqtt");
  status->add_option("key", o->key, "The peer's alias")->required();
  status->add_option("--from", o->from, "Our agent that asks (default: the first)");
  status->add_option("--via", o->via, "Only this transport: path, a2a or mqtt");
  status->add_option("--timeout", o->ask_timeout, "How long to wait for the answer, every transport together (default 15s)");
  status->add_flag("--json", o->json, "Print JSON");
  status->add_flag("--seal", o->seal, "Ask with a sealed envelope (never by reading its folder); the answer comes sealed");
  on(status, ctx, "peer status", o, run_peer_status);
  CLI::App* learn = peer->add_subcommand("learn", "The documents a peer shares, or one of them");
  learn->footer(
      "Without DOC: the names, descriptions and dates on the peer's allowlist\n"
      "(.bwoc/interconnect/shared.toml). With DOC: that document's text. A document\n"
      "that is not on the allowlist and one that does not exist get the same answer,\n"
      "and no name can lead outside the peer's shared documents. Asked like `peer status`\n"
      "(any transport; a path peer's folder when no node answers). A peer declared with\n"
      "allowlist = false in routes.toml is never read.");
  learn->add_option("key", o->key, "The peer's alias")->required();
  learn->add_option("doc", o->doc, "A document's name");
  learn->add_option("--from", o->from, "Our agent that asks (default: the first)");
  learn->add_option("--via", o->via, "Only this transport: path, a2a or mqtt");
  learn->add_option("--timeout", o->ask_timeout, "How long to wait for the answer, every transport together (default 15s)");
  learn->add_flag("--json", o->json, "Print JSON");
  learn->add_flag("--seal", o->seal, "Ask with a sealed envelope (never by reading its folder); the answer comes sealed");
  on(learn, ctx, "peer learn", o, run_peer_learn);
  CLI::App* feedback = peer->add_subcommand("feedback", "Send a signed feedback envelope to a peer's agent");
  feedback->add_option("key", o->key, "The peer's alias")->required();
  feedback->add_option("agent", o->agent, "The peer's agent")->required();
  feedback->add_option("--score", o->score, "1 to 5")->required();
  feedback->add_option("--comment", o->comment, "What to say");
  feedback->add_option("--from", o->from, "Our agent that gives it (default: the only one)");
  feedback->add_flag("--seal", o->seal, "Seal the payload: only the peer's workspace can read it (fails when its X25519 key is not known)");
  on(feedback, ctx, "peer feedback", o, run_peer_feedback);
  CLI::App* remove = peer->add_subcommand("remove", "Remove a declared peer from routes.toml");
  remove->add_option("key", o->key, "The peer's alias")->required();
  on(remove, ctx, "peer remove", o, run_peer_remove);
}

void declare_share(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<ShareOptions>();
  CLI::App* share = app.add_subcommand("share", "The documents this workspace shares with its peers");
  share->require_subcommand(1);
  share->footer(
      "The allowlist is .bwoc/interconnect/shared.toml. Only regular files inside the\n"
      "workspace can be shared; never anything under .bwoc/ or an agent's memories/.");
  CLI::App* add = share->add_subcommand("add", "Share a file of this workspace");
  add->add_option("file", o->file, "The file")->required();
  add->add_option("--name", o->name, "What peers ask for (default: the file's name without extension)");
  add->add_option("--description", o->description, "One line that tells peers what it is");
  on(add, ctx, "share add", o, run_share_add);
  CLI::App* list = share->add_subcommand("list", "List the shared documents");
  list->add_flag("--json", o->json, "Print JSON");
  on(list, ctx, "share list", o, run_share_list);
  CLI::App* remove = share->add_subcommand("remove", "Stop sharing a document");
  remove->add_option("name", o->name_arg, "Its name")->required();
  on(remove, ctx, "share remove", o, run_share_remove);
}

void declare_task(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<TaskOptions>();
  CLI::App* task = app.add_subcommand("task", "Teams' task lists (teams/<team>/tasks.toml)");
  task->require_subcommand(1);
  CLI::App* add = task->add_subcommand("add", "Add an open task to a team (the team is created if new)");
  add->add_option("team", o->team, "The team")->required();
  add->add_option("title", o->title, "What is to be done, one line")->required();
  add->add_flag("--json", o->json, "Print JSON");
  on(add, ctx, "task add", o, run_task_add);
  CLI::App* list = task->add_subcommand("list", "List the tasks of one team, or of all");
  list->add_option("team", o->team_filter, "Only this team");
  list->add_flag("--json", o->json, "Print JSON");
  on(list, ctx, "task list", o, run_task_list);
  CLI::App* claim = task->add_subcommand("claim", "Claim an open task for an agent");
  claim->add_option("id", o->id, "The task, such as research-3")->required();
  claim->add_option("--agent", o->agent, "The agent that takes it")->required();
  on(claim, ctx, "task claim", o, run_task_claim);
  CLI::App* done = task->add_subcommand("done", "Mark a task done");
  done->add_option("id", o->id, "The task")->required();
  on(done, ctx, "task done", o, run_task_done);
}

void declare_mcp(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<McpOptions>();
  CLI::App* mcp = app.add_subcommand("mcp", "This workspace's and its peers' skills as MCP tools (serve, test, config)");
  mcp->require_subcommand(1);
  mcp->footer(
      "  bwoc mcp config >> your client's MCP settings   (Claude Desktop, Cursor, VS Code, ...)\n"
      "  bwoc mcp test                                   what a client would get, calling nothing\n\n"
      "Tools: self__SKILL for our agent's exposed skills (run here, sandboxed), PEER__SKILL for\n"
      "each skill a peer lets us see at our tier there (a signed call that runs on the peer).");
  CLI::App* serve = mcp->add_subcommand("serve", "An MCP server over stdio (what an MCP client starts)");
  serve->footer(
      "Speaks MCP (JSON-RPC 2.0, one message a line) on stdin and stdout; logs go to stderr.\n"
      "Peers' skills are cached in .bwoc/state/mcp/ and asked again every --refresh in the\n"
      "background; tools/list never waits on the network longer than --list-wait, and a\n"
      "change sends notifications/tools/list_changed. See docs/MCP.md.");
  serve->add_option("--agent", o->agent, "Our agent: whose skills are self__ tools, and who calls peers (default: the first)");
  serve->add_option("--refresh", o->refresh, "How often peers are asked for their skills again (default 30s)");
  serve->add_option("--list-wait", o->list_wait, "The longest tools/list waits for a peer never asked before (default 1s)");
  serve->add_option("--discover-timeout", o->discover_timeout, "How long one peer may take to list its skills (default 10s)");
  serve->add_option("--call-timeout", o->call_timeout, "How long a peer's skill may take to answer (default 60s)");
  serve->add_option("--progress-interval", o->progress_interval, "How often a running call reports progress (default 1s)");
  on(serve, ctx, "mcp serve", o, run_mcp_serve);
  CLI::App* test = mcp->add_subcommand("test", "Check the set-up: ask each peer for its skills and list the tools, calling none");
  test->add_option("--agent", o->agent, "Our agent (default: the first)");
  test->add_option("--timeout", o->timeout, "How long each peer may take to answer (default 10s)");
  test->add_flag("--json", o->json, "Print JSON");
  on(test, ctx, "mcp test", o, run_mcp_test);
  CLI::App* config = mcp->add_subcommand("config", "Print the JSON an MCP client needs to start `bwoc mcp serve`");
  config->add_option("--agent", o->agent, "Our agent (default: the first)");
  on(config, ctx, "mcp config", o, run_mcp_config);
}

void declare_status(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<StatusOptions>();
  CLI::App* cmd = app.add_subcommand("status", "The workspace on one screen: services, peers, goals, envelopes, refusals, skills");
  cmd->footer(
      "Reads the workspace's own files and probes nothing (unless --probe): who this\n"
      "workspace is; which services run for which agent (`a2a serve` with its URL,\n"
      "`mqtt subscribe` with its broker, `inbox ingest --watch`), since when and their\n"
      "last error, from the state they keep in .bwoc/state/services/ (a service that\n"
      "was killed shows as not running); peers with tier, transports and when last\n"
      "seen; active goals with their key results; the newest envelopes in and out with\n"
      "their receipt; refusals of the last 24 hours by reason; skills and their calls.\n\n"
      "Example:\n  bwoc status --probe");
  cmd->add_flag("--probe", o->probe, "Also probe every peer, as `bwoc peer list` does");
  cmd->add_option("--timeout", o->timeout, "With --probe: how long each probe may take (default 2s)");
  cmd->add_option("--recent", o->recent, "How many envelopes in, and out, to show (default 10)")->check(kNotNegative);
  cmd->add_flag("--json", o->json, "Print JSON");
  on(cmd, ctx, "status", o, run_status);
}

#ifdef BWOC_HAVE_A2A
void declare_dashboard(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<DashboardOptions>();
  CLI::App* cmd = app.add_subcommand("dashboard", "Serve a local web page of the workspace until SIGTERM or SIGINT");
  cmd->footer(
      "Pages: activity (live), peers, goals, skills, an agent's inbox, refusals. It\n"
      "listens on 127.0.0.1 only and prints an address with a random token: open it\n"
      "in a browser on this machine. Every request needs the token (a cookie keeps it\n"
      "after the first visit), changes are POSTs carrying it in a header, and the\n"
      "pages are built into bwoc: it works offline. See docs/DASHBOARD.md.\n\n"
      "Example:\n  bwoc dashboard --port 8765");
  cmd->add_option("--port", o->port, "Port on 127.0.0.1 (default 0: any free port)")->check(CLI::Range(0, 65535));
  on(cmd, ctx, "dashboard", o, run_dashboard);
}
#endif

void declare_demo(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<DemoOptions>();
  CLI::App* cmd = app.add_subcommand("demo", "Two workspaces exchange signed envelopes, narrated step by step");
  cmd->add_option("--dir", o->dir, "Build the workspaces here (and keep them) instead of a temporary folder");
  cmd->add_flag("--keep", o->keep, "Keep the workspaces afterwards");
  on(cmd, ctx, "demo", o, run_demo);
}

}  // namespace
}  // namespace bwoc::cli

int main(int argc, char** argv) {
  // A write past a file-size limit should fail with EFBIG, like a full disk,
  // not kill the node.
  ::signal(SIGXFSZ, SIG_IGN);
  ::signal(SIGPIPE, SIG_IGN);

  using namespace bwoc::cli;
  CLI::App app(kDescription, "bwoc");
  app.set_version_flag("--version", "bwoc " + std::string(bwoc::kVersion) + " (envelope v1)");
  app.require_subcommand(1);
  app.fallthrough();
  app.get_formatter()->column_width(34);

  Context ctx;
  app.add_option("-w,--workspace", ctx.workspace, "The workspace folder (default: found from the current folder)")
      ->envname("BWOC_WORKSPACE");
  declare_init(app, ctx);
  declare_trust(app, ctx);
  declare_agent(app, ctx);
  declare_envelope(app, ctx);
  declare_inbox(app, ctx);
  declare_send(app, ctx);
  declare_sent(app, ctx);
#ifdef BWOC_HAVE_A2A
  declare_a2a(app, ctx);
#endif
#ifdef BWOC_HAVE_MQTT
  declare_mqtt(app, ctx);
#endif
  declare_service(app, ctx);
  declare_peer(app, ctx);
  declare_share(app, ctx);
  declare_task(app, ctx);
  declare_goal(app, ctx);
  declare_skills(app, ctx);
  declare_call(app, ctx);
  declare_request(app, ctx);
  declare_mcp(app, ctx);
  declare_status(app, ctx);
#ifdef BWOC_HAVE_A2A
  declare_dashboard(app, ctx);
#endif
  declare_demo(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    // Name the subcommand being typed, so the hint points at its --help.
    std::string where;
    for (CLI::App* sub = &app; !sub->get_subcommands().empty();) {
      sub = sub->get_subcommands().front();
      where += " " + sub->get_name();
    }
    std::cerr << "bwoc" << where << ": " << e.what() << " (see `bwoc" << where << " --help`)\n";
    return 2;
  }
  if (!ctx.action) {
    std::cerr << app.help();
    return 2;
  }
  return ctx.action();
}
