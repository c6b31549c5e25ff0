#include "bwoc/core/outbox.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <future>
#include <mutex>

#include "bwoc/core/append_log.h"
#include "bwoc/core/files.h"
#include "bwoc/core/commit_queue.h"

namespace bwoc {

namespace {

struct PendingAppend {
  std::string lines;
  std::promise<Status> done;
};

}  // namespace

struct Outbox::Impl {
  explicit Impl(AppendLog opened) : log(std::move(opened)) {}

  // On the commit thread: one write and one sync for the whole batch.
  void commit(std::vector<PendingAppend>& batch) {
    std::string all;
    for (const PendingAppend& p : batch) all += p.lines;
    std::lock_guard lock(log_mu);
    Status st = log.append(all);
    if (st.ok()) st = log.sync();
    for (PendingAppend& p : batch) p.done.set_value(st);
  }

  std::mutex log_mu;  // this process's appends and compactions take turns on `log`
  AppendLog log;      // per_append: other processes append under the file's lock
  // Last: its thread commits into `log`, and stops before `log` goes.
  std::unique_ptr<CommitQueue<PendingAppend>> queue;
};

Outbox::Outbox(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Outbox::~Outbox() = default;

Result<std::unique_ptr<Outbox>> Outbox::open(const std::filesystem::path& file) {
  BWOC_RETURN_IF_ERROR(ensure_directory(file.parent_path(), 0700));
  BWOC_ASSIGN_OR_RETURN(AppendLog log, AppendLog::open(file));
  auto impl = std::make_unique<Impl>(std::move(log));
  Impl* raw = impl.get();
  impl->queue = std::make_unique<CommitQueue<PendingAppend>>(
      CommitQueueOptions{}, [raw](std::vector<PendingAppend>& batch) { raw->commit(batch); });
  return std::unique_ptr<Outbox>(new Outbox(std::move(impl)));
}

Status Outbox::append(std::vector<json::Value> records) {
  if (records.empty()) return ok_status();
  PendingAppend pending;
  for (const json::Value& r : records) {
    if (!r.is_object()) return Error(Errc::internal, "an outbox record is a JSON object");
    std::size_t before = pending.lines.size();
    json::write(r, pending.lines);
    if (pending.lines.size() - before > kMaxOutboxRecord) {
      return Error(Errc::invalid_argument,
                   "an outbox record is larger than " + std::to_string(kMaxOutboxRecord) + " bytes");
    }
    pending.lines.push_back('\n');
  }
  std::future<Status> done = pending.done.get_future();
  impl_->queue->push(std::move(pending));
  return done.get();
}

Status Outbox::append(json::Value record) {
  std::vector<json::Value> one;
  one.push_back(std::move(record));
  return append(std::move(one));
}

Result<std::uint64_t> Outbox::read(std::uint64_t from,
                                   const std::function<void(const json::Value& record)>& visit) const {
  auto each = [&](std::string_view line, std::uint64_t) {
    auto parsed = json::parse(line, {kMaxOutboxRecord + 1, 64});
    if (parsed.ok() && parsed->is_object()) visit(*parsed);
  };
  BWOC_ASSIGN_OR_RETURN(RecordScan scan, scan_records(impl_->log.file(), from, kMaxOutboxRecord + 1, each));
  return scan.end_offset;
}

Result<Outbox::Position> Outbox::read(Position from, const std::function<void()>& restart,
                                      const std::function<void(const json::Value& record)>& visit) const {
  const std::filesystem::path& file = impl_->log.file();
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return from;
    return os_error("cannot open", file, errno);
  }
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return os_error("cannot stat", file, errno);
  if (from.inode != 0 && (from.device != st.st_dev || from.inode != st.st_ino)) {
    if (restart) restart();
    from.offset = 0;
  }
  auto each = [&](std::string_view line, std::uint64_t) {
    auto parsed = json::parse(line, {kMaxOutboxRecord + 1, 64});
    if (parsed.ok() && parsed->is_object()) visit(*parsed);
  };
  BWOC_ASSIGN_OR_RETURN(RecordScan scan, scan_records(fd, file, from.offset, kMaxOutboxRecord + 1, each));
  return Position{scan.end_offset, st.st_dev, st.st_ino};
}

Status Outbox::compact(const std::function<bool(const json::Value& record)>& keep) {
  std::lock_guard lock(impl_->log_mu);
  const std::filesystem::path& file = impl_->log.file();
  return impl_->log.rewrite(kMaxCompactedFile, [&](std::string_view records) {
    remove_abandoned_rewrites(file);  // under the file's lock: no rewrite is under way
    return filter_records(records, kMaxOutboxRecord + 1, keep);
  });
}

std::string filter_records(std::string_view records, std::size_t max_record,
                           const std::function<bool(const json::Value& record)>& keep) {
  std::string kept;
  kept.reserve(records.size() / 2);
  for (std::size_t at = 0; at < records.size();) {
    std::size_t nl = records.find('\n', at);
    if (nl == std::string_view::npos) break;
    std::string_view line = records.substr(at, nl - at);
    at = nl + 1;
    auto parsed = json::parse(line, {max_record, 64});
    // A line that does not parse was never a record of ours: it goes.
    if (!parsed.ok() || !parsed->is_object() || !keep(*parsed)) continue;
    kept.append(line);
    kept.push_back('\n');
  }
  return kept;
}

void remove_abandoned_rewrites(const std::filesystem::path& file) {
  // write_file_atomic's copies: ".<name>.tmp-<random>" beside the file.
  std::string prefix = "." + file.filename().string() + ".tmp-";
  std::error_code ec;
  std::filesystem::path dir = file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path();
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0) {
      std::error_code ignored;
      std::filesystem::remove(entry.path(), ignored);
    }
  }
}

const std::filesystem::path& Outbox::file() const { return impl_->log.file(); }

}  // namespace bwoc
