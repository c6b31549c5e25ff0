// bwoc envelope: sign and verify envelopes by hand, for scripts and for
// other implementations checking themselves against bwoc.
#include <CLI/CLI.hpp>

#include <iostream>

#include "bwoc/core/envelope.h"
#include "bwoc/core/files.h"
#include "bwoc/core/receiver.h"
#include "bwoc/core/routes.h"
#include "cli.h"

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

void register_envelope(CLI::App& app, Context& ctx) {
  struct Options {
    std::string from, to, aud, kind = "message";
    std::optional<std::string> payload, payload_file, re, id, ts;
    std::string input = "-";
    std::optional<std::string> now;
    std::string via = "path";
    bool explain = false;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* envelope = app.add_subcommand("envelope", "Sign or verify one envelope (spec: envelope v1)");
  envelope->require_subcommand(1);

  CLI::App* sign = envelope->add_subcommand("sign", "Print an envelope signed with this workspace's key");
  sign->footer(
      "The envelope is printed in canonical form (RFC 8785) on one line.\n\n"
      "Example:\n"
      "  bwoc envelope sign --from agent-a --to agent-b --aud beta --kind feedback \\\n"
      "    --payload '{\"score\":4}' > env.json\n"
      "  bwoc --workspace ../beta envelope verify env.json");
  sign->add_option("--from", opts->from, "Sending agent of this workspace")->required();
  sign->add_option("--to", opts->to, "Receiving agent of the audience workspace")->required();
  sign->add_option("--aud", opts->aud, "The audience: a peer key from routes.toml, \"self\", or ed25519:<base64>")->required();
  sign->add_option("--kind", opts->kind, "Envelope kind, [a-z][a-z0-9._-]{0,63} (default: message)");
  sign->add_option("--payload", opts->payload, "Payload JSON (default: {})");
  sign->add_option("--payload-file", opts->payload_file, "Read the payload from a file, or - for stdin");
  sign->add_option("--re", opts->re, "Id of the envelope this one answers");
  sign->add_option("--id", opts->id, "Use this id instead of a random one (test vectors only)");
  sign->add_option("--ts", opts->ts, "Use this time instead of now (test vectors only)");
  sign->callback([&ctx, opts] {
    ctx.command = "envelope sign";
    ctx.action = [&ctx, opts]() -> int {
      auto ws = ctx.open_workspace();
      if (!ws.ok()) return fail(ctx, ws.error());
      if (!ws->has_agent(opts->from)) {
        return fail(ctx, Error(Errc::not_found, "no agent \"" + opts->from + "\" in this workspace to sign as"));
      }
      EnvelopeDraft draft;
      draft.kind = opts->kind;
      draft.from = opts->from;
      draft.to = opts->to;
      if (opts->aud.rfind("ed25519:", 0) == 0) {
        auto key = PublicKey::from_text(opts->aud);
        if (!key.ok()) return fail(ctx, key.error().context("--aud"));
        draft.aud = *key;
      } else if (opts->aud == "self") {
        auto key = ws->public_key();
        if (!key.ok()) return fail(ctx, key.error());
        draft.aud = *key;
      } else {
        auto routes = Routes::load(ws->routes_file(), ws->root());
        if (!routes.ok()) return fail(ctx, routes.error());
        const PeerRoute* peer = routes->find(opts->aud);
        if (peer == nullptr) {
          return fail(ctx, Error(Errc::not_found, "--aud \"" + opts->aud + "\" is neither a declared peer nor ed25519:<base64>"));
        }
        draft.aud = peer->pubkey;
      }
      auto payload = read_payload(opts->payload, opts->payload_file);
      if (!payload.ok()) return fail(ctx, payload.error());
      draft.payload = std::move(payload).value();
      draft.re = opts->re;
      draft.id = opts->id;
      if (opts->ts) {
        auto t = parse_time_argument(*opts->ts);
        if (!t.ok()) return fail(ctx, t.error().context("--ts"));
        draft.ts = *t;
      }
      auto key = ws->load_secret_key();
      if (!key.ok()) return fail(ctx, key.error());
      auto text = sign_envelope(draft, *key);
      if (!text.ok()) return fail(ctx, text.error());
      std::cout << *text << "\n";
      return 0;
    };
  });

  CLI::App* verify = envelope->add_subcommand("verify", "Run every receiver check on an envelope; print ok or the reason");
  verify->footer(
      "Prints `ok` (exit 0) or the reason code of the first failed check (exit 1):\n"
      "malformed, unsupported_version, unknown_sender, wrong_audience,\n"
      "unknown_recipient, bad_signature, stale, future, replayed.\n"
      "A dry run: nothing is delivered, logged or recorded.\n\n"
      "Example:\n  bwoc envelope verify fixture.json --now 2026-11-22T08:00:01Z");
  verify->add_option("file", opts->input, "Envelope file, or - for stdin (default)");
  verify->add_option("--now", opts->now, "Check at this time instead of now: YYYY-MM-DDTHH:MM:SS[.mmm]Z or @SECONDS");
  verify->add_option("--via", opts->via, "The transport it came by, for the age check: path (7d), a2a (300s), mqtt (7d)")
      ->check(CLI::IsMember({"path", "a2a", "mqtt"}));
  verify->add_flag("--explain", opts->explain, "Also say why on stderr");
  verify->callback([&ctx, opts] {
    ctx.command = "envelope verify";
    ctx.action = [&ctx, opts]() -> int {
      auto ws = ctx.open_workspace();
      if (!ws.ok()) return fail(ctx, ws.error());
      ReceiverOptions ropts;
      if (opts->now) {
        auto t = parse_time_argument(*opts->now);
        if (!t.ok()) return fail(ctx, t.error().context("--now"));
        UnixMillis fixed = *t;
        ropts.clock = [fixed] { return fixed; };
      }
      auto text = read_envelope_input(opts->input);
      if (!text.ok()) return fail(ctx, text.error());
      auto rx = Receiver::open(*ws, ropts);
      if (!rx.ok()) return fail(ctx, rx.error());
      Delivery d = (*rx)->check(*text, *via_from_name(opts->via));
      if (d.outcome == Delivery::Outcome::accepted) {
        std::cout << "ok\n";
        if (opts->explain) std::cerr << "bwoc envelope verify: every check passed; sender: " << d.peer << "\n";
        return 0;
      }
      Reason reason = d.refusal ? d.refusal->reason : Reason::malformed;
      std::cout << reason_code(reason) << "\n";
      if (opts->explain && d.refusal) std::cerr << "bwoc envelope verify: " << d.refusal->detail << "\n";
      return 1;
    };
  });
}

}  // namespace bwoc::cli
