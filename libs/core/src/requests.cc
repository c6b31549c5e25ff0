#include "bwoc/core/requests.h"

#include <algorithm>

#include "bwoc/core/files.h"
#include "bwoc/core/log.h"
#include "bwoc/core/random.h"
#include "bwoc/core/request_ledger.h"
#include "record_fields.h"

namespace bwoc {

namespace {

using records::string_of;
using records::millis_of;

constexpr std::string_view kResultKind = "skill.result";
constexpr std::string_view kErrorKind = "error";

std::optional<RequestState> state_from_name(std::string_view s) {
  for (RequestState st : {RequestState::queued, RequestState::delivered, RequestState::working, RequestState::done,
                          RequestState::failed, RequestState::expired, RequestState::cancelled}) {
    if (request_state_name(st) == s) return st;
  }
  return std::nullopt;
}



json::Value draft_record(const std::string& id, const RequestDraft& d, UnixMillis now) {
  json::Value r = json::Value::object({{"op", "request"},
                                       {"id", id},
                                       {"at", now},
                                       {"peer", d.peer},
                                       {"agent", d.agent},
                                       {"from", d.from},
                                       {"skill", d.skill},
                                       {"input", d.input},
                                       {"idem", d.idem},
                                       {"deadline", d.deadline}});
  if (d.version) r.set("version", *d.version);
  if (d.not_before > 0) r.set("not_before", d.not_before);
  return r;
}

// Where a verified answer moves its request: nullopt for an answer that
// says nothing about it (a receipt).
std::optional<RequestStore::Change> change_for(const Envelope& answer) {
  RequestStore::Change c;
  if (answer.kind == kResultKind) {
    c.state = RequestState::done;
    c.answer = json::write(answer.doc);
    c.payload = answer.payload();
    return c;
  }
  if (answer.kind != kErrorKind) return std::nullopt;
  const json::Value& p = answer.payload();
  std::string state = p.is_object() ? string_of(p, "state") : std::string();
  std::string error = p.is_object() ? string_of(p, "error") : std::string();
  if (state == "working") {
    c.state = RequestState::working;
  } else if (state == "expired") {
    c.state = RequestState::expired;
    c.reason = error.empty() ? "the peer says the deadline passed" : error;
  } else {
    c.state = RequestState::failed;
    c.reason = error.empty() ? "the peer declined" : error;
    c.answer = json::write(answer.doc);
    c.payload = answer.payload();
  }
  return c;
}

}  // namespace

std::string_view request_state_name(RequestState s) {
  switch (s) {
    case RequestState::queued: return "queued";
    case RequestState::delivered: return "delivered";
    case RequestState::working: return "working";
    case RequestState::done: return "done";
    case RequestState::failed: return "failed";
    case RequestState::expired: return "expired";
    case RequestState::cancelled: return "cancelled";
  }
  return "?";
}

bool is_final(RequestState s) {
  return s == RequestState::done || s == RequestState::failed || s == RequestState::expired ||
         s == RequestState::cancelled;
}

bool is_valid_idem(std::string_view idem) {
  if (idem.empty() || idem.size() > kMaxIdemLength) return false;
  for (char c : idem) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::filesystem::path RequestStore::file_of(const Workspace& ws) { return ws.state_dir() / "requests" / "outbox.jsonl"; }

Result<std::unique_ptr<RequestStore>> RequestStore::open(const Workspace& ws, bool read) {
  BWOC_ASSIGN_OR_RETURN(std::unique_ptr<Outbox> outbox, Outbox::open(file_of(ws)));
  std::unique_ptr<RequestStore> store(new RequestStore(std::move(outbox), read));
  BWOC_RETURN_IF_ERROR(store->refresh());
  if (read) {
    // Best effort: a store too big to compact is still a store.
    if (auto dropped = store->compact_if_worth(); !dropped.ok()) {
      log::warning("request.compaction_failed", {{"error", dropped.error().message()}});
    }
  }
  return store;
}

void RequestStore::apply(const json::Value& r) {
  std::string op = string_of(r, "op");
  std::string id = string_of(r, "id");
  ++records_;
  ++records_of_[id];
  if (op == "request") {
    if (id.empty() || entries_.count(id) != 0) return;
    RequestEntry e;
    e.id = id;
    e.created = e.updated = millis_of(r, "at");
    e.draft.peer = string_of(r, "peer");
    e.draft.agent = string_of(r, "agent");
    e.draft.from = string_of(r, "from");
    e.draft.skill = string_of(r, "skill");
    if (const json::Value* in = r.find("input")) e.draft.input = *in;
    if (const json::Value* v = r.find("version"); v != nullptr && v->is_string()) e.draft.version = v->as_string();
    e.draft.idem = string_of(r, "idem");
    e.draft.deadline = millis_of(r, "deadline");
    e.draft.not_before = millis_of(r, "not_before");
    entries_.emplace(id, std::move(e));
    return;
  }
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  RequestEntry& e = it->second;
  if (op == "attempt") {
    std::string env = string_of(r, "env");
    auto aud = PublicKey::from_text(string_of(r, "aud"));
    if (env.empty() || !aud.ok()) return;
    attempts_[env] = AttemptOf{id, *aud};
    ++e.attempts;
    e.last_attempt = millis_of(r, "at");
    if (std::string via = string_of(r, "via"); !via.empty()) e.via = via;
    return;
  }
  if (op == "state") {
    auto st = state_from_name(string_of(r, "state"));
    if (!st || is_final(e.state)) return;  // the first final state wins
    // An answer that is only news of progress never takes a request back.
    if (*st == RequestState::delivered && e.state == RequestState::working) return;
    e.state = *st;
    e.updated = millis_of(r, "at");
    e.reason = string_of(r, "reason");
    e.answer = string_of(r, "answer");
    e.answer_id = string_of(r, "answer_id");
    if (const json::Value* p = r.find("payload")) e.payload = *p;
    if (std::string via = string_of(r, "via"); !via.empty()) e.via = via;
  }
}

Status RequestStore::refresh_locked() {
  if (!read_) return ok_status();
  BWOC_ASSIGN_OR_RETURN(read_to_, outbox_->read(read_to_, [this] { forget_all(); },
                                                [this](const json::Value& r) { apply(r); }));
  return ok_status();
}

void RequestStore::forget_all() {
  entries_.clear();
  attempts_.clear();
  records_ = 0;
  records_of_.clear();
  read_to_ = Outbox::Position{};
}

std::pair<std::unordered_map<std::string, bool>, std::size_t> RequestStore::droppable(UnixMillis now,
                                                                                         std::int64_t keep_ms) {
  std::unordered_map<std::string, bool> ids;
  std::size_t records = 0;
  for (const auto& [id, e] : entries_) {
    if (std::max(e.updated, e.draft.deadline) + keep_ms >= now) continue;
    ids.emplace(id, true);
    records += records_of_[id];
  }
  return {std::move(ids), records};
}

Result<std::size_t> RequestStore::compact_if_worth(UnixMillis now, const Compaction& policy) {
  {
    std::lock_guard lock(mu_);
    BWOC_RETURN_IF_ERROR(refresh_locked());
    if (!read_ || records_ < policy.min_records) return std::size_t{0};
    auto [ids, records] = droppable(now, policy.keep_settled_ms);
    if (records * 2 < records_) return std::size_t{0};
  }
  return compact(now, policy.keep_settled_ms);
}

Result<std::size_t> RequestStore::compact(UnixMillis now, std::int64_t keep_settled_ms) {
  std::lock_guard lock(mu_);
  read_ = true;
  BWOC_RETURN_IF_ERROR(refresh_locked());
  // Plain names, not a structured binding: clang 14 cannot capture those.
  auto droppable_now = droppable(now, keep_settled_ms);
  const auto& drop = droppable_now.first;
  const std::size_t records = droppable_now.second;
  if (drop.empty()) return std::size_t{0};
  // Records others appended since the look above are kept, unless they add
  // to a request being dropped (a late state for it says nothing new).
  BWOC_RETURN_IF_ERROR(outbox_->compact([&drop](const json::Value& r) { return drop.count(string_of(r, "id")) == 0; }));
  forget_all();
  BWOC_RETURN_IF_ERROR(refresh_locked());
  log::info("request.outbox_compacted",
            {{"requests_dropped", std::to_string(drop.size())}, {"records_dropped", std::to_string(records)}});
  return drop.size();
}

Status RequestStore::refresh() {
  std::lock_guard lock(mu_);
  return refresh_locked();
}

namespace {

// Two drafts name the same work when they differ at most in how their JSON is spelled.
std::string work_of(const RequestDraft& d) {
  json::Value version = d.version ? json::Value(*d.version) : json::Value();
  return work_digest(d.agent, json::Value(d.skill), d.version ? &version : nullptr, &d.input);
}

}  // namespace

Result<std::optional<std::string>> RequestStore::made_under_key(const RequestDraft& d) {
  std::lock_guard lock(mu_);
  read_ = true;  // a key the user chose is worth reading the file for
  BWOC_RETURN_IF_ERROR(refresh_locked());
  for (const auto& [id, e] : entries_) {
    if (e.draft.idem != d.idem || e.draft.peer != d.peer) continue;
    if (work_of(e.draft) == work_of(d)) {
      return std::optional<std::string>(id);
    }
    return Error(Errc::invalid_argument, "the key " + d.idem + " names request " + id +
                                             " already, with other work: a key names one piece of work");
  }
  return std::optional<std::string>();
}

Result<std::vector<std::string>> RequestStore::enqueue(std::vector<RequestDraft> drafts, UnixMillis now) {
  std::vector<std::string> ids;
  std::vector<json::Value> records;
  ids.reserve(drafts.size());
  records.reserve(drafts.size());
  // Keys the user chose are looked up and recorded under one lock for the
  // workspace: two commands with the same key at once make one request.
  std::optional<FileLock> keys_lock;
  if (std::any_of(drafts.begin(), drafts.end(), [](const RequestDraft& d) { return !d.idem.empty(); })) {
    BWOC_ASSIGN_OR_RETURN(FileLock held, FileLock::acquire(outbox_->file().parent_path() / "keys.lock"));
    keys_lock.emplace(std::move(held));
  }
  for (RequestDraft& d : drafts) {
    if (d.peer.empty() || d.skill.empty()) return Error(Errc::invalid_argument, "a request names a peer and a skill");
    if (!d.idem.empty() && !is_valid_idem(d.idem)) {
      return Error(Errc::invalid_argument, "an idempotency key is 1 to 128 of A-Z a-z 0-9 . _ : -");
    }
    if (d.deadline <= now) return Error(Errc::invalid_argument, "the deadline has passed already");
    if (d.deadline - now > kMaxRequestDeadlineMs) return Error(Errc::invalid_argument, "a deadline is at most 30 days away");
    if (!d.idem.empty()) {
      // A key the user chose names one piece of work: the same work again
      // is the request already made; other work under it would be answered
      // with the first one's result (the provider keeps one per key).
      BWOC_ASSIGN_OR_RETURN(std::optional<std::string> same, made_under_key(d));
      if (same) {
        ids.push_back(*same);
        continue;
      }
    }
    std::string id = random_id();
    if (d.idem.empty()) d.idem = id;
    records.push_back(draft_record(id, d, now));
    ids.push_back(std::move(id));
  }
  if (!records.empty()) BWOC_RETURN_IF_ERROR(outbox_->append(std::move(records)));
  BWOC_RETURN_IF_ERROR(refresh());
  return ids;
}

namespace {

// A request whose deadline has passed is expired whether or not a courier
// has written so yet: what people and commands are shown is exact.
RequestEntry as_seen_at(RequestEntry e, UnixMillis now) {
  if (!is_final(e.state) && now >= e.draft.deadline) {
    e.state = RequestState::expired;
    e.reason = "the deadline passed before an answer came";
  }
  return e;
}

}  // namespace

std::vector<RequestEntry> RequestStore::list() {
  std::lock_guard lock(mu_);
  std::vector<RequestEntry> out;
  out.reserve(entries_.size());
  UnixMillis now = now_millis();
  for (const auto& [id, e] : entries_) out.push_back(as_seen_at(e, now));
  std::sort(out.begin(), out.end(), [](const RequestEntry& a, const RequestEntry& b) {
    return a.created != b.created ? a.created < b.created : a.id < b.id;
  });
  return out;
}

std::optional<RequestEntry> RequestStore::find(std::string_view id) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(std::string(id));
  if (it == entries_.end()) return std::nullopt;
  return as_seen_at(it->second, now_millis());
}

std::vector<RequestEntry> RequestStore::pending() {
  std::vector<RequestEntry> all = list();
  std::erase_if(all, [](const RequestEntry& e) { return is_final(e.state); });
  return all;
}

Status RequestStore::record_attempts(const std::vector<Attempt>& attempts, UnixMillis now) {
  std::vector<json::Value> records;
  records.reserve(attempts.size());
  for (const Attempt& a : attempts) {
    records.push_back(json::Value::object({{"op", "attempt"},
                                           {"id", a.request},
                                           {"env", a.envelope_id},
                                           {"aud", a.aud.to_text()},
                                           {"via", a.via},
                                           {"at", now}}));
  }
  BWOC_RETURN_IF_ERROR(outbox_->append(std::move(records)));
  return refresh();
}

Status RequestStore::record(const std::vector<Change>& changes, UnixMillis now) {
  std::vector<json::Value> records;
  records.reserve(changes.size());
  for (const Change& c : changes) {
    json::Value r = json::Value::object(
        {{"op", "state"}, {"id", c.request}, {"state", std::string(request_state_name(c.state))}, {"at", now}});
    if (!c.reason.empty()) r.set("reason", c.reason);
    if (!c.answer.empty()) r.set("answer", c.answer);
    if (!c.payload.is_null()) r.set("payload", c.payload);
    if (!c.via.empty()) r.set("via", c.via);
    if (!c.answer_id.empty()) r.set("answer_id", c.answer_id);
    records.push_back(std::move(r));
  }
  BWOC_RETURN_IF_ERROR(outbox_->append(std::move(records)));
  return refresh();
}

Result<RequestStore::Judgement> RequestStore::judge_answer(const Envelope& answer, UnixMillis now) {
  std::lock_guard lock(mu_);
  BWOC_RETURN_IF_ERROR(refresh_locked());
  Judgement j;
  if (!answer.re) return j;
  auto attempt = attempts_.find(*answer.re);
  if (attempt == attempts_.end()) {
    // An answer that says it is about a request (it names one) but answers
    // no attempt of ours: refused. Any other answer may be to a call made
    // outside the store (`mcp serve`'s, a status read), whose asker looks for
    // it in the inbox: none of the store's business.
    const json::Value& p = answer.payload();
    if (p.is_object() && p.find(kIdemMember) != nullptr) {
      j.verdict = AnswerVerdict::refused;
      j.reason = "unknown request";
      log::warning("request.answer_refused", {{"reason", j.reason}, {"re", *answer.re}, {"kind", answer.kind}});
    }
    return j;
  }
  const RequestEntry& e = entries_.at(attempt->second.request);
  auto refuse = [&](std::string why, log::Level level = log::Level::warning) {
    log::event(level, "request.answer_refused",
               {{"reason", why}, {"request", e.id}, {"peer", e.draft.peer}, {"kind", answer.kind}});
    j.verdict = AnswerVerdict::refused;
    j.reason = std::move(why);
    return j;
  };
  if (answer.key != attempt->second.aud) return refuse("wrong key");
  // An answer that names a request names ours, or it answers other work.
  if (const json::Value* idem = answer.payload().is_object() ? answer.payload().find(kIdemMember) : nullptr;
      idem != nullptr && !(idem->is_string() && idem->as_string() == e.draft.idem)) {
    return refuse("idem is not the request's");
  }
  // A result names the skill (and version) that produced it: another's is no result of this request.
  if (answer.kind == "skill.result" && answer.payload().is_object()) {
    const json::Value* skill = answer.payload().find("skill");
    const json::Value* version = answer.payload().find("version");
    if (skill != nullptr && !(skill->is_string() && skill->as_string() == e.draft.skill)) {
      return refuse("a result of another skill");
    }
    if (e.draft.version && version != nullptr && !(version->is_string() && version->as_string() == *e.draft.version)) {
      return refuse("a result of another version");
    }
  }
  std::optional<Change> c = change_for(answer);
  if (!c) return j;
  // News of progress that comes after the result (a copy answered while
  // the first was at work) is old news, not a replay.
  if (is_final(e.state) && !is_final(c->state)) return j;
  // The peer agrees the deadline passed: nothing new either.
  if (e.state == RequestState::expired && c->state == RequestState::expired) return j;
  if (is_final(e.state) && answer.id == e.answer_id) return j;
  // Most often the answer to a copy we sent ourselves: said, not alarmed.
  if (is_final(e.state)) {
    return refuse("replayed: the request is " + std::string(request_state_name(e.state)), log::Level::info);
  }
  if (now >= e.draft.deadline && c->state != RequestState::expired) return refuse("after the deadline");
  j.verdict = AnswerVerdict::taken;
  j.change = std::move(*c);
  j.change.answer_id = answer.id;
  j.change.request = e.id;
  return j;
}

Result<AnswerVerdict> RequestStore::take_answer(const Envelope& answer, std::string_view via, UnixMillis now) {
  BWOC_ASSIGN_OR_RETURN(Judgement j, judge_answer(answer, now));
  if (j.verdict != AnswerVerdict::taken) return j.verdict;
  j.change.via = std::string(via);
  BWOC_RETURN_IF_ERROR(record({j.change}, now));
  log::event(log::Level::debug, "request.answered", {{"request", j.change.request},
                                 {"state", std::string(request_state_name(j.change.state))}, {"via", j.change.via}});
  return AnswerVerdict::taken;
}

Result<bool> RequestStore::cancel(std::string_view id, std::string_view reason, UnixMillis now) {
  BWOC_RETURN_IF_ERROR(refresh());
  auto e = find(id);
  if (!e) return Error(Errc::not_found, "no request \"" + std::string(id) + "\" (see `bwoc requests`)");
  if (is_final(e->state)) return false;
  BWOC_RETURN_IF_ERROR(record({Change{e->id, RequestState::cancelled, std::string(reason), "", {}, "", ""}}, now));
  log::info("request.cancelled", {{"request", e->id}, {"peer", e->draft.peer}, {"reason", std::string(reason)}});
  return true;
}

Result<std::size_t> RequestStore::cancel_peer(std::string_view peer, std::string_view reason, UnixMillis now) {
  BWOC_RETURN_IF_ERROR(refresh());
  std::vector<Change> changes;
  for (const RequestEntry& e : pending()) {
    if (e.draft.peer == peer) changes.push_back(Change{e.id, RequestState::cancelled, std::string(reason), "", {}, "", ""});
  }
  if (changes.empty()) return std::size_t{0};
  BWOC_RETURN_IF_ERROR(record(changes, now));
  log::info("request.peer_purged",
            {{"peer", std::string(peer)}, {"requests", std::to_string(changes.size())}, {"reason", std::string(reason)}});
  return changes.size();
}

json::Value request_entry_json(const RequestEntry& e) {
  json::Value j = json::Value::object({{"id", e.id},
                                       {"peer", e.draft.peer},
                                       {"agent", e.draft.agent},
                                       {"skill", e.draft.skill},
                                       {"idem", e.draft.idem},
                                       {"state", std::string(request_state_name(e.state))},
                                       {"created", format_timestamp(e.created)},
                                       {"updated", format_timestamp(e.updated)},
                                       {"deadline", format_timestamp(e.draft.deadline)},
                                       {"attempts", e.attempts}});
  if (!e.via.empty()) j.set("via", e.via);
  if (!e.reason.empty()) j.set("reason", e.reason);
  return j;
}

}  // namespace bwoc
