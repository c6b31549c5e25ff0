// bwoc envelope: sign and verify envelopes by hand, for scripts and for
// other implementations checking themselves against bwoc.
#include <iostream>

#include "bwoc/core/envelope.h"
#include "bwoc/core/files.h"
#include "bwoc/core/key_ring.h"
#include "bwoc/core/receiver.h"
#include "bwoc/core/routes.h"
#include "bwoc/core/terminal_text.h"
#include "commands.h"

namespace bwoc::cli {

namespace {

// An envelope from a file or stdin: a line break that `echo` or an editor
// added is not part of it; more than 1 MiB is malformed whatever follows.
Result<std::string> read_envelope_input(const std::string& source) {
  bool truncated = false;
  BWOC_ASSIGN_OR_RETURN(std::string text, read_at_most(source, kMaxEnvelopeBytes + 1, truncated));
  while (!truncated && !text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

}  // namespace

int run_envelope_sign(Context& ctx, const EnvelopeOptions& o) {
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  if (!ws->has_agent(o.from)) {
    return fail(ctx, Error(Errc::not_found, "no agent \"" + o.from + "\" in this workspace to sign as"));
  }
  EnvelopeDraft draft;
  draft.kind = o.kind;
  draft.from = o.from;
  draft.to = o.to;
  std::optional<SealPublicKey> seal_to;
  if (o.aud.rfind("ed25519:", 0) == 0) {
    auto key = PublicKey::from_text(o.aud);
    if (!key.ok()) return fail(ctx, key.error().context("--aud"));
    draft.aud = *key;
  } else if (o.aud == "self") {
    auto key = ws->public_key();
    if (!key.ok()) return fail(ctx, key.error());
    draft.aud = *key;
    seal_to = ws->identity().seal_key;
  } else {
    auto routes = Routes::load(ws->routes_file(), ws->root());
    if (!routes.ok()) return fail(ctx, routes.error());
    const PeerRoute* peer = routes->find(o.aud);
    if (peer == nullptr) {
      return fail(ctx, Error(Errc::not_found, "--aud \"" + o.aud + "\" is neither a declared peer nor ed25519:<base64>"));
    }
    draft.aud = peer->pubkey;
    seal_to = peer->seal_key;
  }
  auto payload = read_payload(o.payload, o.payload_file);
  if (!payload.ok()) return fail(ctx, payload.error());
  draft.payload = std::move(payload).value();
  draft.re = o.re;
  draft.id = o.id;
  if (o.ts) {
    auto t = parse_time_argument(*o.ts);
    if (!t.ok()) return fail(ctx, t.error().context("--ts"));
    draft.ts = *t;
  }
  auto key = ws->load_secret_key();
  if (!key.ok()) return fail(ctx, key.error());
  if (o.seal_to) {
    auto k = SealPublicKey::from_text(*o.seal_to);
    if (!k.ok()) return fail(ctx, k.error().context("--seal-to"));
    seal_to = *k;
  }
  if (o.seal || o.seal_to) {
    if (!seal_to) return fail(ctx, Error(Errc::not_found, "no X25519 key is known for --aud: give --seal-to x25519:<base64>"));
    if (Status st = seal_draft(draft, key->public_key(), *seal_to, ws->identity().seal_key); !st.ok()) return fail(ctx, st.error());
  }
  auto text = sign_envelope(draft, *key);
  if (!text.ok()) return fail(ctx, text.error());
  std::cout << *text << "\n";
  return 0;
}

int run_envelope_verify(Context& ctx, const EnvelopeOptions& o) {
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  ReceiverOptions ropts;
  if (o.now) {
    auto t = parse_time_argument(*o.now);
    if (!t.ok()) return fail(ctx, t.error().context("--now"));
    UnixMillis fixed = *t;
    ropts.clock = [fixed] { return fixed; };
  }
  auto text = read_envelope_input(o.input);
  if (!text.ok()) return fail(ctx, text.error());
  // The same checks as a node's: its own keys (a rotation's grace period
  // too), and a sealed payload opened with its X25519 key.
  // (A workspace that holds only its public key checks everything but that.)
  auto ring = KeyRing::open(*ws, ropts.clock);
  if (ring.ok()) use_key_ring(ropts, **ring);
  auto rx = Receiver::open(*ws, ropts);
  if (!rx.ok()) return fail(ctx, rx.error());
  Delivery d = (*rx)->check(*text, *via_from_name(o.via));
  if (d.outcome == Delivery::Outcome::accepted) {
    std::cout << "ok\n";
    if (o.explain) std::cerr << "bwoc envelope verify: every check passed; sender: " << terminal_safe(d.peer) << "\n";
    return 0;
  }
  Reason reason = d.refusal ? d.refusal->reason : Reason::malformed;
  std::cout << reason_code(reason) << "\n";
  if (o.explain && d.refusal) std::cerr << "bwoc envelope verify: " << terminal_safe(d.refusal->detail) << "\n";
  return 1;
}

}  // namespace bwoc::cli
