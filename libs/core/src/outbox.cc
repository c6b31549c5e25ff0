#include "bwoc/core/outbox.h"

#include <future>

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
    Status st = log.append(all);
    if (st.ok()) st = log.sync();
    for (PendingAppend& p : batch) p.done.set_value(st);
  }

  AppendLog log;  // per_append: other processes append under the file's lock
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

const std::filesystem::path& Outbox::file() const { return impl_->log.file(); }

}  // namespace bwoc
