// bwoc demo: two workspaces talking, in a temporary folder, narrated.
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "bwoc/core/drop_folder.h"
#include "bwoc/core/files.h"
#include "bwoc/core/inbox.h"
#include "bwoc/core/receiver.h"
#include "bwoc/core/routes.h"
#include "bwoc/peer/send.h"
#ifdef BWOC_HAVE_A2A
#include "bwoc/a2a/server.h"
#endif
#include "commands.h"
#include "network.h"

namespace bwoc::cli {

namespace {

namespace fs = std::filesystem;

class Transcript {
 public:
  void step(const std::string& title) {
    finish();
    ++n_;
    title_ = title;
    lines_.clear();
    start_ = std::chrono::steady_clock::now();
  }
  void note(const std::string& line) { lines_.push_back(line); }
  void finish() {
    if (title_.empty()) return;
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count();
    total_ms_ += ms;
    char head[160];
    std::snprintf(head, sizeof head, "%2d  %-62s %7.1f ms", n_, title_.c_str(), ms);
    std::cout << head << "\n";
    for (const auto& l : lines_) std::cout << "      " << l << "\n";
    title_.clear();
  }
  double total_ms() const { return total_ms_; }

 private:
  int n_ = 0;
  std::string title_;
  std::vector<std::string> lines_;
  std::chrono::steady_clock::time_point start_;
  double total_ms_ = 0;
};

std::string short_key(const PublicKey& k) { return k.to_text().substr(0, 20) + "\xE2\x80\xA6"; }

// A receiver's verdict on whatever is in its drop folder right now.
Result<IngestReport> ingest(const Workspace& ws) {
  BWOC_ASSIGN_OR_RETURN(auto rx, Receiver::open(ws));
  return ingest_drop_folder(*rx);
}

int run_demo_in(Context& ctx, const std::string& dir_arg, bool keep) {
  fs::path base;
  if (dir_arg.empty()) {
    std::string pattern = (fs::temp_directory_path() / "bwoc-demo-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) return fail(ctx, Error(Errc::io_error, "cannot create a temporary folder"));
    base = pattern;
  } else {
    base = fs::absolute(dir_arg);
    Status st = ensure_directory(base, 0755);
    if (!st.ok()) return fail(ctx, st.error());
  }
  std::cout << "bwoc demo: two workspaces, alpha and beta, in " << base.string() << "\n\n";
  Transcript t;
  auto check = [&](const Status& st) { return st.ok() ? 0 : fail(ctx, st.error()); };

  // 1. Two workspaces with keys and agents.
  t.step("init alpha and beta; make their Ed25519 key pairs");
  auto alpha = Workspace::init(base / "alpha", "alpha");
  if (!alpha.ok()) return fail(ctx, alpha.error());
  auto beta = Workspace::init(base / "beta", "beta");
  if (!beta.ok()) return fail(ctx, beta.error());
  auto alpha_pk = alpha->keygen(false);
  auto beta_pk = beta->keygen(false);
  if (!alpha_pk.ok() || !beta_pk.ok()) return fail(ctx, (alpha_pk.ok() ? beta_pk : alpha_pk).error());
  if (int rc = check(alpha->add_agent("agent-guanyin", "Reviews incident reports"))) return rc;
  if (int rc = check(beta->add_agent("agent-wenchang", "Writes root-cause analyses"))) return rc;
  t.note("alpha  " + short_key(*alpha_pk) + "  fingerprint " + alpha_pk->fingerprint() + "  agent-guanyin");
  t.note("beta   " + short_key(*beta_pk) + "  fingerprint " + beta_pk->fingerprint() + "  agent-wenchang");

  // 2. Each pins the other's key.
  t.step("declare each other as peers (.bwoc/routes.toml, pinned keys)");
  auto declare = [](const Workspace& ws, const Workspace& peer, const PublicKey& key) {
    std::string text = "[[peer]]\nkey = \"" + peer.name() + "\"\nname = \"" + peer.name() +
                       " workspace\"\npubkey = \"" + key.to_text() + "\"\npath = \"" + peer.root().string() + "\"\n";
    return write_file_atomic(ws.routes_file(), text);
  };
  if (int rc = check(declare(*alpha, *beta, *beta_pk))) return rc;
  if (int rc = check(declare(*beta, *alpha, *alpha_pk))) return rc;
  t.note("alpha pins beta's key and reaches it by path; beta pins alpha's");

  // 3. A signed envelope over the path transport.
  t.step("alpha/agent-guanyin sends feedback to beta/agent-wenchang");
  auto alpha_routes = Routes::load(alpha->routes_file(), alpha->root());
  auto alpha_key = alpha->load_secret_key();
  if (!alpha_routes.ok() || !alpha_key.ok()) return fail(ctx, (alpha_routes.ok() ? alpha_key.error() : alpha_routes.error()));
  peer::SendRequest req;
  req.peer = "beta";
  req.agent = "agent-wenchang";
  req.from = "agent-guanyin";
  req.kind = "feedback";
  req.payload = *json::parse(R"({"score":4,"comment":"Excellent root-cause analysis."})");
  peer::Network network = make_network(*alpha);
  auto sent = peer::send(*alpha, *alpha_key, *alpha_routes, req, network);
  if (!sent.ok()) return fail(ctx, sent.error());
  t.note("signed " + sent->id + " (kind feedback) and dropped it into beta's drop folder");

  // 4. The receiver checks and delivers.
  t.step("beta ingests its drop folder: every check of spec section 3");
  auto first = ingest(*beta);
  if (!first.ok()) return fail(ctx, first.error());
  t.note("accepted " + std::to_string(first->accepted) + " -> agents/agent-wenchang/memories/inbox.jsonl (on disk, fsynced)");

  // 5. A tampered copy.
  t.step("a tampered copy (score 4 -> 5) arrives");
  std::string tampered = sent->envelope_text;
  tampered.replace(tampered.find("\"score\":4"), 9, "\"score\":5");
  auto dropped = drop_envelope(beta->root(), tampered);
  if (!dropped.ok()) return fail(ctx, dropped.error());
  auto second = ingest(*beta);
  if (!second.ok()) return fail(ctx, second.error());
  t.note("refused: " + (second->items.empty() ? std::string("?") : second->items.front().reason) +
         "  (quarantined, logged; the sender is told nothing)");

  // 6. A replay of the original.
  t.step("the original arrives a second time (a replay)");
  dropped = drop_envelope(beta->root(), sent->envelope_text);
  if (!dropped.ok()) return fail(ctx, dropped.error());
  auto third = ingest(*beta);
  if (!third.ok()) return fail(ctx, third.error());
  t.note("refused: " + (third->items.empty() ? std::string("?") : third->items.front().reason) +
         "  (the inbox keeps exactly one copy)");

#ifdef BWOC_HAVE_A2A
  // 7. The same over A2A: beta serves, alpha sends and checks the receipt.
  t.step("beta serves agent-wenchang over A2A on 127.0.0.1");
  a2a::ServeOptions serve;
  serve.agent = "agent-wenchang";
  serve.port = 0;
  serve.threads = 1;
  auto server = a2a::Server::start(*beta, serve);
  if (!server.ok()) return fail(ctx, server.error());
  t.note("agent card at " + (*server)->base_url() + "/.well-known/agent-card.json");
  t.step("alpha sends over A2A and verifies beta's signed receipt");
  std::string routes_text = "[[peer]]\nkey = \"beta\"\nname = \"beta workspace\"\npubkey = \"" + beta_pk->to_text() +
                            "\"\npath = \"" + beta->root().string() + "\"\nurl = \"" + (*server)->base_url() + "\"\n";
  if (int rc = check(write_file_atomic(alpha->routes_file(), routes_text))) return rc;
  auto a2a_routes = Routes::load(alpha->routes_file(), alpha->root());
  if (!a2a_routes.ok()) return fail(ctx, a2a_routes.error());
  req.via = Via::a2a;
  req.payload = *json::parse(R"({"score":5,"comment":"Clear, and fast."})");
  auto over_a2a = peer::send(*alpha, *alpha_key, *a2a_routes, req, network);
  if (!over_a2a.ok()) return fail(ctx, over_a2a.error());
  t.note(over_a2a->report.detail);
  (*server)->stop();
  const bool a2a_ok = over_a2a->report.confirmed;
  const std::uint64_t expected_lines = 2;
#else
  const bool a2a_ok = true;
  const std::uint64_t expected_lines = 1;
#endif

  // The result, re-verified.
  t.step("beta re-verifies agent-wenchang's inbox");
  auto beta_routes = Routes::load(beta->routes_file(), beta->root());
  auto verified = verify_inbox(*beta, *beta_routes, "agent-wenchang");
  if (!verified.ok()) return fail(ctx, verified.error());
  auto listing = list_inbox(*beta, *beta_routes, "agent-wenchang", 0);
  if (!listing.ok()) return fail(ctx, listing.error());
  for (const InboxEntry& e : listing->entries) {
    t.note(e.peer + "/" + e.from + "  " + e.kind + "  " + summarize(e.payload, 60));
  }
  t.note(std::to_string(verified->verified) + " of " + std::to_string(verified->lines) + " lines verify");
  t.finish();

  bool ok = first->accepted == 1 && second->refused == 1 && third->duplicates == 1 && verified->problems.empty() &&
            verified->lines == expected_lines && a2a_ok;
  std::printf("\n%s in %.1f ms.\n", ok ? "Every step behaved as the spec says" : "UNEXPECTED RESULT", t.total_ms());
  if (keep) {
    std::cout << "The workspaces are kept: try\n"
              << "  bwoc -w " << (base / "beta").string() << " inbox list agent-wenchang\n"
              << "  bwoc -w " << (base / "beta").string() << " inbox refusals\n";
  } else {
    std::error_code ec;
    fs::remove_all(base, ec);
    std::cout << "The workspaces were removed (--keep leaves them to look around).\n";
  }
  return ok ? 0 : 1;
}

}  // namespace

int run_demo(Context& ctx, const DemoOptions& o) { return run_demo_in(ctx, o.dir, o.keep || !o.dir.empty()); }

}  // namespace bwoc::cli
