#include "bwoc/peer/send.h"

#include <algorithm>

#include "bwoc/core/key_ring.h"
#include "bwoc/core/seal.h"

namespace bwoc::peer {

namespace {

using Clock = std::chrono::steady_clock;

std::string via_label(Via v) { return v == Via::a2a ? "url" : std::string(via_name(v)); }

std::string seconds_text(std::chrono::milliseconds ms) {
  return std::to_string(ms.count() / 1000) + "." + std::to_string((ms.count() % 1000) / 100) + " s";
}

}  // namespace

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

std::string describe_skipped(const std::vector<std::string>& skipped) {
  std::string out;
  for (const std::string& s : skipped) out += (out.empty() ? "" : "; ") + s;
  return out;
}

namespace {

Result<SendResult> try_transports(const PeerRoute& peer, const SignedEnvelope& envelope,
                                  const DeliverOptions& options, const Network& network) {
  BWOC_RETURN_IF_ERROR(refuse_if_revoked(peer));
  std::vector<Via> order = peer.transports();
  if (options.via) {
    bool declared = false;
    for (Via v : order) declared = declared || v == *options.via;
    if (!declared) {
      return Error(Errc::invalid_argument,
                   "peer \"" + peer.key + "\" declares no " + via_label(*options.via) + " in routes.toml");
    }
    order = {*options.via};
  }
  std::erase_if(order, [&](Via v) { return std::find(options.skip.begin(), options.skip.end(), v) != options.skip.end(); });
  if (order.empty()) {
    return Error(Errc::invalid_argument, "peer \"" + peer.key + "\" declares no way to reach it (path, url or mqtt)");
  }
  SendResult result;
  result.envelope = envelope;
  Clock::time_point deadline = Clock::now() + options.timeout;
  bool timed_out = false;
  bool attempted = false;
  std::size_t tried = 0;
  // What passes to the next transport instead of ending the delivery.
  auto passes = [&options](Errc code) {
    return code == Errc::unavailable || code == Errc::timeout ||
           (options.unsigned_refusal_passes && code == Errc::refused);
  };
  for (std::size_t i = 0; i < order.size(); ++i) {
    Via v = order[i];
    EnvelopeTransport* t = network.find(v);
    if (t == nullptr) {
      result.skipped.push_back(via_label(v) + ": not available in this build");
      continue;
    }
    auto left = std::max(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()),
                         std::chrono::milliseconds(0));
    // The first transport is always tried (a timeout of 0 sends without waiting).
    if (left.count() == 0 && attempted) {
      result.skipped.push_back(via_label(v) + ": not tried, no time left");
      timed_out = true;
      continue;
    }
    if (options.on_attempt) options.on_attempt(v, tried);
    ++tried;
    attempted = true;
    // An equal share of what is left for this one and each after it.
    auto share = left / static_cast<long>(order.size() - i);
    Clock::time_point attempt_deadline = Clock::now() + share;
    auto report = t->deliver(peer, envelope, share);
    if (!report.ok()) {
      Errc code = report.error().code();
      if (!passes(code)) return report.error();
      timed_out = timed_out || code == Errc::timeout;
      result.skipped.push_back(via_label(v) + ": " + report.error().message());
      continue;
    }
    bool last = i + 1 == order.size();
    if (options.want_answer) {
      if (!report->reply && v == Via::path && options.await_path_answer) {
        auto answer = options.await_path_answer(*report, attempt_deadline);
        if (!answer.ok()) {
          Errc code = answer.error().code();
          if (!passes(code)) return answer.error();
          timed_out = timed_out || code == Errc::timeout;
          result.skipped.push_back(via_label(v) + ": " + answer.error().message());
          continue;
        }
        report->reply = std::move(answer).value();
      }
      if (report->reply) {
        result.report = std::move(report).value();
        return result;
      }
      timed_out = true;
      result.skipped.push_back(via_label(v) + ": no answer within " + seconds_text(share) + " (" + report->detail + ")");
      continue;
    }
    // A plain envelope: a drop into a folder is a delivery; over the network
    // only a verified receipt is, unless there is nothing left to try.
    if (report->confirmed || v == Via::path || last) {
      result.report = std::move(report).value();
      return result;
    }
    result.skipped.push_back(via_label(v) + ": no receipt within " + seconds_text(share) + " (" + report->detail + ")");
  }
  if (timed_out) {
    // A peer that does not accept us answers nothing at all (spec §3), so
    // from here it looks like one that is away: say both.
    return Error(Errc::timeout, std::string(options.want_answer ? "no answer from" : "no receipt from") + " peer \"" +
                                    peer.key + "\" in time (" + describe_skipped(result.skipped) +
                                    "): it is away or busy, or does not accept envelopes from this workspace (a peer "
                                    "never says which; has it added this workspace?)");
  }
  return Error(Errc::unavailable, "cannot reach peer \"" + peer.key + "\" (" + describe_skipped(result.skipped) + ")");
}

// How a delivery ended, for the outbound record.
SentRecord outcome(const PeerRoute& peer, const SignedEnvelope& envelope, const DeliverOptions& options,
                   const Result<SendResult>& result) {
  SentRecord r;
  r.id = envelope.envelope.id;
  r.kind = envelope.envelope.kind;
  r.from = envelope.envelope.from;
  r.to = peer.key + "/" + envelope.envelope.to;
  r.via = options.via;
  if (result.ok()) {
    const SendReport& report = result->report;
    r.via = report.via;
    // A verified receipt, or the signed answer a request waited for.
    r.state = report.confirmed || (options.want_answer && report.reply) ? SentState::receipt_verified : SentState::sent;
    r.detail = report.detail;
  } else {
    Errc code = result.error().code();
    r.state = code == Errc::refused || code == Errc::permission_denied ? SentState::refused : SentState::failed;
    r.detail = result.error().message();
  }
  return r;
}

}  // namespace

Result<SendResult> deliver(const PeerRoute& peer, const SignedEnvelope& envelope, const DeliverOptions& options,
                           const Network& network) {
  Result<SendResult> result = try_transports(peer, envelope, options, network);
  if (const std::optional<SentLog>& sent = network.sent_log()) {
    // A record for people: failing to write it does not undo the delivery.
    (void)sent->record(outcome(peer, envelope, options, result));
  }
  return result;
}

Result<std::optional<SealPublicKey>> seal_key_for(const PeerRoute& peer, SealMode mode, const Network& network,
                                                  std::chrono::milliseconds timeout) {
  BWOC_RETURN_IF_ERROR(refuse_if_revoked(peer));
  bool required = peer.seal == PeerRoute::Seal::required;
  if (mode == SealMode::never) {
    if (required) return Error(Errc::refused, "peer \"" + peer.key + "\" is declared seal = \"required\": its envelopes are always sealed");
    return std::optional<SealPublicKey>();
  }
  if (mode == SealMode::automatic && peer.seal == PeerRoute::Seal::never) return std::optional<SealPublicKey>();
  if (peer.seal_key) return std::optional<SealPublicKey>(*peer.seal_key);
  // A peer that publishes its key on its agent card is sealed to as well; a
  // card that cannot be read now only matters if sealing is a must.
  for (Via v : peer.transports()) {
    EnvelopeTransport* t = network.find(v);
    if (t == nullptr) continue;
    if (auto advertised = t->advertised_seal_key(peer, std::min(timeout, std::chrono::milliseconds(5'000)))) {
      return std::optional<SealPublicKey>(*advertised);
    }
  }
  if (mode == SealMode::always || required) {
    return Error(Errc::not_found, "no X25519 key is known for peer \"" + peer.key +
                                      "\" to seal to: add seal_key and seal_key_sig from its invite (`bwoc peer add`) "
                                      "or its `bwoc trust show --json`");
  }
  return std::optional<SealPublicKey>();
}

Result<bool> seal_for(const Workspace& ws, EnvelopeDraft& draft, const PublicKey& signer, const PeerRoute& peer,
                      SealMode mode, const Network& network, std::chrono::milliseconds timeout) {
  std::optional<SealPublicKey> to;
  if (ws.public_key().ok() && peer.pubkey == *ws.public_key()) {
    // This workspace itself ("self"): sealed to our own key when asked to.
    if (mode == SealMode::always) {
      BWOC_ASSIGN_OR_RETURN(to, ws.seal_key());
    }
  } else {
    BWOC_ASSIGN_OR_RETURN(to, seal_key_for(peer, mode, network, timeout));
  }
  if (!to) return false;
  auto reply = ws.seal_key();
  BWOC_RETURN_IF_ERROR(seal_draft(draft, signer, *to, reply.ok() ? std::optional<SealPublicKey>(*reply) : std::nullopt));
  return true;
}

Status open_answer(const Workspace& ws, Envelope& answer, bool request_sealed) {
  if (!answer.sealed) {
    if (request_sealed) return Error(Errc::refused, "the answer to a sealed request came unsealed");
    return ok_status();
  }
  BWOC_ASSIGN_OR_RETURN(WorkspaceKeys keys, load_workspace_keys(ws));
  std::vector<const SealSecretKey*> secrets = keys.seal_secrets(now_millis());
  auto payload = open_payload(answer, secrets);
  if (!payload.ok()) return Error(Errc::refused, "the sealed answer does not open: " + payload.error().message());
  answer.opened = std::make_shared<const json::Value>(std::move(payload).value());
  return ok_status();
}

Result<SendResult> send(const Workspace& ws, const SecretKey& key, const Routes& routes, const SendRequest& request,
                        const Network& network) {
  const PeerRoute* peer = routes.find(request.peer);
  if (peer == nullptr) {
    return Error(Errc::not_found, "no peer \"" + request.peer + "\" in " + ws.routes_file().string() +
                                      " (see `bwoc peer list`)");
  }
  return send_to(ws, key, *peer, request, network);
}

Result<SendResult> send_to(const Workspace& ws, const SecretKey& key, const PeerRoute& peer,
                           const SendRequest& request, const Network& network) {
  if (!ws.has_agent(request.from)) {
    return Error(Errc::not_found, "no agent \"" + request.from + "\" in this workspace to send from");
  }
  EnvelopeDraft draft;
  draft.kind = request.kind;
  draft.from = request.from;
  draft.to = request.agent;
  draft.aud = peer.pubkey;
  draft.payload = request.payload;
  draft.re = request.re;
  BWOC_RETURN_IF_ERROR(seal_for(ws, draft, key.public_key(), peer, request.seal, network, request.timeout));
  BWOC_ASSIGN_OR_RETURN(SignedEnvelope signed_envelope, sign(draft, key));
  DeliverOptions options;
  options.via = request.via;
  options.timeout = request.timeout;
  return deliver(peer, signed_envelope, options, network);
}

}  // namespace bwoc::peer
