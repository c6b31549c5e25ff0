#include "bwoc/core/request_ledger.h"

#include <unistd.h>

#include "bwoc/core/encoding.h"
#include "bwoc/core/log.h"
#include "bwoc/core/requests.h"
#include "bwoc/core/service_state.h"

namespace bwoc {

namespace {

constexpr std::size_t kMaxLedgerRecord = 2u << 20;

std::string string_of(const json::Value& record, std::string_view name) {
  const json::Value* v = record.find(name);
  return v != nullptr && v->is_string() ? v->as_string() : std::string();
}

double number_of(const json::Value& record, std::string_view name) {
  const json::Value* v = record.find(name);
  return v != nullptr && v->is_number() ? v->as_number() : 0;
}

}  // namespace

Result<std::optional<RequestTerms>> request_terms(const json::Value& payload) {
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
  return std::optional<RequestTerms>(RequestTerms{idem->as_string(), *when});
}

std::string RequestLedger::tag_of(const PublicKey& key, std::string_view idem) {
  auto digest = blake2b_256(key.to_text() + "\n" + std::string(idem));
  return hex_encode(std::span(digest).first(16));
}

Result<std::unique_ptr<RequestLedger>> RequestLedger::open(const Workspace& ws) {
  std::filesystem::path dir = ws.state_dir() / "requests";
  BWOC_RETURN_IF_ERROR(ensure_directory(dir, 0700));
  AppendLogOptions options;
  options.exclusion = AppendLogOptions::Exclusion::caller;  // ledger.lock, below
  BWOC_ASSIGN_OR_RETURN(AppendLog log, AppendLog::open(dir / "ledger.jsonl", options));
  BWOC_ASSIGN_OR_RETURN(FileLock lock, FileLock::open(dir / "ledger.lock"));
  return std::unique_ptr<RequestLedger>(new RequestLedger(std::move(log), std::move(lock)));
}

Status RequestLedger::catch_up() {
  BWOC_ASSIGN_OR_RETURN(std::uint64_t end, log_.repair_tail());
  if (end == read_to_) return ok_status();
  BWOC_ASSIGN_OR_RETURN(
      RecordScan scan,
      scan_records(log_.fd(), log_.file(), read_to_, kMaxLedgerRecord, [this](std::string_view line, std::uint64_t) {
        auto r = json::parse(line, {kMaxLedgerRecord, 64});
        if (!r.ok() || !r->is_object()) return;
        std::string tag = string_of(*r, "t");
        std::string op = string_of(*r, "op");
        Entry& e = entries_[tag];
        if (op == "start") {
          e.deadline = static_cast<UnixMillis>(number_of(*r, "deadline"));
          e.pid = static_cast<std::int64_t>(number_of(*r, "pid"));
          e.process_start = static_cast<std::uint64_t>(number_of(*r, "pst"));
        } else if (op == "done" && !e.done) {
          e.done = true;
          e.kind = string_of(*r, "kind");
          if (const json::Value* p = r->find("payload")) e.payload = *p;
        } else if (op == "expired") {
          e.expired = true;
          e.deadline = static_cast<UnixMillis>(number_of(*r, "deadline"));
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

Result<RequestLedger::Decision> RequestLedger::begin(const PublicKey& key, const RequestTerms& terms, UnixMillis now) {
  std::string tag = tag_of(key, terms.idem);
  std::lock_guard guard(mu_);
  BWOC_ASSIGN_OR_RETURN(FileLock::Held held, lock_.hold());
  BWOC_RETURN_IF_ERROR(catch_up());
  forget_past(now);
  Decision d;
  auto it = entries_.find(tag);
  if (it != entries_.end()) {
    const Entry& e = it->second;
    if (e.expired || now >= std::max(e.deadline, terms.deadline)) {
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
  if (now >= terms.deadline) {
    // Never started, and remembered so: a later copy is expired too.
    d.what = Decision::What::expired;
    record = json::Value::object({{"t", tag}, {"op", "expired"}, {"deadline", terms.deadline}, {"at", now}});
  } else {
    d.what = Decision::What::run;
    record = json::Value::object({{"t", tag},
                                  {"op", "start"},
                                  {"deadline", terms.deadline},
                                  {"pid", static_cast<double>(::getpid())},
                                  {"pst", static_cast<double>(service::process_start_ticks(::getpid()))},
                                  {"at", now}});
  }
  std::string line = json::write(record) + "\n";
  BWOC_RETURN_IF_ERROR(log_.append_after_repair(line));
  if (Status st = log_.sync(); !st.ok()) {
    (void)log_.take_back(read_to_, read_to_ + line.size());
    return st.error();
  }
  BWOC_RETURN_IF_ERROR(catch_up());
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
  BWOC_RETURN_IF_ERROR(log_.append_after_repair(json::write(record) + "\n"));
  BWOC_RETURN_IF_ERROR(log_.sync());
  return catch_up();
}

}  // namespace bwoc
