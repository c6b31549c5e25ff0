#include "bwoc/core/sent_log.h"

#include <algorithm>
#include <mutex>
#include <unordered_map>

#include "bwoc/core/append_log.h"

namespace bwoc {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxRecordBytes = 16 * 1024;
constexpr std::size_t kMaxDetailBytes = 1024;

std::string clipped(std::string_view text) {
  if (text.size() <= kMaxDetailBytes) return std::string(text);
  // Cut on a UTF-8 boundary, so that the record stays valid JSON text.
  std::size_t n = kMaxDetailBytes;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  return std::string(text.substr(0, n)) + "…";
}

std::optional<SentRecord> parse_record(std::string_view line) {
  auto doc = json::parse(line, {kMaxRecordBytes, 4});
  if (!doc.ok() || !doc->is_object()) return std::nullopt;
  auto str = [&](const char* name) -> std::string {
    const json::Value* v = doc->find(name);
    return v != nullptr && v->is_string() ? v->as_string() : std::string();
  };
  SentRecord r;
  r.id = str("id");
  auto state = sent_state_from_name(str("state"));
  auto at = parse_timestamp(str("at"));
  if (r.id.empty() || !state || !at.ok()) return std::nullopt;
  r.state = *state;
  r.at = *at;
  r.kind = str("kind");
  r.from = str("from");
  r.to = str("to");
  r.via = via_from_name(str("via"));
  r.detail = str("detail");
  return r;
}

}  // namespace

std::string_view sent_state_name(SentState state) {
  switch (state) {
    case SentState::sent:
      return "sent";
    case SentState::receipt_verified:
      return "receipt verified";
    case SentState::refused:
      return "refused";
    case SentState::failed:
      return "failed";
  }
  return "sent";
}

std::optional<SentState> sent_state_from_name(std::string_view name) {
  for (SentState s : {SentState::sent, SentState::receipt_verified, SentState::refused, SentState::failed}) {
    if (sent_state_name(s) == name) return s;
  }
  return std::nullopt;
}

json::Value sent_record_json(const SentRecord& r) {
  json::Value v = json::Value::object({{"id", r.id}});
  if (!r.kind.empty()) v.set("kind", r.kind);
  if (!r.from.empty()) v.set("from", r.from);
  if (!r.to.empty()) v.set("to", r.to);
  if (r.via) v.set("via", std::string(via_name(*r.via)));
  v.set("state", std::string(sent_state_name(r.state)));
  v.set("at", format_timestamp(r.at));
  if (r.first_at != 0) v.set("first_at", format_timestamp(r.first_at));
  if (!r.detail.empty()) v.set("detail", r.detail);
  return v;
}

struct SentLog::Impl {
  explicit Impl(fs::path f) : file(std::move(f)) {}
  fs::path file;
  std::mutex mu;
  std::optional<AppendLog> log;  // opened by the first record: a command that sends nothing makes no file
};

Result<SentLog> SentLog::open(const Workspace& ws) { return SentLog(std::make_shared<Impl>(file_of(ws))); }

Status SentLog::record(const SentRecord& record) const {
  SentRecord r = record;
  r.detail = clipped(record.detail);
  if (r.at == 0) r.at = now_millis();
  r.first_at = 0;
  std::string line = json::write(sent_record_json(r)) + "\n";
  std::lock_guard lock(impl_->mu);
  if (!impl_->log) {
    BWOC_RETURN_IF_ERROR(ensure_directory(impl_->file.parent_path(), 0700));
    AppendLogOptions options;
    options.rotate_bytes = kRotateBytes;
    BWOC_ASSIGN_OR_RETURN(AppendLog log, AppendLog::open(impl_->file, std::move(options)));
    impl_->log.emplace(std::move(log));
  }
  return impl_->log->append(line);
}

Result<std::vector<SentRecord>> SentLog::read(const Workspace& ws, std::size_t limit) {
  std::unordered_map<std::string, SentRecord> by_id;
  fs::path file = file_of(ws);
  for (const fs::path& f : {fs::path(file.string() + ".1"), file}) {
    auto scanned = scan_records(f, 0, kMaxRecordBytes, [&](std::string_view line, std::uint64_t) {
      std::optional<SentRecord> r = parse_record(line);
      if (!r) return;
      auto [it, added] = by_id.try_emplace(r->id, *r);
      SentRecord& folded = it->second;
      if (added) {
        folded.first_at = r->at;
        return;
      }
      // The newest record says the state; the first what it was.
      folded.state = r->state;
      folded.at = r->at;
      if (r->via) folded.via = r->via;
      if (!r->detail.empty()) folded.detail = r->detail;
      if (folded.kind.empty()) folded.kind = r->kind;
      if (folded.from.empty()) folded.from = r->from;
      if (folded.to.empty()) folded.to = r->to;
    });
    if (!scanned.ok()) return scanned.error();
  }
  std::vector<SentRecord> out;
  out.reserve(by_id.size());
  for (auto& [id, r] : by_id) out.push_back(std::move(r));
  std::sort(out.begin(), out.end(), [](const SentRecord& a, const SentRecord& b) {
    return a.first_at != b.first_at ? a.first_at > b.first_at : a.id > b.id;
  });
  if (out.size() > limit) out.resize(limit);
  return out;
}

}  // namespace bwoc
