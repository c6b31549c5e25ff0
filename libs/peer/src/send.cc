#include "bwoc/peer/send.h"

namespace bwoc::peer {

Result<std::pair<std::string, std::string>> split_peer_agent(std::string_view target) {
  std::size_t slash = target.find('/');
  if (slash == std::string_view::npos || target.find('/', slash + 1) != std::string_view::npos) {
    return Error(Errc::invalid_argument, "\"" + std::string(target) + "\" is not PEER/AGENT");
  }
  std::string peer(target.substr(0, slash));
  std::string agent(target.substr(slash + 1));
  if (!is_valid_peer_key(peer)) return Error(Errc::invalid_argument, "\"" + peer + "\" is not a peer key");
  if (!is_valid_agent_name(agent)) return Error(Errc::invalid_argument, "\"" + agent + "\" is not an agent name");
  return std::make_pair(peer, agent);
}

Result<SendResult> deliver(const PeerRoute& peer, const std::string& envelope_text, std::optional<Via> via,
                           const Network& network) {
  auto parsed = parse_envelope(envelope_text);
  if (!parsed.ok()) return Error(Errc::internal, "refusing to send a malformed envelope: " + parsed.refusal().detail);
  std::vector<Via> order = peer.transports();
  if (via) {
    bool declared = false;
    for (Via v : order) declared = declared || v == *via;
    if (!declared) {
      return Error(Errc::invalid_argument, "peer \"" + peer.key + "\" declares no " +
                                               std::string(*via == Via::a2a ? "url" : via_name(*via)) +
                                               " in routes.toml");
    }
    order = {*via};
  }
  SendResult result;
  result.envelope_text = envelope_text;
  result.id = parsed.value().id;
  for (Via v : order) {
    EnvelopeTransport* t = network.find(v);
    if (t == nullptr) {
      result.skipped.push_back(std::string(via_name(v)) + ": not available in this build");
      continue;
    }
    auto report = t->deliver(peer, envelope_text, parsed.value());
    if (report.ok()) {
      result.report = std::move(report).value();
      return result;
    }
    if (report.error().code() != Errc::unavailable) return report.error();
    result.skipped.push_back(std::string(via_name(v)) + ": " + report.error().message());
  }
  std::string why;
  for (const std::string& s : result.skipped) why += (why.empty() ? "" : "; ") + s;
  return Error(Errc::unavailable, "cannot reach peer \"" + peer.key + "\" (" + why + ")");
}

Result<SendResult> send(const Workspace& ws, const SecretKey& key, const Routes& routes, const SendRequest& request,
                        const Network& network) {
  const PeerRoute* peer = routes.find(request.peer);
  if (peer == nullptr) {
    return Error(Errc::not_found, "no peer \"" + request.peer + "\" in " + ws.routes_file().string() +
                                      " (see `bwoc peer list`)");
  }
  if (!ws.has_agent(request.from)) {
    return Error(Errc::not_found, "no agent \"" + request.from + "\" in this workspace to send from");
  }
  EnvelopeDraft draft;
  draft.kind = request.kind;
  draft.from = request.from;
  draft.to = request.agent;
  draft.aud = peer->pubkey;
  draft.payload = request.payload;
  draft.re = request.re;
  BWOC_ASSIGN_OR_RETURN(std::string text, sign_envelope(draft, key));
  return deliver(*peer, text, request.via, network);
}

}  // namespace bwoc::peer
