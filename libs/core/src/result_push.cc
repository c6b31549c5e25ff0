#include "bwoc/core/result_push.h"

#include "bwoc/core/log.h"
#include "record_fields.h"

namespace bwoc {

namespace {

using records::string_of;
using records::millis_of;

constexpr std::int64_t kKeepSettledMs = 7LL * 24 * 3600 * 1000;



std::optional<PushState> push_state_from_name(std::string_view s) {
  for (PushState st : {PushState::pending, PushState::answered, PushState::acknowledged, PushState::expired,
                       PushState::cancelled}) {
    if (push_state_name(st) == s) return st;
  }
  return std::nullopt;
}

}  // namespace

std::string_view push_state_name(PushState s) {
  switch (s) {
    case PushState::pending: return "pending";
    case PushState::answered: return "answered";
    case PushState::acknowledged: return "acknowledged";
    case PushState::expired: return "expired";
    case PushState::cancelled: return "cancelled";
  }
  return "?";
}

std::filesystem::path PushStore::file_of(const Workspace& ws) { return ws.state_dir() / "requests" / "pushes.jsonl"; }

Result<std::unique_ptr<PushStore>> PushStore::open(const Workspace& ws) {
  BWOC_ASSIGN_OR_RETURN(std::unique_ptr<Outbox> outbox, Outbox::open(file_of(ws)));
  std::unique_ptr<PushStore> store(new PushStore(std::move(outbox)));
  BWOC_RETURN_IF_ERROR(store->refresh());
  if (auto dropped = store->compact_if_worth(now_millis(), 4096); !dropped.ok()) {
    log::warning("request.push_compaction_failed", {{"error", dropped.error().message()}});
  }
  return store;
}

void PushStore::apply(const json::Value& r) {
  std::string op = string_of(r, "op");
  std::string id = string_of(r, "id");
  ++records_;
  ++records_of_[id];
  if (op == "push") {
    auto caller = PublicKey::from_text(string_of(r, "caller"));
    if (id.empty() || !caller.ok() || entries_.count(id) != 0) return;
    PushEntry e;
    e.id = id;
    e.peer = string_of(r, "peer");
    e.caller = *caller;
    e.answer = string_of(r, "answer");
    e.deadline = millis_of(r, "deadline");
    e.not_before = millis_of(r, "not_before");
    e.created = e.updated = millis_of(r, "at");
    entries_.emplace(id, std::move(e));
    return;
  }
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  PushEntry& e = it->second;
  if (op == "attempt") {
    std::string env = string_of(r, "env");
    if (env.empty()) return;
    attempts_[env] = id;
    ++e.attempts;
    e.via = string_of(r, "via");
  } else if (op == "state") {
    auto st = push_state_from_name(string_of(r, "state"));
    if (!st || e.state != PushState::pending) return;  // the first final state wins
    e.state = *st;
    e.reason = string_of(r, "reason");
    e.updated = millis_of(r, "at");
  }
}

void PushStore::forget_all() {
  entries_.clear();
  attempts_.clear();
  records_ = 0;
  records_of_.clear();
  read_to_ = Outbox::Position{};
}

Status PushStore::refresh_locked() {
  BWOC_ASSIGN_OR_RETURN(read_to_, outbox_->read(read_to_, [this] { forget_all(); },
                                                [this](const json::Value& r) { apply(r); }));
  return ok_status();
}

Status PushStore::refresh() {
  std::lock_guard lock(mu_);
  return refresh_locked();
}

Status PushStore::enqueue(const Draft& d, UnixMillis now) {
  if (d.answer_id.empty() || d.answer.empty()) return Error(Errc::invalid_argument, "a push carries a signed answer");
  json::Value r = json::Value::object({{"op", "push"},
                                       {"id", d.answer_id},
                                       {"peer", d.peer},
                                       {"caller", d.caller.to_text()},
                                       {"answer", d.answer},
                                       {"deadline", d.deadline},
                                       {"not_before", d.not_before},
                                       {"at", now}});
  BWOC_RETURN_IF_ERROR(outbox_->append(std::move(r)));
  return refresh();
}

std::vector<PushEntry> PushStore::list() {
  std::lock_guard lock(mu_);
  std::vector<PushEntry> out;
  out.reserve(entries_.size());
  for (const auto& [id, e] : entries_) out.push_back(e);
  std::sort(out.begin(), out.end(), [](const PushEntry& a, const PushEntry& b) {
    return a.created != b.created ? a.created < b.created : a.id < b.id;
  });
  return out;
}

std::vector<PushEntry> PushStore::pending() {
  std::vector<PushEntry> all = list();
  std::erase_if(all, [](const PushEntry& e) { return e.state != PushState::pending; });
  return all;
}

std::optional<PushEntry> PushStore::find(std::string_view id) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(std::string(id));
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> PushStore::push_of_attempt(std::string_view envelope_id) {
  std::lock_guard lock(mu_);
  auto it = attempts_.find(std::string(envelope_id));
  if (it == attempts_.end()) return std::nullopt;
  return it->second;
}

Status PushStore::record_attempt(std::string_view id, std::string_view envelope_id, std::string_view via,
                                 UnixMillis now) {
  BWOC_RETURN_IF_ERROR(outbox_->append(json::Value::object({{"op", "attempt"},
                                                            {"id", std::string(id)},
                                                            {"env", std::string(envelope_id)},
                                                            {"via", std::string(via)},
                                                            {"at", now}})));
  return refresh();
}

Result<bool> PushStore::settle(std::string_view id, PushState state, std::string_view reason, UnixMillis now) {
  {
    std::lock_guard lock(mu_);
    BWOC_RETURN_IF_ERROR(refresh_locked());
    auto it = entries_.find(std::string(id));
    if (it == entries_.end() || it->second.state != PushState::pending) return false;
  }
  json::Value r = json::Value::object(
      {{"op", "state"}, {"id", std::string(id)}, {"state", std::string(push_state_name(state))}, {"at", now}});
  if (!reason.empty()) r.set("reason", std::string(reason));
  BWOC_RETURN_IF_ERROR(outbox_->append(std::move(r)));
  BWOC_RETURN_IF_ERROR(refresh());
  return true;
}

Result<std::size_t> PushStore::cancel_peer(std::string_view peer, std::string_view reason, UnixMillis now) {
  BWOC_RETURN_IF_ERROR(refresh());
  std::vector<json::Value> records;
  for (const PushEntry& e : pending()) {
    if (e.peer != peer) continue;
    records.push_back(json::Value::object({{"op", "state"},
                                           {"id", e.id},
                                           {"state", std::string(push_state_name(PushState::cancelled))},
                                           {"reason", std::string(reason)},
                                           {"at", now}}));
  }
  if (records.empty()) return std::size_t{0};
  std::size_t n = records.size();
  BWOC_RETURN_IF_ERROR(outbox_->append(std::move(records)));
  BWOC_RETURN_IF_ERROR(refresh());
  log::info("request.push_peer_purged",
            {{"peer", std::string(peer)}, {"pushes", std::to_string(n)}, {"reason", std::string(reason)}});
  return n;
}

Result<std::size_t> PushStore::compact_if_worth(UnixMillis now, std::size_t min_records) {
  std::lock_guard lock(mu_);
  BWOC_RETURN_IF_ERROR(refresh_locked());
  if (records_ < min_records) return std::size_t{0};
  std::unordered_map<std::string, bool> drop;
  std::size_t dead = 0;
  for (const auto& [id, e] : entries_) {
    if (e.state == PushState::pending || std::max(e.updated, e.deadline) + kKeepSettledMs >= now) continue;
    drop.emplace(id, true);
    dead += records_of_[id];
  }
  if (dead * 2 < records_) return std::size_t{0};
  BWOC_RETURN_IF_ERROR(outbox_->compact([&drop](const json::Value& r) { return drop.count(string_of(r, "id")) == 0; }));
  forget_all();
  BWOC_RETURN_IF_ERROR(refresh_locked());
  return drop.size();
}

json::Value push_entry_json(const PushEntry& e) {
  json::Value j = json::Value::object({{"id", e.id},
                                       {"peer", e.peer},
                                       {"state", std::string(push_state_name(e.state))},
                                       {"created", format_timestamp(e.created)},
                                       {"updated", format_timestamp(e.updated)},
                                       {"deadline", format_timestamp(e.deadline)},
                                       {"attempts", e.attempts}});
  if (!e.via.empty()) j.set("via", e.via);
  if (!e.reason.empty()) j.set("reason", e.reason);
  return j;
}

}  // namespace bwoc
