#include "bwoc/core/append_log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <set>

#include "test_util.h"

namespace bwoc {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> records_of(const fs::path& file, RecordScan* scan_out = nullptr) {
  std::vector<std::string> out;
  auto scan = scan_records(file, 0, 1 << 20, [&](std::string_view r, std::uint64_t) { out.emplace_back(r); });
  EXPECT_TRUE(scan.ok());
  if (scan_out && scan.ok()) *scan_out = *scan;
  return out;
}

std::string record(int n) {
  return "record " + std::to_string(n) + " " + std::string(static_cast<std::size_t>(n % 7) * 5, 'x');
}

TEST(AppendLog, EveryCutOfTheLastRecordIsRepairedBeforeTheNextAppend) {
  for (auto exclusion : {AppendLogOptions::Exclusion::per_append, AppendLogOptions::Exclusion::caller}) {
    test::TempDir dir;
    const fs::path file = dir.path() / "log";
    {
      auto log = AppendLog::open(file);
      ASSERT_TRUE(log.ok());
      ASSERT_TRUE(log->append(record(1) + "\n" + record(2) + "\n").ok());
      ASSERT_TRUE(log->append(record(3) + "\n").ok());
    }
    const std::string whole = test::read_file(file);
    const std::size_t last = whole.size() - record(3).size() - 1;
    for (std::size_t cut = last; cut < whole.size(); ++cut) {
      {
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out << whole.substr(0, cut);
      }
      fs::remove_all(dir.path() / "torn");
      std::vector<TornTail> reported;
      AppendLogOptions options;
      options.exclusion = exclusion;
      options.on_repair = [&](const TornTail& t) { reported.push_back(t); };
      auto log = AppendLog::open(file, options);
      ASSERT_TRUE(log.ok());
      ASSERT_TRUE(log->append(record(4) + "\n").ok());
      RecordScan scan;
      EXPECT_EQ(records_of(file, &scan), (std::vector<std::string>{record(1), record(2), record(4)})) << cut;
      EXPECT_EQ(scan.torn_tail_bytes, 0u);
      if (cut == last) {
        EXPECT_TRUE(reported.empty());
        continue;
      }
      ASSERT_EQ(reported.size(), 1u) << cut;
      EXPECT_EQ(reported[0].offset, last);
      EXPECT_EQ(reported[0].bytes, cut - last);
      EXPECT_EQ(test::read_file(reported[0].kept), whole.substr(last, cut - last));  // kept for the operator
    }
  }
}

TEST(AppendLog, ATornTailLongerThanAChunkIsFoundFromItsEnd) {
  test::TempDir dir;
  const fs::path file = dir.path() / "log";
  {
    std::ofstream out(file, std::ios::binary);
    out << "first\n" << std::string(300'000, 'y');  // no newline: torn
  }
  auto log = AppendLog::open(file);
  ASSERT_TRUE(log->append("second\n").ok());
  EXPECT_EQ(records_of(file), (std::vector<std::string>{"first", "second"}));
}

TEST(AppendLog, RefusesARecordWithoutItsNewline) {
  test::TempDir dir;
  auto log = AppendLog::open(dir.path() / "log");
  EXPECT_FALSE(log->append("no newline").ok());
  EXPECT_EQ(fs::file_size(dir.path() / "log"), 0u);
}

TEST(AppendLog, WritersFollowARotationAndARewrite) {
  test::TempDir dir;
  const fs::path file = dir.path() / "log";
  AppendLogOptions options;
  options.rotate_bytes = 64;
  auto a = AppendLog::open(file, options);
  auto b = AppendLog::open(file, options);
  ASSERT_TRUE(a->append(std::string(40, 'a') + "\n").ok());
  ASSERT_TRUE(a->append(std::string(40, 'b') + "\n").ok());  // past 64 bytes: rotated first
  ASSERT_TRUE(b->append("from b\n").ok());                   // into the new file, not the old one
  EXPECT_EQ(records_of(file), (std::vector<std::string>{std::string(40, 'b'), "from b"}));
  fs::path old = file;
  old += ".1";
  EXPECT_EQ(records_of(old), (std::vector<std::string>{std::string(40, 'a')}));

  ASSERT_TRUE(a->rewrite(1 << 20, [](std::string_view) { return std::string("kept\n"); }).ok());
  ASSERT_TRUE(b->append("after\n").ok());
  EXPECT_EQ(records_of(file), (std::vector<std::string>{"kept", "after"}));
}

TEST(AppendLog, TakeBackCutsOnlyWhenNothingFollows) {
  test::TempDir dir;
  const fs::path file = dir.path() / "log";
  auto a = AppendLog::open(file);
  auto b = AppendLog::open(file);
  ASSERT_TRUE(a->append("one\n").ok());
  ASSERT_TRUE(a->append("two\n").ok());
  EXPECT_TRUE(a->take_back(4, 8).ok());
  EXPECT_EQ(records_of(file), (std::vector<std::string>{"one"}));
  ASSERT_TRUE(a->append("three\n").ok());
  ASSERT_TRUE(b->append("four\n").ok());
  EXPECT_FALSE(a->take_back(4, 10).ok());  // "four" follows: not ours to cut
  EXPECT_EQ(records_of(file), (std::vector<std::string>{"one", "three", "four"}));
}

TEST(ScanRecords, ReadsAcrossChunksSkipsOversizeRecordsAndReportsATornTail) {
  test::TempDir dir;
  const fs::path file = dir.path() / "log";
  std::vector<std::string> expected;
  {
    std::ofstream out(file, std::ios::binary);
    // Records that straddle the 1 MiB read chunks, one longer than the limit.
    for (int i = 0; i < 300; ++i) {
      std::string r = "r" + std::to_string(i) + std::string(static_cast<std::size_t>(i) * 37 % 9000, 'z');
      out << r << "\n";
      expected.push_back(r);
      if (i == 150) out << std::string(3 << 20, 'o') << "\n";
    }
    out << "torn";
  }
  std::vector<std::string> got;
  std::vector<std::uint64_t> offsets;
  auto scan = scan_records(file, 0, 1 << 20, [&](std::string_view r, std::uint64_t at) {
    got.emplace_back(r);
    offsets.push_back(at);
  });
  ASSERT_TRUE(scan.ok());
  EXPECT_EQ(got, expected);
  EXPECT_EQ(scan->oversize, 1u);
  EXPECT_EQ(scan->torn_tail_bytes, 4u);
  EXPECT_EQ(scan->end_offset, fs::file_size(file) - 4);
  // Offsets point at the records.
  std::ifstream in(file, std::ios::binary);
  for (std::size_t i = 0; i < got.size(); i += 37) {
    in.seekg(static_cast<std::streamoff>(offsets[i]));
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, got[i]);
  }
}

// Several processes append to one file while others die in the middle of
// writing a record (they write half a record under the lock and exit): every
// whole record is there exactly once, and no fragment is glued to one.
TEST(AppendLog, ConcurrentWritersAndCrashesNeverGlue) {
  test::TempDir dir;
  const fs::path file = dir.path() / "log";
  ASSERT_TRUE(AppendLog::open(file).ok());
  constexpr int kWriters = 4;
  constexpr int kPerWriter = 300;
  constexpr int kCrashers = 20;
  std::vector<pid_t> children;
  for (int w = 0; w < kWriters; ++w) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto log = AppendLog::open(file);
      if (!log.ok()) ::_exit(2);
      for (int i = 0; i < kPerWriter; ++i) {
        if (!log->append("w" + std::to_string(w) + "-" + std::to_string(i) + std::string(64, '.') + "\n").ok()) {
          ::_exit(3);
        }
      }
      ::_exit(0);
    }
    children.push_back(pid);
  }
  for (int c = 0; c < kCrashers; ++c) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int fd = ::open(file.c_str(), O_WRONLY | O_APPEND);
      if (fd < 0 || ::flock(fd, LOCK_EX) != 0) ::_exit(2);
      std::string half = "crash-" + std::to_string(c);
      if (::write(fd, half.data(), half.size()) != static_cast<ssize_t>(half.size())) ::_exit(3);
      ::_exit(0);  // dies mid-record; the lock goes with it
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }
  // One more append repairs a crash that came last.
  auto log = AppendLog::open(file);
  AppendLogOptions quiet;
  ASSERT_TRUE(log->append("last\n").ok());
  std::multiset<std::string> got;
  for (const std::string& r : records_of(file)) {
    EXPECT_EQ(r.find("crash-"), std::string::npos) << r;
    got.insert(r);
  }
  EXPECT_EQ(got.size(), static_cast<std::size_t>(kWriters * kPerWriter + 1));
  for (int w = 0; w < kWriters; ++w) {
    for (int i = 0; i < kPerWriter; ++i) {
      EXPECT_EQ(got.count("w" + std::to_string(w) + "-" + std::to_string(i) + std::string(64, '.')), 1u);
    }
  }
}

}  // namespace
}  // namespace bwoc
