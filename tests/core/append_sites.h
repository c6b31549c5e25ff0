// The append-only files every library keeps, each as a "site": where its
// file is, how a new process appends record n, and which records a new
// process reads back. Shared by the cut tests (append_sites_test.cc) and the
// full-disk and failing-disk tests (fault_test.cc).
#ifndef BWOC_TESTS_CORE_APPEND_SITES_H_
#define BWOC_TESTS_CORE_APPEND_SITES_H_

#include <filesystem>
#include <functional>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "bwoc/core/result.h"

namespace bwoc::test {

struct AppendSite {
  std::string name;
  // Makes what the site needs under `root` (workspaces, keys, routes).
  std::function<void(const std::filesystem::path& root)> setup;
  std::function<std::filesystem::path(const std::filesystem::path& root)> file;
  // Appends record n as a new process would; an error when it was not stored.
  std::function<Status(const std::filesystem::path& root, int n)> append;
  std::function<std::set<int>(const std::filesystem::path& root)> read;
  std::function<bool(std::string_view line)> line_ok;
  // Where cut bytes are kept.
  std::function<std::filesystem::path(const std::filesystem::path& root)> torn_dir;
  // Whether append() says when a record was not stored (the refusal log is
  // best effort: it never does).
  bool reports_failure = true;
  // Whether a record whose append failed may still be written later (the
  // task store keeps a put whose write failed for its next write).
  bool keeps_failed_records = false;
};

std::vector<AppendSite> append_sites();
void PrintTo(const AppendSite& site, std::ostream* out);  // for gtest: its name

// The lines of a file's text (a last line without its newline included).
std::vector<std::string> lines_of(const std::string& text);

}  // namespace bwoc::test

#endif  // BWOC_TESTS_CORE_APPEND_SITES_H_
