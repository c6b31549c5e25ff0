#include "bwoc/mqtt/spool.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <system_error>
#include <unordered_map>
#include <unordered_set>

#include <unistd.h>

#include "bwoc/core/append_log.h"
#include "bwoc/core/envelope.h"
#include "bwoc/core/files.h"
#include "bwoc/core/json.h"
#include "bwoc/core/log.h"

namespace bwoc::mqtt {

namespace fs = std::filesystem;

namespace {

// A spooled envelope is at most 1 MiB; its routing fields add little.
constexpr std::size_t kMaxEntryBytes = (1u << 20) + 16 * 1024;
// Compaction reads the whole log; beyond this it waits for receipts to thin it.
constexpr std::size_t kMaxCompactBytes = std::size_t{512} << 20;
// A log is compacted once it holds this many dead records and at least
// kDeadPerLive times as many as live ones: a compaction runs on the thread
// that takes receipts in, so what it rewrites (the live entries) is kept to a
// small part of what it drops.
constexpr std::size_t kCompactAfterDead = 1024;
constexpr std::size_t kDeadPerLive = 8;
constexpr std::string_view kDonePrefix = "{\"done\":";

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

Result<SpoolEntry> decode(std::string_view text, const fs::path& file) {
  auto bad = [&](const std::string& why) { return Error(Errc::corrupt, file.string() + ": " + why); };
  auto doc = json::parse(text, {kMaxEntryBytes, 80});
  if (!doc.ok()) return bad(doc.error().message());
  if (!doc->is_object()) return bad("not an object");
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
  if (!is_valid_envelope_id(e.id)) return bad("not an envelope id: " + e.id);
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

// The id a "done" record names, or nothing when it is not one.
std::optional<std::string> done_id(std::string_view record) {
  if (record.substr(0, kDonePrefix.size()) != kDonePrefix) return std::nullopt;
  auto doc = json::parse(record, {4096, 4});
  if (!doc.ok() || !doc->is_object()) return std::nullopt;
  const json::Value* id = doc->find("done");
  if (id == nullptr || !id->is_string()) return std::nullopt;
  return id->as_string();
}

Result<std::string> read_exactly(int fd, const fs::path& file, std::uint64_t offset, std::size_t length) {
  std::string out(length, '\0');
  std::size_t got = 0;
  while (got < length) {
    ssize_t n = ::pread(fd, out.data() + got, length - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return os_error("cannot read", file, errno);
    if (n == 0) return Error(Errc::corrupt, file.string() + ": ends inside a record");
    got += static_cast<std::size_t>(n);
  }
  return out;
}

// A put cut by a crash in a version that kept one file an entry leaves its
// temporary (".<id>.json.tmp-…"); one older than any write in progress goes.
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

struct Spool::State {
  struct Live {
    std::uint64_t offset = 0;
    std::size_t length = 0;
    UnixMillis created = 0;
  };

  State(fs::path d, AppendLog l) : dir(std::move(d)), log(std::move(l)), file(log.file()) {}

  // Takes in what was appended since the last look (by any process), or
  // everything again when the file was compacted meanwhile.
  Status refresh() {
    BWOC_RETURN_IF_ERROR(log.reopen_if_replaced());
    if (log.inode() != indexed_inode || log.device() != indexed_device) {
      live.clear();
      scanned_end = 0;
      dead = 0;
      unreadable = 0;
      indexed_inode = log.inode();
      indexed_device = log.device();
    }
    std::size_t unreadable_before = unreadable;
    auto visit = [&](std::string_view record, std::uint64_t offset) {
      if (auto id = done_id(record)) {
        live.erase(*id);
        ++dead;
        return;
      }
      auto entry = decode(record, file);
      if (!entry.ok()) {
        ++unreadable;
        return;
      }
      auto [it, added] = live.try_emplace(entry->id, Live{offset, record.size(), entry->created});
      if (!added) ++dead;  // put twice: the first stands
      (void)it;
    };
    BWOC_ASSIGN_OR_RETURN(RecordScan scan, scan_records(log.fd(), file, scanned_end, kMaxEntryBytes, visit,
                                                        [&](std::uint64_t) { ++unreadable; }));
    scanned_end = scan.end_offset;
    if (unreadable > unreadable_before) {
      log::warning("mqtt.spool_unreadable", {{"file", file.string()},
                                             {"records", std::to_string(unreadable - unreadable_before)},
                                             {"what", "kept in the file, never resent"}});
    }
    return ok_status();
  }

  Result<SpoolEntry> read(const Live& at) {
    BWOC_ASSIGN_OR_RETURN(std::string text, read_exactly(log.fd(), file, at.offset, at.length));
    return decode(text, file);
  }

  Result<std::vector<SpoolEntry>> read_all(std::vector<Live> which) {
    std::vector<SpoolEntry> out;
    out.reserve(which.size());
    for (const Live& at : which) {
      BWOC_ASSIGN_OR_RETURN(SpoolEntry e, read(at));
      out.push_back(std::move(e));
    }
    return out;
  }

  // Rewrites the log with its live entries (and what it cannot read) once
  // nearly all of it is dead.
  void maybe_compact() {
    if (dead < kCompactAfterDead || live.size() * kDeadPerLive > dead) return;
    auto keep = [](std::string_view records) {
      std::unordered_set<std::string> done;
      auto lines = [&](auto&& each) {
        std::size_t pos = 0;
        while (pos < records.size()) {
          std::size_t nl = records.find('\n', pos);
          if (nl == std::string_view::npos) nl = records.size();
          each(records.substr(pos, nl - pos));
          pos = nl + 1;
        }
      };
      lines([&](std::string_view line) {
        if (auto id = done_id(line)) done.insert(*id);
      });
      std::string kept;
      std::unordered_set<std::string> put;
      lines([&](std::string_view line) {
        if (done_id(line)) return;
        auto doc = json::parse(line, {kMaxEntryBytes, 80});
        const json::Value* id = doc.ok() && doc->is_object() ? doc->find("id") : nullptr;
        if (id != nullptr && id->is_string() &&
            (done.count(id->as_string()) > 0 || !put.insert(id->as_string()).second)) {
          return;
        }
        kept.append(line);
        kept.push_back('\n');
      });
      return kept;
    };
    if (Status st = log.rewrite(kMaxCompactBytes, keep); !st.ok()) {
      log::warning("mqtt.spool_compaction_failed", {{"file", file.string()}, {"error", st.error().message()}});
    }
  }

  fs::path dir;
  AppendLog log;
  fs::path file;
  std::mutex mu;
  std::unordered_map<std::string, Live> live;
  std::uint64_t scanned_end = 0;
  ino_t indexed_inode = 0;
  dev_t indexed_device = 0;
  std::size_t dead = 0;        // records of entries done, or put again
  std::size_t unreadable = 0;  // records that do not parse
};

Spool::Spool(std::unique_ptr<State> state) : state_(std::move(state)) {}
Spool::Spool(Spool&&) noexcept = default;
Spool& Spool::operator=(Spool&&) noexcept = default;
Spool::~Spool() = default;

namespace {

// Entries a version that kept one file each left behind: moved into the log
// (synced) before their files go. One that does not parse stays where it is.
Status import_entry_files(const fs::path& dir, Spool& spool) {
  std::vector<SpoolEntry> entries;
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& item : fs::directory_iterator(dir, ec)) {
    const fs::path& p = item.path();
    if (p.extension() != ".json" || !is_valid_envelope_id(p.stem().string())) continue;
    auto text = read_file_bounded(p, kMaxEntryBytes);
    if (!text.ok()) continue;
    auto entry = decode(*text, p);
    if (!entry.ok()) {
      log::warning("mqtt.spool_unreadable", {{"file", p.string()}, {"error", entry.error().message()}});
      continue;
    }
    entries.push_back(std::move(entry).value());
    files.push_back(p);
  }
  if (entries.empty()) return ok_status();
  BWOC_RETURN_IF_ERROR(spool.put_all(entries));
  for (const fs::path& p : files) fs::remove(p, ec);
  return ok_status();
}

}  // namespace

Result<Spool> Spool::open(const Workspace& ws) {
  fs::path dir = ws.state_dir() / "mqtt-spool";
  BWOC_RETURN_IF_ERROR(ensure_directory(dir, 0700));
  remove_stale_temporaries(dir);
  AppendLogOptions options;
  options.mode = 0600;
  BWOC_ASSIGN_OR_RETURN(AppendLog log, AppendLog::open(dir / "spool.jsonl", std::move(options)));
  Spool spool(std::make_unique<State>(dir, std::move(log)));
  BWOC_RETURN_IF_ERROR(import_entry_files(dir, spool));
  return spool;
}

Status Spool::put(const SpoolEntry& entry) { return put_all({entry}); }

Status Spool::put_all(const std::vector<SpoolEntry>& entries) {
  for (const SpoolEntry& e : entries) {
    if (!is_valid_envelope_id(e.id)) return Error(Errc::invalid_argument, "not an envelope id: " + e.id);
  }
  std::lock_guard lock(state_->mu);
  BWOC_RETURN_IF_ERROR(state_->refresh());
  std::string records;
  // Where each new record starts within `records`, and what indexes it.
  std::vector<std::pair<const SpoolEntry*, std::size_t>> added;
  for (const SpoolEntry& e : entries) {
    if (state_->live.count(e.id) > 0) continue;  // already durable
    added.emplace_back(&e, records.size());
    records += encode(e);
  }
  if (added.empty()) return ok_status();
  if (state_->live.size() + added.size() > kMaxEntries) {
    return Error(Errc::unavailable, "the MQTT spool " + state_->file.string() + " already holds " +
                                        std::to_string(state_->live.size()) +
                                        " unconfirmed envelopes: is the peer's subscriber running?");
  }
  BWOC_RETURN_IF_ERROR(state_->log.append(records));
  BWOC_RETURN_IF_ERROR(state_->log.sync());
  const std::uint64_t start = state_->log.end() - records.size();
  if (start != state_->scanned_end || state_->log.inode() != state_->indexed_inode) {
    return state_->refresh();  // another process wrote in between: read it all
  }
  // Nobody else wrote: index what was just written without reading it back.
  for (std::size_t i = 0; i < added.size(); ++i) {
    std::size_t end = i + 1 < added.size() ? added[i + 1].second : records.size();
    std::size_t length = end - added[i].second - 1;  // without the newline
    state_->live.try_emplace(added[i].first->id, State::Live{start + added[i].second, length, added[i].first->created});
  }
  state_->scanned_end = state_->log.end();
  return ok_status();
}

Status Spool::remove(const std::string& id, std::string_view why) {
  if (!is_valid_envelope_id(id)) return ok_status();
  std::lock_guard lock(state_->mu);
  BWOC_RETURN_IF_ERROR(state_->refresh());
  if (state_->live.erase(id) == 0) return ok_status();
  json::Value done = json::Value::object({{"done", id}, {"why", std::string(why)}, {"at", format_timestamp(now_millis())}});
  BWOC_RETURN_IF_ERROR(state_->log.append(json::write(done) + "\n"));
  state_->maybe_compact();
  return ok_status();
}

std::optional<SpoolEntry> Spool::get(const std::string& id) const {
  if (!is_valid_envelope_id(id)) return std::nullopt;
  std::lock_guard lock(state_->mu);
  if (!state_->refresh().ok()) return std::nullopt;
  auto it = state_->live.find(id);
  if (it == state_->live.end()) return std::nullopt;
  auto entry = state_->read(it->second);
  if (!entry.ok()) return std::nullopt;
  return std::move(entry).value();
}

Result<std::vector<SpoolEntry>> Spool::list() const {
  std::lock_guard lock(state_->mu);
  BWOC_RETURN_IF_ERROR(state_->refresh());
  std::vector<std::pair<std::string, State::Live>> all(state_->live.begin(), state_->live.end());
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return a.second.created != b.second.created ? a.second.created < b.second.created : a.first < b.first;
  });
  std::vector<State::Live> which;
  for (const auto& [id, at] : all) which.push_back(at);
  return state_->read_all(std::move(which));
}

Result<std::vector<SpoolEntry>> Spool::newest(std::size_t limit) const {
  std::lock_guard lock(state_->mu);
  BWOC_RETURN_IF_ERROR(state_->refresh());
  std::vector<State::Live> all;
  for (const auto& [id, at] : state_->live) all.push_back(at);
  std::size_t n = std::min(limit, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(), [](const auto& a, const auto& b) {
    return a.created != b.created ? a.created > b.created : a.offset > b.offset;
  });
  all.resize(n);
  return state_->read_all(std::move(all));
}

std::size_t Spool::size() const {
  std::lock_guard lock(state_->mu);
  (void)state_->refresh();
  return state_->live.size();
}

std::size_t Spool::unreadable() const {
  std::lock_guard lock(state_->mu);
  (void)state_->refresh();
  return state_->unreadable;
}

const fs::path& Spool::dir() const { return state_->dir; }
const fs::path& Spool::file() const { return state_->file; }

}  // namespace bwoc::mqtt
