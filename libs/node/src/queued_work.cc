#include "bwoc/node/queued_work.h"

#include "bwoc/core/envelope.h"
#include "bwoc/core/files.h"
#include "bwoc/core/key_ring.h"
#include "bwoc/core/log.h"
#include "bwoc/core/request_ledger.h"
#include "bwoc/core/seal.h"

namespace bwoc::node {

namespace {

// Bounds the look: a folder flooded by a hostile peer is refused at ingest.
constexpr std::size_t kMaxEntriesLooked = 100'000;

}  // namespace

Result<std::size_t> refuse_queued_requests(const Workspace& ws, const PublicKey& key, const std::string& peer,
                                           const std::string& why) {
  std::filesystem::path dir = ws.drop_dir() / "new";
  std::vector<std::string> names;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end && names.size() < kMaxEntriesLooked;
       it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  if (names.empty()) return std::size_t{0};
  std::unique_ptr<RequestLedger> ledger;
  std::optional<WorkspaceKeys> keys;
  std::size_t refused = 0;
  for (const std::string& name : names) {
    auto text = read_file_beneath(dir, name, kMaxEnvelopeBytes);  // no links, nothing larger than an envelope
    if (!text.ok()) continue;
    Checked<Envelope> parsed = parse_envelope(*text);
    if (!parsed.ok()) continue;
    Envelope envelope = std::move(parsed).value();
    std::string scratch;
    if (envelope.kind != "skill.call" || envelope.key != key || !verify_signature(envelope, scratch)) continue;
    if (envelope.sealed) {
      if (!keys) {
        BWOC_ASSIGN_OR_RETURN(WorkspaceKeys loaded, load_workspace_keys(ws));
        keys.emplace(std::move(loaded));
      }
      auto opened = open_payload(envelope, keys->seal_secrets(now_millis()));
      if (!opened.ok()) continue;
      envelope.opened = std::make_shared<const json::Value>(std::move(opened).value());
    }
    auto terms = request_terms(envelope.payload(), envelope.to);
    if (!terms.ok() || !terms->has_value()) continue;  // a plain call: refused at ingest, nothing to record
    if (!ledger) {
      BWOC_ASSIGN_OR_RETURN(ledger, RequestLedger::open(ws));
    }
    BWOC_ASSIGN_OR_RETURN(bool recorded, ledger->refuse(key, **terms, peer, why));
    if (!recorded) continue;  // settled before
    ++refused;
    log::warning("request.refused",
                 {{"peer", peer}, {"idem", (*terms)->idem}, {"id", envelope.id}, {"reason", why}, {"queued", name}});
  }
  return refused;
}

}  // namespace bwoc::node
