// Reading what a peer shared and writing into its drop folder, so that
// neither leaves the folder: no symlink on the way, no hard link, no "..".
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <ostream>

#include <gtest/gtest.h>

#include "../../libs/core/src/beneath.h"
#include "bwoc/core/drop_folder.h"
#include "bwoc/core/files.h"
#include "bwoc/core/shares.h"
#include "test_util.h"

namespace bwoc {
namespace beneath {
// For test names: "Openat2" rather than the bytes of the enum.
void PrintTo(Way way, std::ostream* out) { *out << (way == Way::openat2 ? "openat2" : "component walk"); }
}  // namespace beneath
namespace {

namespace fs = std::filesystem;

class BeneathTest : public ::testing::TestWithParam<beneath::Way> {
 protected:
  void SetUp() override {
    root_ = dir_.path() / "root";
    fs::create_directories(root_ / "docs" / "deep");
    fs::create_directories(dir_.path() / "outside");
    std::ofstream(root_ / "docs" / "deep" / "a.md") << "shared";
    std::ofstream(dir_.path() / "outside" / "secret") << "secret";
  }
  // errno of open_below(), or 0 when it opened.
  int open_errno(const std::string& relative, int flags = O_RDONLY) {
    UniqueFd root(::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    errno = 0;
    UniqueFd fd(beneath::open_below(root.get(), relative, flags, GetParam()));
    return fd.get() >= 0 ? 0 : errno;
  }

  test::TempDir dir_;
  fs::path root_;
};

TEST_P(BeneathTest, OpensWhatIsBelowTheRoot) {
  EXPECT_EQ(open_errno("docs/deep/a.md"), 0);
  EXPECT_EQ(open_errno("docs/deep", O_RDONLY | O_DIRECTORY), 0);
  EXPECT_EQ(open_errno("docs/missing.md"), ENOENT);
}

TEST_P(BeneathTest, RefusesASymlinkOnAnyComponent) {
  fs::create_symlink(dir_.path() / "outside" / "secret", root_ / "docs" / "last.md");
  fs::create_symlink("deep", root_ / "docs" / "inside");  // even one that stays inside
  fs::create_symlink(dir_.path() / "outside", root_ / "out");
  EXPECT_EQ(open_errno("docs/last.md"), ELOOP);
  EXPECT_NE(open_errno("docs/inside/a.md"), 0);
  EXPECT_NE(open_errno("out/secret"), 0);
  EXPECT_NE(open_errno("docs/inside", O_RDONLY | O_DIRECTORY), 0);
}

TEST_P(BeneathTest, RefusesPathsThatClimbOrStartElsewhere) {
  for (const char* bad : {"../outside/secret", "docs/../../outside/secret", "docs/../docs/deep/a.md", "/etc/passwd",
                          "", "./docs/deep/a.md", "docs//deep/a.md", "docs/deep/a.md/"}) {
    EXPECT_EQ(open_errno(bad), EXDEV) << bad;
  }
}

INSTANTIATE_TEST_SUITE_P(BothWays, BeneathTest, ::testing::Values(beneath::Way::openat2, beneath::Way::component_walk),
                         [](const ::testing::TestParamInfo<beneath::Way>& param) {
                           return param.param == beneath::Way::openat2 ? "Openat2" : "ComponentWalk";
                         });

class FilesBeneathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_.path() / "root" / "docs");
    std::ofstream(dir_.path() / "secret") << "secret";
    std::ofstream(dir_.path() / "root" / "docs" / "a.md") << "shared";
  }
  fs::path root() const { return dir_.path() / "root"; }
  test::TempDir dir_;
};

TEST_F(FilesBeneathTest, ReadsAPlainFileThroughARootThatIsALink) {
  fs::create_symlink(root(), dir_.path() / "root-link");
  auto text = read_file_beneath(dir_.path() / "root-link", "docs/a.md", 100);
  ASSERT_TRUE(text.ok()) << text.error().message();
  EXPECT_EQ(*text, "shared");
}

TEST_F(FilesBeneathTest, RefusesHardLinksLinksFifosAndOversizeFiles) {
  ASSERT_EQ(::link((dir_.path() / "secret").c_str(), (root() / "docs" / "hard.md").c_str()), 0);
  auto hard = read_file_beneath(root(), "docs/hard.md", 100);
  ASSERT_FALSE(hard.ok());
  EXPECT_EQ(hard.error().code(), Errc::permission_denied);
  EXPECT_NE(hard.error().message().find("hard links"), std::string::npos);

  fs::create_symlink(dir_.path() / "secret", root() / "docs" / "soft.md");
  auto soft = read_file_beneath(root(), "docs/soft.md", 100);
  ASSERT_FALSE(soft.ok());
  EXPECT_EQ(soft.error().code(), Errc::permission_denied);
  EXPECT_NE(soft.error().message().find("symbolic link"), std::string::npos);

  fs::create_symlink(dir_.path(), root() / "up");
  auto folder = open_directory_beneath(root(), "up");
  ASSERT_FALSE(folder.ok());
  EXPECT_NE(folder.error().message().find("symbolic link"), std::string::npos);

  ASSERT_EQ(::mkfifo((root() / "docs" / "fifo.md").c_str(), 0600), 0);
  auto fifo = read_file_beneath(root(), "docs/fifo.md", 100);  // returns at once
  ASSERT_FALSE(fifo.ok());
  EXPECT_EQ(fifo.error().code(), Errc::permission_denied);

  auto big = read_file_beneath(root(), "docs/a.md", 3);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code(), Errc::invalid_argument);
  EXPECT_EQ(read_file_beneath(root(), "docs/none.md", 100).error().code(), Errc::not_found);
}

class SharesBeneathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ws_.emplace(test::make_workspace(dir_.path(), "beta"));
    fs::create_directories(ws_->root() / "docs");
    std::ofstream(ws_->root() / "docs" / "design.md") << "# Design";
  }
  void list(const std::string& name, const std::string& path) {
    std::ofstream(ws_->shared_file(), std::ios::app) << "\n[[doc]]\nname = \"" << name << "\"\npath = \"" << path << "\"\n";
  }
  test::TempDir dir_;
  std::optional<Workspace> ws_;
};

TEST_F(SharesBeneathTest, ADescriptionOfAnotherTypeIsRefusedNotEmptied) {
  std::ofstream(ws_->shared_file(), std::ios::app) << "\n[[doc]]\nname = \"D\"\npath = \"docs/design.md\"\ndescription = 42\n";
  auto shares = load_shares(*ws_);
  ASSERT_FALSE(shares.ok());
  EXPECT_NE(shares.error().message().find("\"description\" must be a string"), std::string::npos) << shares.error().message();
}

TEST_F(SharesBeneathTest, AHardLinkToTheSecretKeyIsNeitherSharedNorServed) {
  fs::path notes = ws_->root() / "docs" / "notes.md";
  ASSERT_EQ(::link(ws_->secret_key_file().c_str(), notes.c_str()), 0);
  auto added = add_share(*ws_, notes, "NOTES", "");
  ASSERT_FALSE(added.ok());
  EXPECT_NE(added.error().message().find("hard links"), std::string::npos);
  list("NOTES", "docs/notes.md");
  EXPECT_EQ(read_share(*ws_, "NOTES", 1 << 20).error().code(), Errc::not_found);
  EXPECT_EQ(resolve_share(*ws_, "NOTES").error().code(), Errc::not_found);
  auto files = shared_files(*ws_);
  ASSERT_TRUE(files.ok());
  EXPECT_TRUE(files->empty());
}

TEST_F(SharesBeneathTest, NothingIsReadThroughASymlinkedFolder) {
  ASSERT_TRUE(add_share(*ws_, ws_->root() / "docs" / "design.md", "DESIGN", "").ok());
  EXPECT_EQ(*read_share(*ws_, "DESIGN", 1 << 20), "# Design");
  fs::rename(ws_->root() / "docs", ws_->root() / "real-docs");
  fs::create_symlink("real-docs", ws_->root() / "docs");
  EXPECT_EQ(read_share(*ws_, "DESIGN", 1 << 20).error().code(), Errc::not_found);
  list("UP", "../outside.md");
  list("KEYS", ".bwoc/credentials/ed25519.secret");
  EXPECT_EQ(read_share(*ws_, "UP", 1 << 20).error().code(), Errc::not_found);
  EXPECT_EQ(read_share(*ws_, "KEYS", 1 << 20).error().code(), Errc::not_found);
}

TEST_F(SharesBeneathTest, TheSenderNeverWritesOutsideTheDropFolder) {
  fs::path elsewhere = dir_.path() / "elsewhere";
  fs::create_directories(elsewhere);
  fs::path new_dir = ws_->drop_dir() / "new";
  fs::rename(new_dir, dir_.path() / "new.saved");
  fs::create_symlink(elsewhere, new_dir);
  auto dropped = drop_envelope(ws_->root(), "{}");
  ASSERT_FALSE(dropped.ok());
  EXPECT_EQ(dropped.error().code(), Errc::refused);
  EXPECT_TRUE(fs::is_empty(elsewhere));
  EXPECT_TRUE(fs::is_empty(ws_->drop_dir() / "tmp"));
  fs::remove(new_dir);
  fs::rename(dir_.path() / "new.saved", new_dir);
  auto good = drop_envelope(ws_->root(), "{}");
  ASSERT_TRUE(good.ok()) << good.error().message();
  EXPECT_EQ(test::read_file(*good), "{}");
}

}  // namespace
}  // namespace bwoc
