#include "bwoc/core/refusal_log.h"

#include <deque>
#include <optional>

#include "bwoc/core/files.h"
#include "bwoc/core/jcs.h"
#include "bwoc/core/json.h"

namespace bwoc {

namespace {

constexpr std::size_t kMaxFieldBytes = 300;

// Cuts to a bounded length on a UTF-8 boundary (the text is valid UTF-8 or
// bytes from outside: invalid bytes are replaced so the line stays JSON).
std::string bounded(std::string_view s) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size() && out.size() < kMaxFieldBytes) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool valid = n > 0 && i + n <= s.size();
    for (std::size_t k = 1; valid && k < n; ++k) valid = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    if (!valid) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
      continue;
    }
    out.append(s.substr(i, n));
    i += n;
  }
  if (i < s.size()) out += "...";
  return out;
}

void field(std::string& line, std::string_view name, std::string_view value) {
  line += ',';
  jcs::append_string(name, line);
  line += ':';
  jcs::append_string(bounded(value), line);
}

}  // namespace

void RefusalLog::append(const RefusalRecord& r) {
  std::string line = "{\"at\":";
  jcs::append_string(format_timestamp(r.at), line);
  field(line, "via", via_name(r.via));
  field(line, "reason", r.reason);
  if (!r.detail.empty()) field(line, "detail", r.detail);
  if (!r.source.empty()) field(line, "source", r.source);
  line += ",\"bytes\":" + std::to_string(r.bytes);
  if (r.peer) field(line, "peer", *r.peer);
  if (r.key) field(line, "key", *r.key);
  if (r.id) field(line, "id", *r.id);
  if (r.kind) field(line, "kind", *r.kind);
  if (r.from) field(line, "from", *r.from);
  if (r.to) field(line, "to", *r.to);
  line += "}\n";

  std::lock_guard<std::mutex> lock(mu_);
  if (!log_) {
    AppendLogOptions options;
    options.rotate_bytes = rotate_bytes_;
    auto opened = AppendLog::open(file_, std::move(options));
    if (!opened.ok()) return;
    log_.emplace(std::move(opened).value());
  }
  (void)log_->append(line);
}

Result<std::vector<RefusalRecord>> read_refusal_log(const std::filesystem::path& file, std::size_t limit) {
  // A record is at most a few KiB: each field is bounded.
  constexpr std::size_t kMaxRecordBytes = 64 * 1024;
  std::deque<RefusalRecord> newest;
  auto scan = scan_records(file, 0, kMaxRecordBytes, [&](std::string_view text, std::uint64_t) {
    auto v = json::parse(text);
    if (!v.ok() || !v->is_object()) return;
    auto str = [&](const char* name) -> std::optional<std::string> {
      const json::Value* x = v->find(name);
      if (x && x->is_string()) return x->as_string();
      return std::nullopt;
    };
    RefusalRecord r;
    if (auto at = str("at")) r.at = parse_timestamp(*at).ok() ? *parse_timestamp(*at) : 0;
    if (auto via = str("via")) r.via = via_from_name(*via).value_or(Via::path);
    r.reason = str("reason").value_or("");
    r.detail = str("detail").value_or("");
    r.source = str("source").value_or("");
    if (const json::Value* b = v->find("bytes"); b && b->is_safe_integer() && b->as_number() >= 0) {
      r.bytes = static_cast<std::size_t>(b->as_number());
    }
    r.peer = str("peer");
    r.key = str("key");
    r.id = str("id");
    r.kind = str("kind");
    r.from = str("from");
    r.to = str("to");
    newest.push_back(std::move(r));
    if (limit != 0 && newest.size() > limit) newest.pop_front();
  });
  if (!scan.ok()) return scan.error();
  return std::vector<RefusalRecord>(std::make_move_iterator(newest.begin()), std::make_move_iterator(newest.end()));
}

}  // namespace bwoc
