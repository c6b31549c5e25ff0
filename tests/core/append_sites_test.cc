// Every append-only file the workspace keeps, cut at every byte offset of its
// last record (what a crash or a full disk leaves): the next append must not
// glue onto the fragment, every complete record must read back, and the cut
// bytes must be kept for the operator.
#include "append_sites.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace bwoc {
namespace {

namespace fs = std::filesystem;

class EveryCut : public ::testing::TestWithParam<test::AppendSite> {};

// Builds records 0, 1 and 2 in a template, then, for every cut of the last
// record, works on a fresh copy: cut, append 3 as a new process, read back.
TEST_P(EveryCut, OfTheLastRecordIsRepairedBeforeTheNextAppend) {
  const test::AppendSite& site = GetParam();
  test::TempDir dir;
  const fs::path tpl = dir.path() / "template";
  fs::create_directories(tpl);
  site.setup(tpl);
  for (int n = 0; n < 3; ++n) ASSERT_TRUE(site.append(tpl, n).ok()) << n;
  const std::string whole = test::read_file(site.file(tpl));
  ASSERT_FALSE(whole.empty());
  ASSERT_EQ(whole.back(), '\n');
  const std::size_t last_start = whole.rfind('\n', whole.size() - 2) + 1;
  for (std::size_t cut = last_start; cut < whole.size(); ++cut) {
    const fs::path root = dir.path() / ("cut-" + std::to_string(cut));
    fs::copy(tpl, root, fs::copy_options::recursive);
    fs::resize_file(site.file(root), cut);
    ASSERT_TRUE(site.append(root, 3).ok()) << cut;
    EXPECT_EQ(site.read(root), (std::set<int>{0, 1, 3})) << "cut at " << cut << " of " << whole.size();
    std::string text = test::read_file(site.file(root));
    ASSERT_FALSE(text.empty());
    EXPECT_EQ(text.back(), '\n') << cut;
    for (const std::string& line : test::lines_of(text)) {
      EXPECT_TRUE(site.line_ok(line)) << "cut at " << cut << ", glued: " << line;
    }
    std::error_code ec;
    EXPECT_EQ(fs::exists(site.torn_dir(root), ec) && !fs::is_empty(site.torn_dir(root), ec), cut > last_start)
        << "the cut bytes are kept for the operator; cut at " << cut;
    fs::remove_all(root, ec);
  }
}

std::string site_name(const ::testing::TestParamInfo<test::AppendSite>& info) {
  std::string name;
  for (char c : info.param.name) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(AppendSites, EveryCut, ::testing::ValuesIn(test::append_sites()), site_name);

}  // namespace
}  // namespace bwoc
