// The append-only files on a full disk and on a failing one.
//
// A full disk is a real one where the test may mount it: a small tmpfs,
// filled with ballast (mount(2) needs root or CAP_SYS_ADMIN). Where it may
// not, the test says so on its output and fails write() with ENOSPC once a
// byte budget is spent, through the same interposer as the I/O errors.
//
// I/O errors are injected: this executable defines write(), fdatasync() and
// ftruncate(), which the linker puts before the C library's for every call
// bwoc's code makes; a plan says which file's descriptor fails, how, and how
// often. Everything else goes straight to the system call.
#include <dlfcn.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>

#include "append_sites.h"
#include "bwoc/core/inbox.h"
#include "bwoc/core/receiver.h"
#include "bwoc/core/refusal_log.h"
#ifdef BWOC_TEST_TASK_STORE
#include "bwoc/a2a/client.h"
#include "bwoc/a2a/server.h"
#include "bwoc/core/inbound.h"
#include "task_store.h"
#endif
#include "test_util.h"

namespace bwoc::fault {

struct Plan {
  std::string path_part;  // only descriptors whose path contains this
  int err = EIO;
  bool on_write = false, on_sync = false, on_truncate = false;
  std::size_t partial = 0;  // the first failing write still writes this much (a short write)
  std::int64_t budget = 0;  // bytes written before writes start failing
  int remaining = -1;       // failing calls left (-1: no end)
};

std::mutex mu;
std::optional<Plan> plan;
std::atomic<bool> active{false};

// Counts the fdatasyncs of one file, and can hold the first of them until
// released (to line up callers behind a sync in progress).
struct SyncWatch {
  std::string path_part;
  int count = 0;
  bool hold_first = false, held = false, released = false;
};
std::optional<SyncWatch> watch;
std::condition_variable watch_cv;

void set(Plan p) {
  std::lock_guard lock(mu);
  plan = std::move(p);
  active = true;
}

void clear() {
  std::lock_guard lock(mu);
  plan.reset();
  active = false;
}

bool targets(const Plan& p, int fd) {
  char link[64];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  char path[4096];
  ssize_t n = ::readlink(link, path, sizeof path - 1);
  if (n <= 0) return false;
  return std::string_view(path, static_cast<std::size_t>(n)).find(p.path_part) != std::string_view::npos;
}

}  // namespace bwoc::fault

using bwoc::fault::Plan;

extern "C" ssize_t write(int fd, const void* buf, size_t count) {
  if (bwoc::fault::active) {
    std::lock_guard lock(bwoc::fault::mu);
    Plan* p = bwoc::fault::plan ? &*bwoc::fault::plan : nullptr;
    if (p && p->on_write && p->remaining != 0 && bwoc::fault::targets(*p, fd)) {
      if (p->budget > 0) {
        // Room left on the "disk": write what fits, which may be short.
        std::size_t fits = std::min<std::size_t>(count, static_cast<std::size_t>(p->budget));
        ssize_t n = syscall(SYS_write, fd, buf, fits);
        if (n > 0) p->budget -= n;
        return n;
      }
      if (p->partial > 0) {
        std::size_t some = std::min(count, p->partial);
        p->partial = 0;
        return syscall(SYS_write, fd, buf, some);
      }
      if (p->remaining > 0) --p->remaining;
      errno = p->err;
      return -1;
    }
  }
  return syscall(SYS_write, fd, buf, count);
}

extern "C" int fdatasync(int fd) {
  if (bwoc::fault::active) {
    std::unique_lock lock(bwoc::fault::mu);
    if (auto& w = bwoc::fault::watch; w && !w->path_part.empty()) {
      Plan target;
      target.path_part = w->path_part;
      if (bwoc::fault::targets(target, fd)) {
        ++w->count;
        if (w->hold_first && !w->held) {
          w->held = true;
          bwoc::fault::watch_cv.notify_all();
          bwoc::fault::watch_cv.wait(lock, [&] { return w->released; });
        }
      }
    }
    Plan* p = bwoc::fault::plan ? &*bwoc::fault::plan : nullptr;
    if (p && p->on_sync && p->remaining != 0 && bwoc::fault::targets(*p, fd)) {
      if (p->remaining > 0) --p->remaining;
      errno = p->err;
      return -1;
    }
  }
  return static_cast<int>(syscall(SYS_fdatasync, fd));
}

extern "C" int ftruncate(int fd, off_t length) {
  if (bwoc::fault::active) {
    std::lock_guard lock(bwoc::fault::mu);
    Plan* p = bwoc::fault::plan ? &*bwoc::fault::plan : nullptr;
    if (p && p->on_truncate && bwoc::fault::targets(*p, fd)) {
      errno = p->err;
      return -1;
    }
  }
  return static_cast<int>(syscall(SYS_ftruncate, fd, length));
}

namespace bwoc {
namespace {

namespace fs = std::filesystem;

// A small disk: a tmpfs mounted on a folder, or, where mounting is not
// allowed, a byte budget after which writes under the folder fail with ENOSPC.
class SmallDisk {
 public:
  explicit SmallDisk(fs::path dir) : dir_(std::move(dir)) {
    fs::create_directories(dir_);
    if (::mount("tmpfs", dir_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=4m,mode=0755") == 0) {
      mounted_ = true;
    } else {
      std::string why = std::strerror(errno);
      std::printf(
          "fault: a tmpfs cannot be mounted here (%s): a full disk is simulated by write() failing with "
          "ENOSPC once a byte budget is spent\n",
          why.c_str());
      ::testing::Test::RecordProperty("full_disk", "injected ENOSPC: " + why);
    }
  }
  ~SmallDisk() {
    fault::clear();
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  SmallDisk(const SmallDisk&) = delete;
  SmallDisk& operator=(const SmallDisk&) = delete;

  const fs::path& dir() const { return dir_; }

  // Leaves about `room` bytes free.
  void fill_leaving(std::size_t room) {
    if (!mounted_) {
      fault::set(
          Plan{.path_part = dir_.string(), .err = ENOSPC, .on_write = true, .budget = static_cast<std::int64_t>(room)});
      return;
    }
    fs::path ballast = dir_ / "ballast";
    int fd = ::open(ballast.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    std::string block(4096, 'b');
    while (syscall(SYS_write, fd, block.data(), block.size()) > 0) {
    }
    ASSERT_EQ(errno, ENOSPC);
    off_t size = ::lseek(fd, 0, SEEK_END);
    ASSERT_EQ(syscall(SYS_ftruncate, fd, std::max<off_t>(0, size - static_cast<off_t>(room))), 0);
    ::close(fd);
  }

  void free_space() {
    fault::clear();
    std::error_code ec;
    fs::remove(dir_ / "ballast", ec);
  }

 private:
  fs::path dir_;
  bool mounted_ = false;
};

void expect_whole_lines(const test::AppendSite& site, const fs::path& root, const std::string& when) {
  std::string text = test::read_file(site.file(root));
  if (!text.empty()) {
    EXPECT_EQ(text.back(), '\n') << site.name << " " << when << ": a fragment was left";
  }
  for (const std::string& line : test::lines_of(text)) {
    EXPECT_TRUE(site.line_ok(line)) << site.name << " " << when << ": " << line;
  }
}

class FullDisk : public ::testing::TestWithParam<test::AppendSite> {};

// Appends until the disk is full, then frees it: no fragment is ever left,
// what was stored reads back, what failed is not there, and a retry of it
// after the disk has room is stored.
TEST_P(FullDisk, LeavesNoFragmentAndStoresNothingItReportedFailed) {
  const test::AppendSite& site = GetParam();
  test::TempDir dir;
  SmallDisk disk(dir.path() / "disk");
  const fs::path root = disk.dir() / "ws";
  fs::create_directories(root);
  site.setup(root);
  ASSERT_TRUE(site.append(root, 0).ok());
  disk.fill_leaving(8 * 1024);
  std::set<int> stored{0}, failed;
  int failures_in_a_row = 0;
  for (int n = 1; n < 400 && (failures_in_a_row < 5 || !site.reports_failure); ++n) {
    if (site.append(root, n).ok()) {
      stored.insert(n);
      failures_in_a_row = 0;
    } else {
      failed.insert(n);
      ++failures_in_a_row;
    }
    expect_whole_lines(site, root, "after record " + std::to_string(n));
  }
  disk.free_space();
  std::set<int> read = site.read(root);
  if (!site.reports_failure) {
    // Best effort (the refusal log): what was lost is what did not fit.
    EXPECT_LT(read.size(), 400u) << site.name << ": the disk never filled";
    ASSERT_TRUE(site.append(root, 1000).ok());
    EXPECT_TRUE(site.read(root).count(1000)) << site.name;
    expect_whole_lines(site, root, "after the disk had room again");
    return;
  }
  EXPECT_FALSE(failed.empty()) << site.name << ": the disk never filled";
  for (int n : stored) EXPECT_TRUE(read.count(n)) << site.name << ": stored " << n << " is missing";
  for (int n : read) {
    EXPECT_TRUE(stored.count(n) || (site.keeps_failed_records && failed.count(n)))
        << site.name << ": " << n << " failed, yet it is there";
  }
  for (int n : failed) EXPECT_TRUE(site.append(root, n).ok()) << site.name << ": retry of " << n;
  std::set<int> all = stored;
  all.insert(failed.begin(), failed.end());
  std::set<int> after = site.read(root);
  for (int n : all) EXPECT_TRUE(after.count(n)) << site.name << ": " << n << " missing after the retry";
  expect_whole_lines(site, root, "after the retries");
}

class FailingDisk : public ::testing::TestWithParam<test::AppendSite> {};

// Appends record 1 with a write that stops after 9 bytes and then fails
// with EIO (and, when `cut_back_fails`, cannot be taken back either);
// records 0 before and 2 after it succeed. Returns what append 1 said.
Status fail_half_way(const test::AppendSite& site, const fs::path& root, bool cut_back_fails) {
  site.setup(root);
  EXPECT_TRUE(site.append(root, 0).ok());
  fault::set(Plan{.path_part = site.file(root).filename().string(),
                  .on_write = true,
                  .on_truncate = cut_back_fails,
                  .partial = 9,
                  .remaining = 1});
  Status failed = site.append(root, 1);
  fault::clear();
  return failed;
}

void expect_records_0_and_2(const test::AppendSite& site, const fs::path& root) {
  std::set<int> read = site.read(root);
  if (site.keeps_failed_records) read.erase(1);
  EXPECT_EQ(read, (std::set<int>{0, 2})) << site.name;
}

TEST_P(FailingDisk, AWriteThatFailsHalfWayIsTakenBack) {
  const test::AppendSite& site = GetParam();
  test::TempDir dir;
  Status failed = fail_half_way(site, dir.path(), false);
  if (site.reports_failure) {
    EXPECT_FALSE(failed.ok()) << site.name;
  }
  expect_whole_lines(site, dir.path(), "after the failed write");
  ASSERT_TRUE(site.append(dir.path(), 2).ok());
  expect_records_0_and_2(site, dir.path());
}

// When even taking it back fails, the next append finds the fragment and
// cuts it (keeping it) before it writes.
TEST_P(FailingDisk, AFragmentThatCouldNotBeTakenBackIsCutByTheNextAppend) {
  const test::AppendSite& site = GetParam();
  test::TempDir dir;
  (void)fail_half_way(site, dir.path(), true);
  std::string text = test::read_file(site.file(dir.path()));
  ASSERT_NE(text.back(), '\n') << site.name << ": the fault left no fragment to repair";
  ASSERT_TRUE(site.append(dir.path(), 2).ok());
  expect_whole_lines(site, dir.path(), "after the repair");
  expect_records_0_and_2(site, dir.path());
  EXPECT_FALSE(fs::is_empty(site.torn_dir(dir.path()))) << site.name;
}

std::string site_name(const ::testing::TestParamInfo<test::AppendSite>& info) {
  std::string name;
  for (char c : info.param.name) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(AppendSites, FullDisk, ::testing::ValuesIn(test::append_sites()), site_name);
INSTANTIATE_TEST_SUITE_P(AppendSites, FailingDisk, ::testing::ValuesIn(test::append_sites()), site_name);

// The receiver, with envelopes arriving together (group commits), on a disk
// that fills: each envelope is in the inbox exactly once in the end, however
// often it is sent, and `inbox verify` finds nothing wrong.
class ReceiverFaults : public test::TwoWorkspaces {
 protected:
  std::vector<Delivery> deliver_all(Receiver& rx, const std::vector<std::string>& texts) {
    std::vector<Delivery> out(texts.size());
    std::vector<std::thread> threads;
    std::atomic<std::size_t> next{0};
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        for (std::size_t i; (i = next++) < texts.size();) out[i] = rx.receive_sync(texts[i], Via::mqtt, "t");
      });
    }
    for (auto& th : threads) th.join();
    return out;
  }

  void expect_exactly_once(std::size_t envelopes) {
    auto routes = Routes::load(beta_->routes_file(), beta_->root());
    auto verified = verify_inbox(*beta_, *routes, "agent-b");
    ASSERT_TRUE(verified.ok());
    EXPECT_EQ(verified->lines, envelopes);
    EXPECT_EQ(verified->verified, envelopes);
    for (const InboxProblem& p : verified->problems) ADD_FAILURE() << "line " << p.line << ": " << p.problem;
  }

#ifdef BWOC_TEST_TASK_STORE
  // Sends `text` over A2A to beta/agent-b while the task store cannot sync:
  // never answered; then with a working disk: answered, stored once.
  void expect_answered_only_when_synced(Inbound& inbound, const std::string& text) {
    a2a::ServeOptions serve;
    serve.agent = "agent-b";
    serve.port = 0;
    serve.threads = 1;
    auto server = a2a::Server::start(*beta_, serve, inbound);
    ASSERT_TRUE(server.ok()) << server.error().message();
    PeerRoute route;
    route.key = "beta";
    route.pubkey = *beta_->public_key();
    route.url = (*server)->base_url();
    a2a::A2aTransport transport(*alpha_->public_key());
    SignedEnvelope signed_envelope{text, parse_envelope(text).value()};

    Plan failing;
    failing.path_part = "/a2a/agent-b/tasks-";
    failing.on_sync = true;
    fault::set(failing);
    auto refused = transport.deliver(route, signed_envelope, std::chrono::seconds(30));
    fault::clear();
    ASSERT_FALSE(refused.ok()) << "answered " << (refused.ok() ? refused->detail : "");
    EXPECT_EQ(refused.error().code(), Errc::unavailable) << refused.error().message();

    // Once the disk works again the same envelope gets its task and answer.
    auto delivered = transport.deliver(route, signed_envelope, std::chrono::seconds(30));
    ASSERT_TRUE(delivered.ok()) << delivered.error().message();
    EXPECT_TRUE(delivered->reply.has_value());
    (*server)->stop();
    expect_exactly_once(1);
  }
#endif
};

TEST_F(ReceiverFaults, OnAFullDiskEachEnvelopeIsStoredExactlyOnce) {
  // beta lives on the small disk.
  SmallDisk disk(dir_.path() / "disk");
  fs::path beta_root = beta_->root();
  fs::copy(beta_root, disk.dir() / "beta", fs::copy_options::recursive);
  beta_.emplace(std::move(Workspace::open(disk.dir() / "beta")).value());
  test::declare_peers(*beta_, {&*alpha_});
  std::vector<std::string> texts;
  for (int i = 0; i < 120; ++i) texts.push_back(envelope());
  std::size_t accepted = 0, failed = 0;
  {
    auto rx = Receiver::open(*beta_);
    ASSERT_TRUE(rx.ok());
    disk.fill_leaving(24 * 1024);
    for (const Delivery& d : deliver_all(**rx, texts)) {
      accepted += d.outcome == Delivery::Outcome::accepted;
      failed += d.outcome == Delivery::Outcome::failed;
    }
  }
  EXPECT_GT(accepted, 0u);
  EXPECT_GT(failed, 0u) << "the disk never filled";
  EXPECT_EQ(accepted + failed, texts.size());
  expect_exactly_once(accepted);
  disk.free_space();
  // Senders retry everything: what was stored is a repeat, the rest is new.
  {
    auto rx = Receiver::open(*beta_);
    std::size_t duplicates = 0, fresh = 0;
    for (const Delivery& d : deliver_all(**rx, texts)) {
      duplicates += d.outcome == Delivery::Outcome::duplicate;
      fresh += d.outcome == Delivery::Outcome::accepted;
    }
    EXPECT_EQ(duplicates, accepted);
    EXPECT_EQ(fresh, failed);
  }
  // And after a restart, once more: all of them repeats.
  auto rx = Receiver::open(*beta_);
  for (const Delivery& d : deliver_all(**rx, texts)) EXPECT_EQ(d.outcome, Delivery::Outcome::duplicate);
  expect_exactly_once(texts.size());
}

TEST_F(ReceiverFaults, AnInboxThatFailsToSyncTakesItsLinesBack) {
  auto rx = Receiver::open(*beta_);
  std::string kept = envelope();
  ASSERT_EQ((*rx)->receive_sync(kept, Via::path, "t").outcome, Delivery::Outcome::accepted);
  fault::set(Plan{.path_part = "inbox.jsonl", .on_sync = true, .remaining = 1});
  std::string text = envelope();
  Delivery d = (*rx)->receive_sync(text, Via::path, "t");
  fault::clear();
  EXPECT_EQ(d.outcome, Delivery::Outcome::failed);
  EXPECT_EQ(test::count_lines(beta_->inbox_file("agent-b")), 1u);  // never acknowledged: not kept
  EXPECT_EQ((*rx)->receive_sync(text, Via::path, "t").outcome, Delivery::Outcome::accepted);
  rx->reset();
  auto again = Receiver::open(*beta_);
  EXPECT_EQ((*again)->receive_sync(text, Via::path, "t").outcome, Delivery::Outcome::duplicate);
  EXPECT_EQ((*again)->receive_sync(kept, Via::path, "t").outcome, Delivery::Outcome::duplicate);
  expect_exactly_once(2);
}

TEST_F(ReceiverFaults, AnInboxWhoseContentIsUnknownTakesNoMoreDeliveriesUntilRestart) {
  auto rx = Receiver::open(*beta_);
  fault::set(Plan{.path_part = "inbox.jsonl", .on_sync = true, .on_truncate = true, .remaining = 1});
  std::string text = envelope();
  EXPECT_EQ((*rx)->receive_sync(text, Via::path, "t").outcome, Delivery::Outcome::failed);
  fault::clear();
  Delivery next = (*rx)->receive_sync(envelope(), Via::path, "t");
  EXPECT_EQ(next.outcome, Delivery::Outcome::failed);
  ASSERT_TRUE(next.error.has_value());
  EXPECT_NE(next.error->message().find("until bwoc restarts"), std::string::npos) << next.error->message();
  rx->reset();
  // A new process reads what the disk holds: the line is there, so the
  // envelope is a repeat, and it is in the inbox once.
  auto again = Receiver::open(*beta_);
  EXPECT_EQ((*again)->receive_sync(text, Via::path, "t").outcome, Delivery::Outcome::duplicate);
  expect_exactly_once(1);
}

TEST_F(ReceiverFaults, ASeenLogThatCannotBeWrittenNeverLetsAReplayIn) {
  std::vector<std::string> texts;
  for (int i = 0; i < 20; ++i) texts.push_back(envelope());
  {
    auto rx = Receiver::open(*beta_);
    fault::set(Plan{.path_part = "seen.log", .on_write = true, .partial = 50});
    for (const std::string& t : texts)
      EXPECT_EQ((*rx)->receive_sync(t, Via::path, "t").outcome, Delivery::Outcome::accepted);
    fault::clear();
  }
  auto rx = Receiver::open(*beta_);
  for (const std::string& t : texts)
    EXPECT_EQ((*rx)->receive_sync(t, Via::mqtt, "t").outcome, Delivery::Outcome::duplicate);
  expect_exactly_once(texts.size());
}

TEST_F(ReceiverFaults, ATornSeenLogAppendNeverLetsAReplayIn) {
  std::string first = envelope(), second = envelope();
  {
    auto rx = Receiver::open(*beta_);
    // The seen log's append stops part-way and cannot be taken back.
    fault::set(Plan{.path_part = "seen.log", .on_write = true, .on_truncate = true, .partial = 30, .remaining = 1});
    EXPECT_EQ((*rx)->receive_sync(first, Via::path, "t").outcome, Delivery::Outcome::accepted);
    fault::clear();
    EXPECT_EQ((*rx)->receive_sync(second, Via::path, "t").outcome, Delivery::Outcome::accepted);
  }
  auto rx = Receiver::open(*beta_);
  EXPECT_EQ((*rx)->receive_sync(first, Via::mqtt, "t").outcome, Delivery::Outcome::duplicate);
  EXPECT_EQ((*rx)->receive_sync(second, Via::mqtt, "t").outcome, Delivery::Outcome::duplicate);
  expect_exactly_once(2);
}

#ifdef BWOC_TEST_TASK_STORE
// Requests that sync while another sync is at the disk share the next
// fdatasync: however many, two in all.
TEST(TaskStoreFaults, SyncsThatWaitTogetherShareOneFdatasync) {
  test::TempDir dir;
  auto store = a2a::TaskStore::open(dir.path(), {});
  ASSERT_TRUE(store.ok());
  auto task = [](int n) {
    char id[33];
    std::snprintf(id, sizeof id, "%032x", n + 1);
    return a2a::TaskRecord{id, "c", "ed25519:owner", id, now_millis(), "completed", "{}"};
  };
  {
    std::lock_guard lock(fault::mu);
    fault::watch = fault::SyncWatch{"tasks-", 0, true};
    fault::active = true;
  }
  ASSERT_TRUE((*store)->put(task(0)).ok());
  std::thread first([&] { EXPECT_TRUE((*store)->sync().ok()); });
  {
    std::unique_lock lock(fault::mu);
    fault::watch_cv.wait(lock, [] { return fault::watch->held; });  // the first sync is at the disk
  }
  std::atomic<int> put{0};
  std::vector<std::thread> others;
  for (int t = 1; t <= 7; ++t) {
    others.emplace_back([&, t] {
      EXPECT_TRUE((*store)->put(task(t)).ok());
      ++put;
      EXPECT_TRUE((*store)->sync().ok());
    });
  }
  while (put.load() < 7) std::this_thread::yield();  // every task is put before the disk answers
  {
    std::lock_guard lock(fault::mu);
    fault::watch->released = true;
    fault::watch_cv.notify_all();
  }
  first.join();
  for (auto& th : others) th.join();
  std::lock_guard lock(fault::mu);
  EXPECT_EQ(fault::watch->count, 2);
  fault::watch.reset();
  fault::active = static_cast<bool>(fault::plan);
}

// Nothing is acknowledged before it is durable: while the A2A node's task
// store cannot sync, a sender never gets a completed task (it is told to try
// again, and the envelope, safe in the inbox, is a repeat next time).
TEST_F(ReceiverFaults, AnA2aTaskThatCannotBeSyncedIsNeverAnsweredCompleted) {
  auto inbound = Inbound::open(*beta_, InboundOptions{.agent = "agent-b"});
  ASSERT_TRUE(inbound.ok()) << inbound.error().message();
  expect_answered_only_when_synced(**inbound, envelope());
}
// The same for work that runs after the envelope is accepted (a skill): no
// state of its task is told before it is on disk.
TEST_F(ReceiverFaults, WorkUnderWayWhoseTaskCannotBeSyncedIsNeverAnsweredCompleted) {
  auto inbound = Inbound::open(*beta_, InboundOptions{.agent = "agent-b"});
  ASSERT_TRUE(inbound.ok()) << inbound.error().message();
  KindHandler work;
  work.blocking = true;
  Inbound* node = inbound->get();
  work.act = [node](const InboundRequest& r) -> Result<std::optional<std::string>> {
    BWOC_ASSIGN_OR_RETURN(std::string answer, node->sign_answer(r.envelope, "test.work.result", json::Value::object()));
    return std::optional<std::string>(std::move(answer));
  };
  (*inbound)->add_kind("test.work", std::move(work));
  expect_answered_only_when_synced(**inbound, envelope([](EnvelopeDraft& d) { d.kind = "test.work"; }));
}
#endif

}  // namespace
}  // namespace bwoc
