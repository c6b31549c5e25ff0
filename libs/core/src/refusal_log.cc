#include "bwoc/core/refusal_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <deque>

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
  int fd = ::open(file_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && static_cast<std::uint64_t>(st.st_size) + line.size() > rotate_bytes_) {
    ::close(fd);
    std::filesystem::path old = file_;
    old += ".1";
    ::rename(file_.c_str(), old.c_str());
    fd = ::open(file_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return;
  }
  ssize_t n = ::write(fd, line.data(), line.size());
  (void)n;
  ::close(fd);
}

Result<std::vector<RefusalRecord>> read_refusal_log(const std::filesystem::path& file, std::size_t limit) {
  std::vector<RefusalRecord> out;
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return out;
  BWOC_ASSIGN_OR_RETURN(std::string text, read_file_bounded(file, 64u << 20));
  std::deque<RefusalRecord> newest;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string::npos) break;
    auto v = json::parse(std::string_view(text).substr(start, nl - start));
    start = nl + 1;
    if (!v.ok() || !v->is_object()) continue;
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
    if (const json::Value* b = v->find("bytes"); b && b->is_number()) r.bytes = static_cast<std::size_t>(b->as_number());
    r.peer = str("peer");
    r.key = str("key");
    r.id = str("id");
    r.kind = str("kind");
    r.from = str("from");
    r.to = str("to");
    newest.push_back(std::move(r));
    if (limit != 0 && newest.size() > limit) newest.pop_front();
  }
  out.assign(std::make_move_iterator(newest.begin()), std::make_move_iterator(newest.end()));
  return out;
}

}  // namespace bwoc
