#include "task_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "bwoc/core/encoding.h"
#include "bwoc/core/files.h"
#include "bwoc/core/log.h"

namespace bwoc::a2a {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxLineBytes = (2u << 20);

constexpr std::string_view kReceiptMember = ",\"receipt\":";

// One line a task; the receipt goes last, as it is, so that reading a task
// back needs no parsing of the receipt.
std::string render(const TaskRecord& t) {
  json::Value fields = json::Value::object({{"id", t.id},
                                            {"context", t.context_id},
                                            {"owner", t.owner},
                                            {"request", t.request_id},
                                            {"created", format_timestamp(t.created)},
                                            {"state", t.state}});
  std::string line;
  line.reserve(t.receipt.size() + 300);
  json::write(fields, line);
  line.pop_back();  // '}'
  line += kReceiptMember;
  line += t.receipt.empty() ? "null" : t.receipt;
  line += "}\n";
  return line;
}

std::optional<TaskRecord> parse_record(std::string_view line) {
  // The first one: the fields before it are JSON strings, where a quote is
  // always escaped, while the receipt (a skill's answer) may hold this text.
  std::size_t at = line.find(kReceiptMember);
  if (at == std::string_view::npos || line.size() < at + kReceiptMember.size() + 2 || line.back() != '}') {
    return std::nullopt;
  }
  std::string head(line.substr(0, at));
  head += '}';
  auto v = json::parse(head, json::ParseLimits{kMaxLineBytes, 4});
  if (!v.ok() || !v->is_object()) return std::nullopt;
  auto str = [&](const char* name) -> std::optional<std::string> {
    const json::Value* x = v->find(name);
    if (x == nullptr || !x->is_string()) return std::nullopt;
    return x->as_string();
  };
  TaskRecord t;
  auto id = str("id");
  auto created = str("created");
  if (!id || !created) return std::nullopt;
  auto created_ms = parse_timestamp(*created);
  if (!created_ms.ok()) return std::nullopt;
  t.id = *id;
  t.context_id = str("context").value_or("");
  t.owner = str("owner").value_or("");
  t.request_id = str("request").value_or("");
  t.created = *created_ms;
  t.state = str("state").value_or("completed");
  std::string_view receipt = line.substr(at + kReceiptMember.size(), line.size() - 1 - at - kReceiptMember.size());
  if (receipt != "null") t.receipt = std::string(receipt);
  return t;
}

}  // namespace

std::optional<std::array<std::uint8_t, 16>> task_key(std::string_view id) {
  if (id.size() != 32) return std::nullopt;
  auto raw = hex_decode_lower(id);
  if (!raw) return std::nullopt;
  std::array<std::uint8_t, 16> k{};
  std::copy(raw->begin(), raw->end(), k.begin());
  return k;
}

std::size_t TaskStore::KeyHash::operator()(const Key& k) const {
  std::size_t h;
  std::memcpy(&h, k.data(), sizeof h);  // task ids are uniformly random already
  return h;
}

fs::path TaskStore::segment_path(std::uint32_t number) const {
  char name[32];
  std::snprintf(name, sizeof name, "tasks-%08u.jsonl", number);
  return dir_ / name;
}

Result<std::unique_ptr<TaskStore>> TaskStore::open(const fs::path& dir, TaskStoreOptions options) {
  BWOC_RETURN_IF_ERROR(ensure_directory(dir, 0700));
  std::unique_ptr<TaskStore> store(new TaskStore(dir, options));
  BWOC_RETURN_IF_ERROR(store->load());
  return store;
}

TaskStore::~TaskStore() {
  (void)sync();  // a clean stop leaves nothing to chance
  for (Segment& s : segments_) {
    if (s.read_fd >= 0) ::close(s.read_fd);
  }
}

Status TaskStore::index_segment(Segment& seg, int fd, std::set<Key>* unfinished) {
  BWOC_ASSIGN_OR_RETURN(RecordScan scan, scan_records(fd, segment_path(seg.number), 0, kMaxLineBytes,
                                                      [&](std::string_view line, std::uint64_t at) {
    auto t = parse_record(line);
    if (!t) return;
    auto key = task_key(t->id);
    if (!key) return;
    // A task's newest line is the task: a later line (its next state) wins.
    auto [it, added] = index_.try_emplace(*key);
    bool listed_here = !added && it->second.segment == seg.number;
    it->second = Entry{seg.number, static_cast<std::uint32_t>(line.size() + 1), at, owner_index(t->owner), t->created};
    if (!listed_here) seg.keys.push_back(*key);
    if (t->state == "submitted" || t->state == "working") {
      unfinished->insert(*key);
    } else {
      unfinished->erase(*key);
    }
  }));
  seg.size = scan.end_offset;  // a torn tail of an older segment is never appended after
  return ok_status();
}

Result<std::shared_ptr<AppendLog>> TaskStore::open_segment_log(std::uint32_t number) {
  AppendLogOptions options;
  options.exclusion = AppendLogOptions::Exclusion::caller;  // mu_: one writer
  BWOC_ASSIGN_OR_RETURN(AppendLog log, AppendLog::open(segment_path(number), std::move(options)));
  return std::make_shared<AppendLog>(std::move(log));
}

Status TaskStore::load() {
  std::vector<std::uint32_t> numbers;
  if (DIR* d = ::opendir(dir_.c_str())) {
    while (dirent* e = ::readdir(d)) {
      unsigned n = 0;
      char tail[8] = {};
      if (std::sscanf(e->d_name, "tasks-%8u.jsonl%7s", &n, tail) == 1) numbers.push_back(n);
    }
    ::closedir(d);
  }
  std::sort(numbers.begin(), numbers.end());
  std::set<Key> unfinished;
  for (std::uint32_t number : numbers) {
    Segment seg;
    seg.number = number;
    if (number == numbers.back()) {
      // The one appended to: a line a crash cut is cut off (and kept) first.
      BWOC_ASSIGN_OR_RETURN(seg.log, open_segment_log(number));
      BWOC_RETURN_IF_ERROR(seg.log->repair_tail());
      BWOC_RETURN_IF_ERROR(index_segment(seg, seg.log->fd(), &unfinished));
    } else {
      int fd = ::open(segment_path(number).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
      if (fd < 0) return os_error("cannot open", segment_path(number), errno);
      Status indexed = index_segment(seg, fd, &unfinished);
      ::close(fd);
      BWOC_RETURN_IF_ERROR(indexed);
    }
    segments_.push_back(std::move(seg));
  }
  if (segments_.empty()) return start_segment(1);
  written_ = segments_.back().size;
  evict(now_millis());
  return end_unfinished(unfinished);
}

Status TaskStore::end_unfinished(const std::set<Key>& unfinished) {
  // Their work ran in the process that stopped: it will not answer now.
  std::vector<TaskRecord> ended;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const Key& key : unfinished) {
      auto it = index_.find(key);
      if (it == index_.end()) continue;
      if (auto t = read_locked(it->second)) ended.push_back(std::move(*t));
    }
  }
  if (ended.empty()) return ok_status();
  for (TaskRecord& t : ended) {
    t.state = "failed";
    BWOC_RETURN_IF_ERROR(put(t));
  }
  log::warning("a2a.tasks_ended", {{"count", std::to_string(ended.size())},
                                    {"why", "the node stopped before their work finished"}});
  return sync();
}

Status TaskStore::start_segment(std::uint32_t number) {
  BWOC_RETURN_IF_ERROR(flush_locked());
  BWOC_ASSIGN_OR_RETURN(std::shared_ptr<AppendLog> log, open_segment_log(number));
  // The new file's name must survive a crash before any task in it counts;
  // the old segment's tasks are made durable before it stops being synced.
  BWOC_RETURN_IF_ERROR(fsync_directory(dir_));
  if (!segments_.empty() && segments_.back().log) {
    BWOC_RETURN_IF_ERROR(segments_.back().log->sync());
    segments_.back().log.reset();
  }
  durable_ = puts_;
  Segment seg;
  seg.number = number;
  seg.log = std::move(log);
  segments_.push_back(std::move(seg));
  written_ = 0;
  return ok_status();
}

Status TaskStore::flush() {
  std::lock_guard<std::mutex> lock(mu_);
  return flush_locked();
}

Status TaskStore::flush_locked() {
  if (unwritten_.empty()) return ok_status();
  AppendLog& log = *segments_.back().log;
  BWOC_ASSIGN_OR_RETURN(std::uint64_t end, log.repair_tail());
  // The index places each waiting line at `written_` on: lines of a failed
  // write that could not be taken back then must go first.
  if (end != written_) BWOC_RETURN_IF_ERROR(log.take_back(written_, end));
  // On failure no part of the lines is left in the file, and they stay here
  // for the next flush.
  BWOC_RETURN_IF_ERROR(log.append_after_repair(unwritten_));
  written_ += unwritten_.size();
  unwritten_.clear();
  return ok_status();
}

Status TaskStore::sync() {
  std::unique_lock<std::mutex> lock(mu_);
  const std::uint64_t target = puts_;
  while (durable_ < target) {
    if (syncing_) {
      synced_.wait(lock);
      continue;
    }
    syncing_ = true;
    const std::uint64_t covering = puts_;
    Status st = flush_locked();
    std::shared_ptr<AppendLog> log = segments_.back().log;
    if (st.ok()) {
      // The disk is waited for without the lock: puts go on meanwhile, and
      // the next sync takes them all at once.
      lock.unlock();
      st = log->sync();
      lock.lock();
    }
    syncing_ = false;
    if (st.ok()) durable_ = std::max(durable_, covering);
    synced_.notify_all();
    if (!st.ok()) return st;
  }
  return ok_status();
}

std::uint32_t TaskStore::owner_index(const std::string& owner) {
  auto it = owner_ids_.find(owner);
  if (it != owner_ids_.end()) return it->second;
  auto id = static_cast<std::uint32_t>(owners_.size());
  owners_.push_back(owner);
  owner_ids_.emplace(owner, id);
  return id;
}

void TaskStore::evict(UnixMillis now) {
  const std::size_t per_segment = std::max<std::size_t>(options_.max_tasks / 10, 1000);
  auto oldest_expired = [&] {
    const Segment& s = segments_.front();
    if (s.keys.empty()) return true;
    auto it = index_.find(s.keys.back());
    return it != index_.end() && it->second.created < now - options_.max_age_ms;
  };
  while (segments_.size() > 1 && (index_.size() > options_.max_tasks + per_segment || oldest_expired())) {
    Segment& s = segments_.front();
    for (const Key& k : s.keys) {
      auto it = index_.find(k);
      if (it != index_.end() && it->second.segment == s.number) index_.erase(it);
    }
    if (s.read_fd >= 0) ::close(s.read_fd);
    ::unlink(segment_path(s.number).c_str());
    segments_.pop_front();
  }
}

Status TaskStore::put(const TaskRecord& task) {
  auto key = task_key(task.id);
  if (!key) return Error(Errc::internal, "task id is not 32 hex digits");
  std::string line = render(task);
  std::lock_guard<std::mutex> lock(mu_);
  const std::size_t per_segment = std::max<std::size_t>(options_.max_tasks / 10, 1000);
  if (segments_.back().keys.size() >= per_segment) {
    BWOC_RETURN_IF_ERROR(start_segment(segments_.back().number + 1));
    evict(task.created);
  }
  // A full buffer is written first; when that fails the task is not
  // recorded, so that a failing disk cannot grow the buffer without bound.
  constexpr std::size_t kFlushBytes = 256 * 1024;
  if (unwritten_.size() >= kFlushBytes) BWOC_RETURN_IF_ERROR(flush_locked());
  Segment& seg = segments_.back();
  unwritten_ += line;
  // A task's next state is a line of its own; it is listed once a segment.
  auto [it, added] = index_.try_emplace(*key);
  bool listed_here = !added && it->second.segment == seg.number;
  it->second = Entry{seg.number, static_cast<std::uint32_t>(line.size()), seg.size, owner_index(task.owner), task.created};
  if (!listed_here) seg.keys.push_back(*key);
  seg.size += line.size();
  ++puts_;
  return ok_status();
}

std::optional<TaskRecord> TaskStore::read_locked(const Entry& e) {
  Segment* seg = nullptr;
  for (Segment& s : segments_) {
    if (s.number == e.segment) seg = &s;
  }
  if (seg == nullptr) return std::nullopt;
  if (seg == &segments_.back() && e.offset >= written_) {
    std::string_view line = std::string_view(unwritten_).substr(e.offset - written_, e.length);
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    return parse_record(line);
  }
  if (seg->read_fd < 0) {
    seg->read_fd = ::open(segment_path(seg->number).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (seg->read_fd < 0) return std::nullopt;
  }
  std::string line(e.length, '\0');
  ssize_t n = ::pread(seg->read_fd, line.data(), line.size(), static_cast<off_t>(e.offset));
  if (n != static_cast<ssize_t>(line.size())) return std::nullopt;
  if (!line.empty() && line.back() == '\n') line.pop_back();
  return parse_record(line);
}

std::optional<TaskRecord> TaskStore::get(std::string_view id) {
  auto key = task_key(id);
  if (!key) return std::nullopt;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = index_.find(*key);
  if (it == index_.end()) return std::nullopt;
  auto task = read_locked(it->second);
  if (task && task->id != id) return std::nullopt;  // never another task's line
  return task;
}

bool TaskStore::contains(std::string_view id) {
  auto key = task_key(id);
  if (!key) return false;
  std::lock_guard<std::mutex> lock(mu_);
  return index_.count(*key) != 0;
}

std::vector<TaskRecord> TaskStore::list(std::string_view owner, std::size_t offset, std::size_t limit,
                                        std::size_t* total) {
  std::vector<std::pair<Key, Entry>> matches;
  std::lock_guard<std::mutex> lock(mu_);
  {
    auto it = owner_ids_.find(std::string(owner));
    if (it != owner_ids_.end()) {
      std::uint32_t want = it->second;
      for (auto seg = segments_.rbegin(); seg != segments_.rend(); ++seg) {
        for (auto k = seg->keys.rbegin(); k != seg->keys.rend(); ++k) {
          auto e = index_.find(*k);
          if (e != index_.end() && e->second.owner == want && e->second.segment == seg->number) {
            matches.emplace_back(*k, e->second);
          }
        }
      }
    }
  }
  if (total) *total = matches.size();
  std::vector<TaskRecord> out;
  for (std::size_t i = offset; i < matches.size() && out.size() < limit; ++i) {
    auto t = read_locked(matches[i].second);
    if (t && task_key(t->id) == matches[i].first) out.push_back(std::move(*t));  // never another task's line
  }
  return out;
}

std::size_t TaskStore::size() {
  std::lock_guard<std::mutex> lock(mu_);
  return index_.size();
}

}  // namespace bwoc::a2a
