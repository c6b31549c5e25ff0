#include "bwoc/peer/ask.h"

#include <sys/stat.h>

#include <map>

#include "bwoc/core/dir_watch.h"
#include "bwoc/core/drop_folder.h"
#include "bwoc/core/inbox.h"
#include "bwoc/core/log.h"
#include "bwoc/core/receipt.h"
#include "bwoc/peer/learn.h"
#include "bwoc/peer/send.h"
#include "bwoc/skill/host.h"

namespace bwoc::peer {

namespace {

using Clock = std::chrono::steady_clock;

std::uint64_t size_of(const std::filesystem::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

// Waits for the answer to `request` from `peer` to reach our agent's inbox.
Result<std::string> await_in_inbox(const Workspace& ws, const PeerRoute& peer, const Envelope& request,
                                   std::uint64_t inbox_offset, Clock::time_point deadline, RequestAnswerer* answerer) {
  BWOC_ASSIGN_OR_RETURN(std::unique_ptr<Receiver> receiver, Receiver::open(ws));
  std::filesystem::path inbox = ws.inbox_file(request.from);
  // Woken when something lands in our drop folder or an inbox line is written.
  DirWatch watch({ws.drop_dir() / "new", inbox.parent_path()});
  std::optional<std::string> found;
  for (;;) {
    IngestOptions io;
    io.max_entries = 1024;
    auto ingested = answerer != nullptr ? answerer->ingest(*receiver, io) : ingest_drop_folder(*receiver, io);
    if (!ingested.ok()) return ingested.error();
    auto scan = scan_inbox(inbox, inbox_offset, [&](const InboxLine& line) {
      if (found) return;
      auto env = parse_envelope(line.envelope);
      if (env.ok() && env.value().re == request.id && env.value().key == peer.pubkey) found = std::string(line.envelope);
    });
    if (!scan.ok()) return scan.error();
    if (found) return *found;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      return Error(Errc::timeout, "no answer from peer \"" + peer.key + "\" in time (over the path transport "
                                  "its node answers when it ingests: is `bwoc inbox ingest --watch` running there?)");
    }
    watch.wait(std::min(left, std::chrono::milliseconds(500)));
  }
}

}  // namespace

Result<std::string> path_peer_agent(const PeerRoute& peer) {
  BWOC_ASSIGN_OR_RETURN(json::Value status, status_by_path(peer));
  const json::Value* agents = status.find("agents");
  if (agents != nullptr && agents->is_array()) {
    for (const json::Value& a : agents->items()) {
      if (a.is_string() && is_valid_agent_name(a.as_string())) return a.as_string();
    }
  }
  return Error(Errc::not_found, "peer \"" + peer.key + "\" lists no agent: name one as PEER/AGENT");
}

Result<AskResult> ask(const Workspace& ws, const SecretKey& key, const Routes& routes, const AskRequest& request,
                      const Network& network, const AgentResolver& agent_of) {
  const PeerRoute* peer = routes.find(request.peer);
  if (peer == nullptr) {
    return Error(Errc::not_found, "no peer \"" + request.peer + "\" in " + ws.routes_file().string() + " (see `bwoc peer list`)");
  }
  if (!ws.has_agent(request.from)) return Error(Errc::not_found, "no agent \"" + request.from + "\" in this workspace to ask from");
  Clock::time_point start = Clock::now();
  Clock::time_point deadline = start + request.timeout;
  std::string agent = request.agent;
  if (agent.empty()) {
    if (!agent_of) return Error(Errc::invalid_argument, "name the peer's agent: PEER/AGENT");
    BWOC_ASSIGN_OR_RETURN(agent, agent_of(*peer));
  }
  EnvelopeDraft draft;
  draft.kind = request.kind;
  draft.from = request.from;
  draft.to = agent;
  draft.aud = peer->pubkey;
  draft.payload = request.payload;
  BWOC_ASSIGN_OR_RETURN(std::string text, sign_envelope(draft, key));
  Envelope sent = parse_envelope(text).value();
  std::uint64_t inbox_offset = size_of(ws.inbox_file(request.from));

  BWOC_ASSIGN_OR_RETURN(SendResult delivered, deliver(*peer, text, request.via, network));
  AskResult out;
  out.via = delivered.report.via;
  out.agent = agent;
  if (delivered.report.reply) {
    out.text = *delivered.report.reply;
  } else if (delivered.report.via == Via::path) {
    BWOC_ASSIGN_OR_RETURN(out.text, await_in_inbox(ws, *peer, sent, inbox_offset, deadline, request.answerer));
  } else {
    return Error(Errc::timeout, "peer \"" + peer->key + "\" has not answered yet (" + delivered.report.detail + ")");
  }
  BWOC_ASSIGN_OR_RETURN(PublicKey self, ws.public_key());
  auto checked = verify_answer(out.text, peer->pubkey, self, sent.id);
  if (!checked.ok()) {
    return Error(Errc::refused, "peer \"" + peer->key + "\"'s answer is not valid (" +
                                    std::string(reason_code(checked.refusal().reason)) + ")");
  }
  out.answer = std::move(checked).value();
  out.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
  return out;
}

struct RequestAnswerer::Impl {
  Impl(const Workspace& w, const SecretKey& k, const Network& n) : ws(w), key(k), network(n) {}
  Workspace ws;
  const SecretKey& key;
  const Network& network;
  std::map<std::string, std::unique_ptr<skill::SkillHost>> hosts;

  Result<skill::SkillHost*> host_for(const std::string& agent) {
    auto it = hosts.find(agent);
    if (it == hosts.end()) {
      BWOC_ASSIGN_OR_RETURN(auto host, skill::SkillHost::open(ws, agent));
      it = hosts.emplace(agent, std::move(host)).first;
    }
    return it->second.get();
  }
};

RequestAnswerer::RequestAnswerer(const Workspace& ws, const SecretKey& key, const Network& network)
    : impl_(std::make_unique<Impl>(ws, key, network)) {}
RequestAnswerer::~RequestAnswerer() = default;

Result<IngestReport> RequestAnswerer::ingest(Receiver& receiver, IngestOptions options) {
  std::vector<Delivery> requests;
  options.on_delivered = [&](const Delivery& d) {
    if (d.envelope && skill::is_skill_request(d.envelope->kind)) requests.push_back(d);
  };
  auto report = ingest_drop_folder(receiver, options);
  auto routes = receiver.routes();
  for (const Delivery& d : requests) answer(d, routes ? *routes : Routes());
  return report;
}

void RequestAnswerer::answer(const Delivery& d, const Routes& routes) {
  if (!d.envelope || !skill::is_skill_request(d.envelope->kind)) return;
  const Envelope& request = *d.envelope;
  Answered out{request.id, d.peer, request.kind, false, ""};
  auto host = impl_->host_for(request.to);
  auto answer = host.ok() ? (*host)->respond(request, d.peer, impl_->key, d.outcome == Delivery::Outcome::duplicate)
                          : Result<std::string>(host.error());
  const PeerRoute* route = routes.find(d.peer);
  if (!answer.ok()) {
    out.detail = "no answer made: " + answer.error().message();
  } else if (route == nullptr) {
    out.detail = "the asker is not declared any more";
  } else {
    auto sent = deliver(*route, *answer, std::nullopt, impl_->network);
    out.sent = sent.ok();
    out.detail = sent.ok() ? sent->report.detail : sent.error().message();
  }
  log::event(out.sent ? log::Level::info : log::Level::warning, "ingest.answered",
             {{"id", out.id}, {"peer", out.peer}, {"kind", out.kind}, {"sent", out.sent ? "yes" : "no"},
              {"detail", out.detail}});
}

}  // namespace bwoc::peer
