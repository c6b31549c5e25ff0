#include "bwoc/mqtt/spool.h"

#include <algorithm>
#include <chrono>
#include <system_error>

#include <unistd.h>

#include "bwoc/core/envelope.h"
#include "bwoc/core/files.h"
#include "bwoc/core/json.h"

namespace bwoc::mqtt {

namespace fs = std::filesystem;

namespace {

// A spooled envelope is at most 1 MiB; its routing fields add little.
constexpr std::size_t kMaxEntryBytes = (1u << 20) + 16 * 1024;

std::string encode(const SpoolEntry& e) {
  json::Value v = json::Value::object({{"id", e.id},
                                       {"from", e.from},
                                       {"to", e.to},
                                       {"broker", e.broker},
                                       {"topic", e.topic},
                                       {"reply_topic", e.reply_topic},
                                       {"peer_key", e.peer_key.to_text()},
                                       {"created", format_timestamp(e.created)}});
  // The envelope stays the exact text that was signed and sent.
  std::string out = json::write(v);
  out.pop_back();
  out += ",\"envelope\":";
  out += e.envelope;
  out += "}\n";
  return out;
}

Result<SpoolEntry> decode(const std::string& text, const fs::path& file) {
  auto bad = [&](const std::string& why) { return Error(Errc::corrupt, file.string() + ": " + why); };
  auto doc = json::parse(text, {kMaxEntryBytes, 80});
  if (!doc.ok()) return bad(doc.error().message());
  auto str = [&](const char* name) -> const std::string* {
    const json::Value* v = doc->find(name);
    return v != nullptr && v->is_string() ? &v->as_string() : nullptr;
  };
  SpoolEntry e;
  for (auto [name, field] : {std::pair{"id", &e.id}, {"from", &e.from}, {"to", &e.to}, {"broker", &e.broker},
                             {"topic", &e.topic}, {"reply_topic", &e.reply_topic}}) {
    const std::string* s = str(name);
    if (s == nullptr) return bad(std::string("missing \"") + name + "\"");
    *field = *s;
  }
  const std::string* key = str("peer_key");
  const std::string* created = str("created");
  const json::Value* envelope = doc->find("envelope");
  if (key == nullptr || created == nullptr || envelope == nullptr || !envelope->is_object()) {
    return bad("missing peer_key, created or envelope");
  }
  auto pk = PublicKey::from_text(*key);
  if (!pk.ok()) return bad(pk.error().message());
  e.peer_key = *pk;
  auto ts = parse_timestamp(*created);
  if (!ts.ok()) return bad(ts.error().message());
  e.created = *ts;
  e.envelope = json::write(*envelope);
  return e;
}

// A put cut by a crash leaves its temporary file (".<id>.json.tmp-…", never
// an entry: the rename did not happen, nothing was published). One older
// than any write in progress is removed.
void remove_stale_temporaries(const fs::path& dir) {
  constexpr auto kStale = std::chrono::minutes(10);
  std::error_code ec;
  auto now = fs::file_time_type::clock::now();
  for (const auto& item : fs::directory_iterator(dir, ec)) {
    std::string name = item.path().filename().string();
    if (name.size() < 2 || name[0] != '.' || name.find(".json.tmp-") == std::string::npos) continue;
    std::error_code time_ec;
    auto written = fs::last_write_time(item.path(), time_ec);
    if (!time_ec && now - written > kStale) fs::remove(item.path(), time_ec);
  }
}

}  // namespace

Result<Spool> Spool::open(const Workspace& ws) {
  fs::path dir = ws.state_dir() / "mqtt-spool";
  BWOC_RETURN_IF_ERROR(ensure_directory(dir, 0700));
  remove_stale_temporaries(dir);
  Spool spool(dir);
  spool.approx_size_ = spool.size();
  return spool;
}

Status Spool::put(const SpoolEntry& entry) {
  if (!is_valid_envelope_id(entry.id)) return Error(Errc::invalid_argument, "not an envelope id: " + entry.id);
  fs::path file = dir_ / (entry.id + ".json");
  std::error_code ec;
  if (approx_size_ >= kMaxEntries) approx_size_ = size();
  if (approx_size_ >= kMaxEntries && !fs::exists(file, ec)) {
    return Error(Errc::unavailable, "the MQTT spool " + dir_.string() + " already holds " +
                                        std::to_string(kMaxEntries) +
                                        " unconfirmed envelopes: is the peer's subscriber running?");
  }
  BWOC_RETURN_IF_ERROR(write_file_atomic(file, encode(entry), 0600));
  ++approx_size_;
  return ok_status();
}

Status Spool::remove(const std::string& id) {
  if (!is_valid_envelope_id(id)) return ok_status();
  fs::path file = dir_ / (id + ".json");
  if (::unlink(file.c_str()) != 0) {
    if (errno == ENOENT) return ok_status();
    return os_error("cannot remove", file, errno);
  }
  if (approx_size_ > 0) --approx_size_;
  return ok_status();
}

std::optional<SpoolEntry> Spool::get(const std::string& id) const {
  if (!is_valid_envelope_id(id)) return std::nullopt;
  fs::path file = dir_ / (id + ".json");
  auto text = read_file_bounded(file, kMaxEntryBytes);
  if (!text.ok()) return std::nullopt;
  auto entry = decode(*text, file);
  if (!entry.ok()) return std::nullopt;
  return std::move(entry).value();
}

namespace {

// An entry's file, or nothing when it was confirmed (removed) meanwhile.
Result<std::optional<SpoolEntry>> read_entry(const fs::path& file) {
  auto text = read_file_bounded(file, kMaxEntryBytes);
  if (!text.ok()) {
    if (text.error().code() == Errc::not_found) return std::optional<SpoolEntry>();
    return text.error();
  }
  BWOC_ASSIGN_OR_RETURN(SpoolEntry e, decode(*text, file));
  return std::optional<SpoolEntry>(std::move(e));
}

}  // namespace

Result<std::vector<SpoolEntry>> Spool::list() const {
  std::vector<SpoolEntry> out;
  std::error_code ec;
  for (const auto& item : fs::directory_iterator(dir_, ec)) {
    const fs::path& p = item.path();
    if (p.extension() != ".json") continue;  // write_file_atomic's temporaries
    BWOC_ASSIGN_OR_RETURN(std::optional<SpoolEntry> e, read_entry(p));
    if (e) out.push_back(std::move(*e));
  }
  if (ec) return os_error("cannot list", dir_, ec.value());
  std::sort(out.begin(), out.end(), [](const SpoolEntry& a, const SpoolEntry& b) {
    return a.created != b.created ? a.created < b.created : a.id < b.id;
  });
  return out;
}

Result<std::vector<SpoolEntry>> Spool::newest(std::size_t limit) const {
  std::vector<std::pair<fs::file_time_type, fs::path>> files;
  std::error_code ec;
  for (const auto& item : fs::directory_iterator(dir_, ec)) {
    if (item.path().extension() != ".json") continue;
    std::error_code time_ec;
    auto written = item.last_write_time(time_ec);
    if (!time_ec) files.emplace_back(written, item.path());
  }
  if (ec) return os_error("cannot list", dir_, ec.value());
  std::size_t n = std::min(limit, files.size());
  std::partial_sort(files.begin(), files.begin() + static_cast<std::ptrdiff_t>(n), files.end(),
                    [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second > b.second; });
  std::vector<SpoolEntry> out;
  for (std::size_t i = 0; i < n; ++i) {
    BWOC_ASSIGN_OR_RETURN(std::optional<SpoolEntry> e, read_entry(files[i].second));
    if (e) out.push_back(std::move(*e));
  }
  return out;
}

std::size_t Spool::size() const {
  std::size_t n = 0;
  std::error_code ec;
  for (const auto& item : fs::directory_iterator(dir_, ec)) {
    if (item.path().extension() == ".json") ++n;
  }
  return n;
}

}  // namespace bwoc::mqtt
