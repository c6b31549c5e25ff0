#include "bwoc/core/workspace.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "bwoc/core/files.h"
#include "bwoc/core/json.h"
#include "bwoc/core/routes.h"
#include "test_util.h"

namespace bwoc {
namespace {

namespace fs = std::filesystem;

unsigned mode_of(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

// Sets the process umask for one test and puts the old one back.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : old_(::umask(mask)) {}
  ~ScopedUmask() { ::umask(old_); }
  ScopedUmask(const ScopedUmask&) = delete;
  ScopedUmask& operator=(const ScopedUmask&) = delete;

 private:
  mode_t old_;
};

// Runs the test from `dir` with $BWOC_WORKSPACE unset, and restores both.
class ScopedCurrentFolder {
 public:
  explicit ScopedCurrentFolder(const fs::path& dir) : old_(fs::current_path()) {
    if (const char* env = std::getenv("BWOC_WORKSPACE")) old_env_ = env;
    ::unsetenv("BWOC_WORKSPACE");
    fs::current_path(dir);
  }
  ~ScopedCurrentFolder() {
    fs::current_path(old_);
    if (old_env_) ::setenv("BWOC_WORKSPACE", old_env_->c_str(), 1);
  }
  ScopedCurrentFolder(const ScopedCurrentFolder&) = delete;
  ScopedCurrentFolder& operator=(const ScopedCurrentFolder&) = delete;

 private:
  fs::path old_;
  std::optional<std::string> old_env_;
};

class WorkspaceTest : public ::testing::Test {
 protected:
  Workspace init(const std::string& name = "alpha") {
    auto ws = Workspace::init(dir_.path() / name, name);
    EXPECT_TRUE(ws.ok()) << ws.error().message();
    return std::move(ws).value();
  }
  test::TempDir dir_;
};

TEST_F(WorkspaceTest, InitMakesTheDocumentedLayout) {
  Workspace ws = init();
  EXPECT_EQ(ws.name(), "alpha");
  EXPECT_EQ(ws.root(), fs::canonical(dir_.path() / "alpha"));
  EXPECT_FALSE(ws.identity().public_key.has_value());
  EXPECT_TRUE(parse_timestamp(ws.identity().created).ok()) << ws.identity().created;
  for (const fs::path& file : {ws.identity_file(), ws.routes_file(), ws.shared_file(), ws.root() / ".gitignore"}) {
    EXPECT_TRUE(fs::is_regular_file(file)) << file;
  }
  for (const fs::path& folder : {ws.credentials_dir(), ws.state_dir(), ws.drop_dir() / "tmp", ws.drop_dir() / "new",
                                 ws.quarantine_dir(), ws.agents_dir()}) {
    EXPECT_TRUE(fs::is_directory(folder)) << folder;
  }
  EXPECT_EQ(ws.identity_file(), ws.root() / ".bwoc" / "identity.toml");
  EXPECT_EQ(ws.routes_file(), ws.root() / ".bwoc" / "routes.toml");
  EXPECT_EQ(ws.shared_file(), ws.root() / ".bwoc" / "interconnect" / "shared.toml");
  EXPECT_EQ(ws.secret_key_file(), ws.root() / ".bwoc" / "credentials" / "ed25519.secret");
  EXPECT_EQ(ws.inbox_file("agent-a"), ws.root() / "agents" / "agent-a" / "memories" / "inbox.jsonl");
  EXPECT_EQ(ws.manifest_file("agent-a"), ws.root() / "agents" / "agent-a" / "config.manifest.json");
}

TEST_F(WorkspaceTest, TheRoutesTemplateDeclaresNoPeer) {
  Workspace ws = init();
  auto routes = Routes::load(ws.routes_file(), ws.root());
  ASSERT_TRUE(routes.ok()) << routes.error().message();
  EXPECT_TRUE(routes->peers().empty());
}

TEST_F(WorkspaceTest, GitignoreKeepsSecretsAndStateOut) {
  Workspace ws = init();
  std::string text = test::read_file(ws.root() / ".gitignore");
  for (std::string line : {".bwoc/credentials/", ".bwoc/state/", ".bwoc/drop/", ".bwoc/quarantine/"}) {
    EXPECT_NE(text.find("\n" + line + "\n"), std::string::npos) << line;
  }
}

TEST_F(WorkspaceTest, AnExistingGitignoreIsKeptAndCompleted) {
  fs::create_directories(dir_.path() / "alpha");
  ASSERT_TRUE(write_file_atomic(dir_.path() / "alpha" / ".gitignore", "build/").ok());
  Workspace ws = init();
  std::string text = test::read_file(ws.root() / ".gitignore");
  EXPECT_EQ(text.rfind("build/\n", 0), 0u) << text;
  EXPECT_NE(text.find(".bwoc/credentials/"), std::string::npos) << text;

  fs::create_directories(dir_.path() / "beta");
  std::string covered = "# mine\n.bwoc/credentials/\n";
  ASSERT_TRUE(write_file_atomic(dir_.path() / "beta" / ".gitignore", covered).ok());
  Workspace beta = init("beta");
  EXPECT_EQ(test::read_file(beta.root() / ".gitignore"), covered);
}

TEST_F(WorkspaceTest, InitKeepsRoutesAndSharesAlreadyThere) {
  fs::create_directories(dir_.path() / "alpha" / ".bwoc" / "interconnect");
  std::string routes = "# hand-written\n";
  std::string shared = "# shared by hand\n";
  ASSERT_TRUE(write_file_atomic(dir_.path() / "alpha" / ".bwoc" / "routes.toml", routes).ok());
  ASSERT_TRUE(write_file_atomic(dir_.path() / "alpha" / ".bwoc" / "interconnect" / "shared.toml", shared).ok());
  Workspace ws = init();
  EXPECT_EQ(test::read_file(ws.routes_file()), routes);
  EXPECT_EQ(test::read_file(ws.shared_file()), shared);
}

TEST_F(WorkspaceTest, PrivateFoldersAreOwnerOnlyWhateverTheUmask) {
  ScopedUmask permissive(0);
  Workspace ws = init();
  for (const fs::path& folder : {ws.credentials_dir(), ws.state_dir(), ws.drop_dir() / "tmp", ws.drop_dir() / "new",
                                 ws.quarantine_dir()}) {
    EXPECT_EQ(mode_of(folder), 0700u) << folder;
  }
  EXPECT_EQ(mode_of(ws.identity_file()), 0644u);
  ASSERT_TRUE(ws.keygen(false).ok());
  EXPECT_EQ(mode_of(ws.secret_key_file()), 0600u);
  EXPECT_EQ(mode_of(ws.credentials_dir()), 0700u);
}

TEST_F(WorkspaceTest, AnIdentityFieldOfAnotherTypeIsRefused) {
  auto ws = Workspace::init(dir_.path() / "w", "w");
  ASSERT_TRUE(ws.ok());
  ASSERT_TRUE(write_file_atomic(ws->identity_file(), "name = \"w\"\ncreated = 2026\n").ok());
  auto opened = Workspace::open(ws->root());
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message().find("\"created\" must be a string"), std::string::npos) << opened.error().message();
}

TEST_F(WorkspaceTest, InitRefusesABadNameAndASecondWorkspace) {
  for (const std::string& name : std::vector<std::string>{"", "Alpha", "-alpha", "al pha", "alpha/beta", std::string(65, 'a')}) {
    auto ws = Workspace::init(dir_.path() / "x", name);
    ASSERT_FALSE(ws.ok()) << name;
    EXPECT_EQ(ws.error().code(), Errc::invalid_argument);
  }
  init();
  auto again = Workspace::init(dir_.path() / "alpha", "other");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), Errc::already_exists);
  auto reopened = Workspace::open(dir_.path() / "alpha");
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(reopened->name(), "alpha");
}

TEST_F(WorkspaceTest, OpenReadsTheIdentityInitWrote) {
  Workspace ws = init();
  auto key = ws.keygen(false);
  ASSERT_TRUE(key.ok()) << key.error().message();
  auto opened = Workspace::open(dir_.path() / "alpha" / ".." / "alpha");
  ASSERT_TRUE(opened.ok()) << opened.error().message();
  EXPECT_EQ(opened->root(), ws.root());
  EXPECT_EQ(opened->name(), "alpha");
  EXPECT_EQ(opened->identity().public_key, *key);
  EXPECT_EQ(opened->identity().created, ws.identity().created);
}

TEST_F(WorkspaceTest, OpenFindsNoWorkspaceWhereThereIsNone) {
  auto ws = Workspace::open(dir_.path());
  ASSERT_FALSE(ws.ok());
  EXPECT_EQ(ws.error().code(), Errc::not_found);
  EXPECT_NE(ws.error().message().find("bwoc init"), std::string::npos) << ws.error().message();
}

TEST_F(WorkspaceTest, OpenRefusesAnIdentityWithAMistakeNamingItsLine) {
  Workspace ws = init();
  ASSERT_TRUE(write_file_atomic(ws.identity_file(), "# edited\nname = \"Alpha\"\n").ok());
  auto bad_name = Workspace::open(ws.root());
  ASSERT_FALSE(bad_name.ok());
  EXPECT_EQ(bad_name.error().message().rfind(ws.identity_file().string() + ":2: ", 0), 0u)
      << bad_name.error().message();

  ASSERT_TRUE(write_file_atomic(ws.identity_file(), "name = \"alpha\"\npublic_key = \"ed25519:AAAA\"\n").ok());
  auto bad_key = Workspace::open(ws.root());
  ASSERT_FALSE(bad_key.ok());
  EXPECT_EQ(bad_key.error().message().rfind(ws.identity_file().string() + ":2: ", 0), 0u)
      << bad_key.error().message();
}

TEST_F(WorkspaceTest, LocateTakesTheExplicitFolderThenTheEnvironmentThenTheNearestAbove) {
  Workspace alpha = init("alpha");
  Workspace beta = init("beta");
  fs::create_directories(alpha.root() / "notes" / "2026");
  ScopedCurrentFolder inside(alpha.root() / "notes" / "2026");

  auto nearest = Workspace::locate(std::nullopt);
  ASSERT_TRUE(nearest.ok()) << nearest.error().message();
  EXPECT_EQ(nearest->name(), "alpha");

  ::setenv("BWOC_WORKSPACE", beta.root().c_str(), 1);
  auto from_env = Workspace::locate(std::nullopt);
  ASSERT_TRUE(from_env.ok()) << from_env.error().message();
  EXPECT_EQ(from_env->name(), "beta");

  auto explicit_root = Workspace::locate(alpha.root());
  ASSERT_TRUE(explicit_root.ok());
  EXPECT_EQ(explicit_root->name(), "alpha");

  ::setenv("BWOC_WORKSPACE", dir_.path().c_str(), 1);
  auto bad_env = Workspace::locate(std::nullopt);
  ASSERT_FALSE(bad_env.ok());
  EXPECT_EQ(bad_env.error().message().rfind("BWOC_WORKSPACE: ", 0), 0u) << bad_env.error().message();
}

TEST_F(WorkspaceTest, LocateOutsideAnyWorkspaceSaysWhatToDo) {
  ScopedCurrentFolder outside(dir_.path());
  auto ws = Workspace::locate(std::nullopt);
  ASSERT_FALSE(ws.ok());
  EXPECT_EQ(ws.error().code(), Errc::not_found);
  EXPECT_NE(ws.error().message().find("--workspace"), std::string::npos) << ws.error().message();
}

TEST_F(WorkspaceTest, KeygenWritesTheKeyPairAndRefusesToReplaceIt) {
  Workspace ws = init();
  auto missing = ws.public_key();
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("bwoc trust --keygen"), std::string::npos);

  auto first = ws.keygen(false);
  ASSERT_TRUE(first.ok()) << first.error().message();
  EXPECT_EQ(*ws.public_key(), *first);
  auto secret = ws.load_secret_key();
  ASSERT_TRUE(secret.ok()) << secret.error().message();
  EXPECT_EQ(secret->public_key(), *first);
  EXPECT_NE(test::read_file(ws.identity_file()).find(first->to_text()), std::string::npos);

  auto again = ws.keygen(false);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), Errc::already_exists);
  EXPECT_EQ(*ws.public_key(), *first);

  auto replaced = ws.keygen(true);
  ASSERT_TRUE(replaced.ok()) << replaced.error().message();
  EXPECT_FALSE(*replaced == *first);
  EXPECT_EQ(ws.load_secret_key()->public_key(), *replaced);
}

TEST_F(WorkspaceTest, KeygenRefusesWhenOnlyTheSecretKeyFileIsLeft) {
  Workspace ws = init();
  ASSERT_TRUE(ws.keygen(false).ok());
  std::string secret = test::read_file(ws.secret_key_file());
  ASSERT_TRUE(write_file_atomic(ws.identity_file(), "name = \"alpha\"\n").ok());
  Workspace reopened = std::move(Workspace::open(ws.root())).value();
  auto again = reopened.keygen(false);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), Errc::already_exists);
  EXPECT_EQ(test::read_file(ws.secret_key_file()), secret);
}

TEST_F(WorkspaceTest, TheSecretKeyIsRefusedWhenOthersCanReadIt) {
  Workspace ws = init();
  ASSERT_TRUE(ws.keygen(false).ok());
  ASSERT_EQ(::chmod(ws.secret_key_file().c_str(), 0644), 0);
  auto key = ws.load_secret_key();
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().code(), Errc::permission_denied);
  EXPECT_NE(key.error().message().find("chmod 600"), std::string::npos) << key.error().message();
  EXPECT_EQ(key.error().message().find("seed"), std::string::npos) << "no secret in the message";
}

TEST_F(WorkspaceTest, ASecretKeyThatDoesNotMatchTheIdentityIsRefused) {
  Workspace ws = init();
  ASSERT_TRUE(ws.keygen(false).ok());
  SecretKey other = SecretKey::generate();
  ASSERT_TRUE(write_file_atomic(ws.identity_file(), "name = \"alpha\"\npublic_key = \"" +
                                                       other.public_key().to_text() + "\"\n")
                  .ok());
  Workspace reopened = std::move(Workspace::open(ws.root())).value();
  auto key = reopened.load_secret_key();
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().code(), Errc::corrupt);
}

TEST_F(WorkspaceTest, AgentsHaveAManifestAndAnInboxFolder) {
  Workspace ws = init();
  ASSERT_TRUE(ws.add_agent("agent-b", "Reviews \"incident\" reports").ok());
  ASSERT_TRUE(ws.add_agent("agent-a", "").ok());
  EXPECT_EQ(ws.agents(), (std::vector<std::string>{"agent-a", "agent-b"}));
  EXPECT_TRUE(ws.has_agent("agent-b"));
  EXPECT_FALSE(ws.has_agent("agent-c"));
  EXPECT_TRUE(fs::is_directory(ws.inbox_file("agent-b").parent_path()));

  auto manifest = json::parse(test::read_file(ws.manifest_file("agent-b")));
  ASSERT_TRUE(manifest.ok()) << manifest.error().message();
  EXPECT_EQ(manifest->find("name")->as_string(), "agent-b");
  EXPECT_EQ(manifest->find("description")->as_string(), "Reviews \"incident\" reports");
  EXPECT_EQ(*manifest->find("skills"), json::Value::array());
}

TEST_F(WorkspaceTest, AgentsListsOnlyValidNamesWithAManifest) {
  Workspace ws = init();
  ASSERT_TRUE(ws.add_agent("agent-a", "").ok());
  fs::create_directories(ws.agents_dir() / "no-manifest" / "memories");
  fs::create_directories(ws.agents_dir() / "Upper");
  ASSERT_TRUE(write_file_atomic(ws.agents_dir() / "Upper" / "config.manifest.json", "{}").ok());
  ASSERT_TRUE(write_file_atomic(ws.agents_dir() / "stray-file", "").ok());
  EXPECT_EQ(ws.agents(), std::vector<std::string>{"agent-a"});
  EXPECT_FALSE(ws.has_agent("no-manifest"));
  EXPECT_FALSE(ws.has_agent("Upper"));
  EXPECT_FALSE(ws.has_agent("../agents/agent-a"));
}

TEST_F(WorkspaceTest, AddAgentRefusesBadNamesAndDuplicates) {
  Workspace ws = init();
  for (const std::string& name : std::vector<std::string>{"", "Agent", "a/b", "..", ".hidden", std::string(65, 'a')}) {
    Status st = ws.add_agent(name, "");
    ASSERT_FALSE(st.ok()) << name;
    EXPECT_EQ(st.error().code(), Errc::invalid_argument);
  }
  ASSERT_TRUE(ws.add_agent("agent-a", "first").ok());
  Status again = ws.add_agent("agent-a", "second");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), Errc::already_exists);
  EXPECT_NE(test::read_file(ws.manifest_file("agent-a")).find("first"), std::string::npos);
  EXPECT_TRUE(ws.agents() == std::vector<std::string>{"agent-a"});
}

TEST_F(WorkspaceTest, AnAgentWithADescriptionThatIsNotUtf8IsNotMade) {
  Workspace ws = init();
  Status st = ws.add_agent("agent-a", "caf\xE9");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), Errc::invalid_argument);
  EXPECT_FALSE(fs::exists(ws.agent_dir("agent-a"))) << "a refused agent leaves nothing behind";
  EXPECT_TRUE(ws.add_agent("agent-a", "caf\xC3\xA9").ok());
}

}  // namespace
}  // namespace bwoc
