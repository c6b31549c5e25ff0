#include "bwoc/peer/ask.h"

#include <sys/stat.h>

#include "bwoc/core/dir_watch.h"
#include "bwoc/core/inbound.h"
#include "bwoc/core/inbox.h"
#include "bwoc/core/receipt.h"
#include "bwoc/peer/learn.h"
#include "bwoc/peer/send.h"

namespace bwoc::peer {

namespace {

using Clock = std::chrono::steady_clock;

std::uint64_t size_of(const std::filesystem::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

// How long a path peer's node may leave our request in its drop folder
// before we take it that no node is taking anything in there.
constexpr auto kTakeInGrace = std::chrono::seconds(5);

// Waits until `deadline` for the answer to `request` from the key it asked to reach
// our agent's inbox, taking our drop folder through our node meanwhile.
Result<std::optional<std::string>> await_in_inbox(const Workspace& ws, const Envelope& request,
                                                  std::uint64_t inbox_offset, const SendReport& dropped,
                                                  Clock::time_point deadline, const std::function<Status()>& pump) {
  if (!pump) return Error(Errc::internal, "no way to take our drop folder in while waiting for a path peer");
  Clock::time_point give_up_untaken = Clock::now() + kTakeInGrace;
  std::filesystem::path inbox = ws.inbox_file(request.from);
  // Woken when something lands in our drop folder or an inbox line is written.
  DirWatch watch({ws.drop_dir() / "new", inbox.parent_path()});
  for (;;) {
    BWOC_RETURN_IF_ERROR(pump());
    std::optional<std::string> found;
    auto scan = scan_inbox(inbox, inbox_offset, [&](const InboxLine& line) {
      if (found) return;
      auto env = parse_envelope(line.envelope);
      if (env.ok() && env.value().re == request.id && env.value().key == request.aud) found = std::string(line.envelope);
    });
    if (!scan.ok()) return scan.error();
    if (found) return found;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    std::error_code ec;
    if (left.count() <= 0) {
      // A node answers every request it accepts, even with a refusal of its
      // own; one taken in with no answer is still under way, or was not
      // accepted, and the peer never says which check failed.
      if (dropped.dropped_at && !std::filesystem::exists(*dropped.dropped_at, ec)) {
        return Error(Errc::timeout, "its node took the request in but no answer came in time: it is still at work on "
                                    "it, or it did not accept it (has it added this workspace with `bwoc peer add`? "
                                    "its `bwoc inbox refusals` would say)");
      }
      return std::optional<std::string>();
    }
    if (dropped.dropped_at && Clock::now() >= give_up_untaken && std::filesystem::exists(*dropped.dropped_at, ec)) {
      return Error(Errc::unavailable, "its node has not taken the request in (is `bwoc inbox ingest --watch` running there?)");
    }
    watch.wait(std::min(left, std::chrono::milliseconds(500)));
  }
}

}  // namespace

std::string declined_message(std::string_view peer, std::string_view error, std::string_view our_name) {
  std::string who = "peer \"" + std::string(peer) + "\"";
  if (error == kNotPermitted) {
    return who + " does not let this workspace read that yet (it answered \"Not permitted\": our trust tier there "
                 "is below KNOWN); they can raise it with `bwoc trust set " + std::string(our_name) +
           " KNOWN` in their workspace";
  }
  return who + " declined: " + std::string(error);
}

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
  BWOC_RETURN_IF_ERROR(seal_for(ws, draft, key.public_key(), *peer, request.seal, network, request.timeout));
  BWOC_ASSIGN_OR_RETURN(SignedEnvelope sent, sign(draft, key));
  if (request.on_signed) BWOC_RETURN_IF_ERROR(request.on_signed(sent.envelope));
  std::uint64_t inbox_offset = size_of(ws.inbox_file(request.from));

  DeliverOptions options;
  options.via = request.via;
  options.skip = request.skip;
  options.want_answer = true;
  options.on_attempt = request.on_attempt;
  options.unsigned_refusal_passes = request.waits_for_peer;
  auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  options.timeout = std::max(request.timeout - spent, std::chrono::milliseconds(1));
  options.await_path_answer = [&](const SendReport& dropped, Clock::time_point deadline) {
    return await_in_inbox(ws, sent.envelope, inbox_offset, dropped, deadline, request.pump);
  };
  BWOC_ASSIGN_OR_RETURN(SendResult delivered, deliver(*peer, sent, options, network));
  // From the key we asked, for the key we asked with (spec §3).
  auto checked = verify_answer(*delivered.report.reply, sent.envelope.aud, sent.envelope.key, sent.envelope.id);
  Errc unsigned_refusal = request.waits_for_peer ? Errc::unavailable : Errc::refused;
  if (!checked.ok()) {
    return Error(unsigned_refusal, "peer \"" + peer->key + "\"'s answer is not valid (" +
                                       std::string(reason_code(checked.refusal().reason)) + ")");
  }
  AskResult out;
  out.text = std::move(*delivered.report.reply);
  out.answer = std::move(checked).value();
  if (Status opened = open_answer(ws, out.answer, sent.envelope.sealed); !opened.ok()) {
    return Error(unsigned_refusal, "peer \"" + peer->key + "\"'s answer is not valid: " + opened.error().message());
  }
  out.request_id = sent.envelope.id;
  out.via = delivered.report.via;
  out.agent = agent;
  out.skipped = std::move(delivered.skipped);
  out.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
  return out;
}

}  // namespace bwoc::peer
