#include "bwoc/core/request_ledger.h"

#include <unistd.h>

#include <algorithm>

#include "bwoc/core/encoding.h"
#include "bwoc/core/jcs.h"
#include "bwoc/core/log.h"
#include "bwoc/core/outbox.h"
#include "bwoc/core/requests.h"
#include "bwoc/core/service_state.h"
#include "record_fields.h"

namespace bwoc {

namespace {

using records::string_of;
using records::number_of;

constexpr std::size_t kMaxLedgerRecord = 2u << 20;



}  // namespace

std::string work_digest(std::string_view agent, const json::Value& skill, const json::Value* version,
                        const json::Value* input) {
  json::Value work = json::Value::object({{"agent", std::string(agent)}, {"skill", skill}});
  if (version != nullptr) work.set("version", *version);
  if (input != nullptr) work.set("input", *input);
  auto digest = blake2b_256(jcs::canonicalize(work));
  return hex_encode(std::span(digest).first(16));
}

Result<std::optional<RequestTerms>> request_terms(const json::Value& payload, std::string_view agent) {
  if (!payload.is_object()) return std::optional<RequestTerms>();
  const json::Value* idem = payload.find(kIdemMember);
  const json::Value* deadline = payload.find(kDeadlineMember);
  if (idem == nullptr && deadline == nullptr) return std::optional<RequestTerms>();
  if (idem == nullptr || !idem->is_string() || !is_valid_idem(idem->as_string())) {
    return Error(Errc::invalid_argument, "idem must be 1 to 128 of A-Z a-z 0-9 . _ : -");
  }
  if (deadline == nullptr || !deadline->is_string()) {
    return Error(Errc::invalid_argument, "a request with idem needs a deadline");
  }
  auto when = parse_timestamp(deadline->as_string());
  if (!when.ok()) return Error(Errc::invalid_argument, "deadline must be YYYY-MM-DDTHH:MM:SS.mmmZ");
  RequestTerms terms;
  terms.idem = idem->as_string();
  terms.deadline = *when;
  const json::Value* skill = payload.find("skill");
  if (skill != nullptr && skill->is_string()) terms.skill = skill->as_string();
  const json::Value no_skill;
  terms.work = work_digest(agent, skill != nullptr ? *skill : no_skill, payload.find("version"), payload.find("input"));
  return std::optional<RequestTerms>(std::move(terms));
}

std::string RequestLedger::tag_of(const PublicKey& key, std::string_view idem) {
  auto digest = blake2b_256(key.to_text() + "\n" + std::string(idem));
  return hex_encode(std::span(digest).first(16));
}

std::filesystem::path RequestLedger::file_of(const Workspace& ws) { return ws.state_dir() / "requests" / "ledger.jsonl"; }

Result<std::unique_ptr<RequestLedger>> RequestLedger::open(const Workspace& ws, LedgerOptions options) {
  std::filesystem::path file = file_of(ws);
  BWOC_RETURN_IF_ERROR(ensure_directory(file.parent_path(), 0700));
  AppendLogOptions log_options;
  log_options.exclusion = AppendLogOptions::Exclusion::caller;  // ledger.lock, below
  BWOC_ASSIGN_OR_RETURN(AppendLog log, AppendLog::open(file, log_options));
  BWOC_ASSIGN_OR_RETURN(FileLock lock, FileLock::open(file.parent_path() / "ledger.lock"));
  std::unique_ptr<RequestLedger> ledger(new RequestLedger(std::move(log), std::move(lock), options));
  // Best effort: a ledger that cannot be compacted now still decides.
  if (auto dropped = ledger->compact_if_worth(); !dropped.ok()) {
    log::warning("request.ledger_compaction_failed", {{"error", dropped.error().message()}});
  }
  return ledger;
}

void RequestLedger::forget_all() {
  entries_.clear();
  tallies_.clear();
  records_ = 0;
  read_to_ = 0;
}

Status RequestLedger::catch_up() {
  // Compacted by another process: the offsets of the old file mean nothing.
  BWOC_ASSIGN_OR_RETURN(bool replaced, log_.reopen_if_replaced());
  if (replaced) forget_all();
  BWOC_ASSIGN_OR_RETURN(std::uint64_t end, log_.repair_tail());
  if (end == read_to_) return ok_status();
  BWOC_ASSIGN_OR_RETURN(
      RecordScan scan,
      scan_records(log_.fd(), log_.file(), read_to_, kMaxLedgerRecord, [this](std::string_view line, std::uint64_t) {
        auto r = json::parse(line, {kMaxLedgerRecord, 64});
        if (!r.ok() || !r->is_object()) return;
        std::string tag = string_of(*r, "t");
        std::string op = string_of(*r, "op");
        ++records_;
        Tally& tally = tallies_[tag];
        ++tally.records;
        if (double deadline = number_of(*r, "deadline"); deadline > 0) {
          tally.deadline = std::max(tally.deadline, static_cast<UnixMillis>(deadline));
        }
        if (tag.empty()) return;  // not a request's record (compaction drops it)
        Entry& e = entries_[tag];
        if (e.work.empty()) e.work = string_of(*r, "w");
        if (op == "start") {
          e.deadline = static_cast<UnixMillis>(number_of(*r, "deadline"));
          e.pid = static_cast<std::int64_t>(number_of(*r, "pid"));
          e.process_start = static_cast<std::uint64_t>(number_of(*r, "pst"));
        } else if (op == "done" && !e.done && !e.refused) {
          e.done = true;
          e.kind = string_of(*r, "kind");
          if (const json::Value* p = r->find("payload")) e.payload = *p;
        } else if (op == "expired") {
          e.expired = true;
          e.deadline = static_cast<UnixMillis>(number_of(*r, "deadline"));
        } else if (op == "refused" && !e.done) {
          e.refused = true;
          e.deadline = std::max(e.deadline, static_cast<UnixMillis>(number_of(*r, "deadline")));
        }
      }));
  read_to_ = scan.end_offset;
  return ok_status();
}

void RequestLedger::forget_past(UnixMillis now) {
  if (entries_.size() < forget_at_) return;
  std::erase_if(entries_, [now](const auto& kv) { return kv.second.deadline < now; });
  forget_at_ = std::max<std::size_t>(1024, 2 * entries_.size());
}

Result<std::size_t> RequestLedger::compact_if_worth(UnixMillis now) {
  std::lock_guard guard(mu_);
  BWOC_ASSIGN_OR_RETURN(FileLock::Held held, lock_.hold());
  BWOC_RETURN_IF_ERROR(catch_up());
  compact_at_ = 0;  // asked: look now, whenever begin() would look next
  return compact_locked(now);
}

Result<std::size_t> RequestLedger::compact_locked(UnixMillis now) {
  if (records_ < std::max(options_.min_records, compact_at_)) return std::size_t{0};
  std::unordered_map<std::string, bool> drop;
  std::size_t dead = 0;
  for (const auto& [tag, tally] : tallies_) {
    // Only past the deadline: a repeat then is expired, remembered or not.
    if (tally.deadline + options_.keep_past_deadline_ms >= now) continue;
    drop.emplace(tag, true);
    dead += tally.records;
  }
  if (dead * 2 < records_) {
    // Not yet: look again once the file has grown by half.
    compact_at_ = records_ + records_ / 2;
    return std::size_t{0};
  }
  BWOC_RETURN_IF_ERROR(log_.rewrite(kMaxCompactedFile, [&](std::string_view records) {
    remove_abandoned_rewrites(log_.file());  // under ledger.lock: no rewrite is under way
    return filter_records(records, kMaxLedgerRecord, [&](const json::Value& r) { return drop.count(string_of(r, "t")) == 0; });
  }));
  forget_all();
  BWOC_RETURN_IF_ERROR(catch_up());
  compact_at_ = records_ * 2;
  log::info("request.ledger_compacted",
            {{"requests_dropped", std::to_string(drop.size())}, {"records_dropped", std::to_string(dead)}});
  return drop.size();
}

Status RequestLedger::append_synced(const json::Value& record) {
  std::string line = json::write(record) + "\n";
  BWOC_RETURN_IF_ERROR(log_.append_after_repair(line));
  if (Status st = log_.sync(); !st.ok()) {
    (void)log_.take_back(read_to_, read_to_ + line.size());
    return st.error();
  }
  return catch_up();
}

Result<bool> RequestLedger::refuse(const PublicKey& key, const RequestTerms& terms, std::string_view peer,
                                   std::string_view why, UnixMillis now) {
  std::string tag = tag_of(key, terms.idem);
  std::lock_guard guard(mu_);
  BWOC_ASSIGN_OR_RETURN(FileLock::Held held, lock_.hold());
  BWOC_RETURN_IF_ERROR(catch_up());
  if (auto it = entries_.find(tag); it != entries_.end() && (it->second.done || it->second.refused || it->second.expired)) {
    return false;
  }
  BWOC_RETURN_IF_ERROR(append_synced(json::Value::object({{"t", tag},
                                                          {"op", "refused"},
                                                          {"peer", std::string(peer)},
                                                          {"skill", terms.skill},
                                                          {"idem", terms.idem},
                                                          {"reason", std::string(why)},
                                                          {"deadline", terms.deadline},
                                                          {"w", terms.work},
                                                          {"at", now}})));
  return true;
}

Result<RequestLedger::Decision> RequestLedger::begin(const PublicKey& key, const RequestTerms& terms,
                                                      std::string_view peer, UnixMillis now) {
  std::string tag = tag_of(key, terms.idem);
  std::lock_guard guard(mu_);
  BWOC_ASSIGN_OR_RETURN(FileLock::Held held, lock_.hold());
  BWOC_RETURN_IF_ERROR(catch_up());
  forget_past(now);
  if (records_ >= std::max(options_.min_records, compact_at_)) {
    if (auto dropped = compact_locked(now); !dropped.ok()) {
      compact_at_ = records_ * 2;  // not at every request: once the file has doubled
      log::warning("request.ledger_compaction_failed", {{"error", dropped.error().message()}});
    }
  }
  Decision d;
  auto it = entries_.find(tag);
  if (it != entries_.end()) {
    const Entry& e = it->second;
    if (!e.work.empty() && e.work != terms.work) {
      d.what = Decision::What::other_work;
    } else if (e.refused) {
      d.what = Decision::What::refused;
    } else if (e.expired || now >= std::max(e.deadline, terms.deadline)) {
      d.what = Decision::What::expired;
    } else if (e.done) {
      d.what = Decision::What::stored;
      d.kind = e.kind;
      d.payload = e.payload;
    } else if (e.pid == ::getpid() || service::process_alive(e.pid, e.process_start)) {
      d.what = Decision::What::working;
    } else {
      d.what = Decision::What::interrupted;
    }
    return d;
  }
  json::Value record;
  if (now + std::max<std::int64_t>(terms.longest_run_ms, 0) >= terms.deadline) {
    // Never started, and remembered so: a later copy is expired too.
    d.what = Decision::What::expired;
    record = json::Value::object({{"t", tag},
                                  {"op", "expired"},
                                  {"peer", std::string(peer)},
                                  {"skill", terms.skill},
                                  {"idem", terms.idem},
                                  {"deadline", terms.deadline},
                                  {"w", terms.work},
                                  {"reason", now >= terms.deadline ? "the deadline had passed when it came"
                                                                   : "it could not end before the deadline"},
                                  {"at", now}});
  } else {
    d.what = Decision::What::run;
    record = json::Value::object({{"t", tag},
                                  {"op", "start"},
                                  {"peer", std::string(peer)},
                                  {"skill", terms.skill},
                                  {"idem", terms.idem},
                                  {"deadline", terms.deadline},
                                  {"pid", static_cast<double>(::getpid())},
                                  {"pst", static_cast<double>(service::process_start_ticks(::getpid()))},
                                  {"w", terms.work},
                                  {"at", now}});
  }
  BWOC_RETURN_IF_ERROR(append_synced(record));
  return d;
}

Status RequestLedger::finish(const PublicKey& key, const RequestTerms& terms, std::string_view kind,
                             const json::Value& payload, UnixMillis now) {
  std::string tag = tag_of(key, terms.idem);
  std::lock_guard guard(mu_);
  BWOC_ASSIGN_OR_RETURN(FileLock::Held held, lock_.hold());
  BWOC_RETURN_IF_ERROR(catch_up());
  json::Value record = json::Value::object(
      {{"t", tag}, {"op", "done"}, {"kind", std::string(kind)}, {"payload", payload}, {"at", now}});
  return append_synced(record);
}

Result<std::vector<InboundWork>> RequestLedger::list(const Workspace& ws) {
  struct Seen {
    InboundWork work;
    std::int64_t pid = 0;
    std::uint64_t process_start = 0;
    std::size_t order = 0;
  };
  std::unordered_map<std::string, Seen> by_tag;
  BWOC_ASSIGN_OR_RETURN(
      RecordScan scan, scan_records(file_of(ws), 0, kMaxLedgerRecord, [&](std::string_view line, std::uint64_t) {
        auto r = json::parse(line, {kMaxLedgerRecord, 64});
        if (!r.ok() || !r->is_object()) return;
        std::string tag = string_of(*r, "t");
        std::string op = string_of(*r, "op");
        if (tag.empty()) return;  // not a record of ours
        auto [it, fresh] = by_tag.try_emplace(tag);
        Seen& s = it->second;
        InboundWork& w = s.work;
        if (fresh) s.order = by_tag.size();
        auto at = static_cast<UnixMillis>(number_of(*r, "at"));
        if (w.started == 0) w.started = at;
        if (w.peer.empty()) w.peer = string_of(*r, "peer");
        if (w.skill.empty()) w.skill = string_of(*r, "skill");
        if (w.idem.empty()) w.idem = string_of(*r, "idem");
        if (double deadline = number_of(*r, "deadline"); deadline > 0) w.deadline = static_cast<UnixMillis>(deadline);
        bool settled = w.state == "done" || w.state == "failed" || w.state == "expired" || w.state == "refused";
        if (settled) return;  // the first final state is the one
        w.updated = at;
        if (op == "start") {
          w.state = "working";
          s.pid = static_cast<std::int64_t>(number_of(*r, "pid"));
          s.process_start = static_cast<std::uint64_t>(number_of(*r, "pst"));
        } else if (op == "done") {
          const json::Value* p = r->find("payload");
          bool failed = string_of(*r, "kind") == "error";
          w.state = failed ? "failed" : "done";
          if (failed && p != nullptr && p->is_object()) w.reason = string_of(*p, "error");
        } else if (op == "expired") {
          w.state = "expired";
          w.reason = string_of(*r, "reason");
          if (w.reason.empty()) w.reason = "the deadline had passed when it came";
        } else if (op == "refused") {
          w.state = "refused";
          w.reason = string_of(*r, "reason");
        }
      }));
  (void)scan;
  std::vector<Seen> all;
  all.reserve(by_tag.size());
  for (auto& [tag, s] : by_tag) all.push_back(std::move(s));
  std::sort(all.begin(), all.end(), [](const Seen& a, const Seen& b) { return a.order < b.order; });
  std::vector<InboundWork> out;
  out.reserve(all.size());
  for (Seen& s : all) {
    if (s.work.state == "working" && s.pid != ::getpid() && !service::process_alive(s.pid, s.process_start)) {
      s.work.state = "interrupted";
      s.work.reason = "the process that ran it is gone";
    }
    out.push_back(std::move(s.work));
  }
  return out;
}

json::Value inbound_work_json(const InboundWork& w) {
  json::Value j = json::Value::object({{"direction", "inbound"},
                                       {"peer", w.peer},
                                       {"skill", w.skill},
                                       {"idem", w.idem},
                                       {"state", w.state},
                                       {"created", format_timestamp(w.started)},
                                       {"updated", format_timestamp(w.updated)},
                                       {"deadline", format_timestamp(w.deadline)}});
  if (!w.reason.empty()) j.set("reason", w.reason);
  return j;
}

}  // namespace bwoc
