#include "bwoc/core/drop_folder.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "bwoc/core/files.h"
#include "bwoc/core/refusal_log.h"
#include "bwoc/core/routes.h"
#include "test_util.h"

namespace bwoc {
namespace {

class DropFolderTest : public test::TwoWorkspaces {
 protected:
  IngestReport ingest() {
    auto inbound = Inbound::open(*beta_);
    auto report = ingest_drop_folder(**inbound);
    EXPECT_TRUE(report.ok());
    return *report;
  }

  std::filesystem::path new_dir() const { return beta_->drop_dir() / "new"; }
};

TEST_F(DropFolderTest, DeliversThroughTheDropFolderAndEmptiesIt) {
  auto routes = Routes::load(alpha_->routes_file(), alpha_->root());
  std::string text = envelope();
  PathTransport path;
  auto sent = path.deliver(*routes->find("beta"), SignedEnvelope{text, parse_envelope(text).value()}, std::chrono::seconds(1));
  ASSERT_TRUE(sent.ok()) << sent.error().message();
  EXPECT_TRUE(std::filesystem::is_empty(beta_->drop_dir() / "tmp"));
  EXPECT_FALSE(std::filesystem::is_empty(new_dir()));
  IngestReport r = ingest();
  EXPECT_EQ(r.accepted, 1u);
  EXPECT_TRUE(std::filesystem::is_empty(new_dir()));
  EXPECT_EQ(test::count_lines(beta_->inbox_file("agent-b")), 1u);
}

TEST_F(DropFolderTest, RefusesToSendWhenThePeersKeyIsNotThePinnedOne) {
  // alpha pins a key that beta does not have.
  auto other = SecretKey::generate();
  std::string routes = "[[peer]]\nkey = \"beta\"\npubkey = \"" + other.public_key().to_text() + "\"\npath = \"" +
                       beta_->root().string() + "\"\n";
  ASSERT_TRUE(write_file_atomic(alpha_->routes_file(), routes).ok());
  auto loaded = Routes::load(alpha_->routes_file(), alpha_->root());
  std::string text = envelope();
  PathTransport path;
  auto sent = path.deliver(*loaded->find("beta"), SignedEnvelope{text, parse_envelope(text).value()}, std::chrono::seconds(1));
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().code(), Errc::refused);
  EXPECT_NE(sent.error().message().find("pins"), std::string::npos);
  EXPECT_TRUE(std::filesystem::is_empty(new_dir()));
}

TEST_F(DropFolderTest, QuarantinesRefusedEntriesAndKeepsGoodOnes) {
  std::string tampered = envelope();
  tampered.replace(tampered.find("hello"), 5, "HELLO");
  ASSERT_TRUE(drop_envelope(beta_->root(), tampered).ok());
  ASSERT_TRUE(drop_envelope(beta_->root(), envelope()).ok());
  std::string replay = envelope();
  ASSERT_TRUE(drop_envelope(beta_->root(), replay).ok());
  ASSERT_TRUE(drop_envelope(beta_->root(), replay).ok());
  IngestReport r = ingest();
  EXPECT_EQ(r.accepted, 2u);
  EXPECT_EQ(r.refused, 1u);
  EXPECT_EQ(r.duplicates, 1u);
  EXPECT_TRUE(std::filesystem::is_empty(new_dir()));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(beta_->quarantine_dir()),
                          std::filesystem::directory_iterator()),
            1);
  EXPECT_EQ(test::count_lines(beta_->inbox_file("agent-b")), 2u);
}

TEST_F(DropFolderTest, QuarantinesUnreadWhatIsNotAPlainSmallFile) {
  // A symbolic link to a secret, a hard link, a folder, an oversize file.
  std::filesystem::create_symlink(beta_->secret_key_file(), new_dir() / "1.link.json");
  std::string good = envelope();
  ASSERT_TRUE(drop_envelope(beta_->root(), good).ok());
  std::filesystem::path hard_target = dir_.path() / "outside.json";
  { std::ofstream(hard_target) << good; }
  ASSERT_EQ(::link(hard_target.c_str(), (new_dir() / "2.hard.json").c_str()), 0);
  std::filesystem::create_directory(new_dir() / "3.dir.json");
  { std::ofstream(new_dir() / "4.big.json") << std::string(kMaxEnvelopeBytes + 1, ' '); }

  IngestReport r = ingest();
  EXPECT_EQ(r.quarantined_unread, 4u);
  EXPECT_EQ(r.accepted, 1u);
  EXPECT_TRUE(std::filesystem::is_empty(new_dir()));
  // The symlink's target was never read or moved.
  EXPECT_TRUE(std::filesystem::exists(beta_->secret_key_file()));
  auto log = read_refusal_log(beta_->refusal_log_file(), 0);
  EXPECT_EQ(log->size(), 4u);
}

TEST_F(DropFolderTest, WorksThroughAFloodInBoundedBatches) {
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(drop_envelope(beta_->root(), "junk " + std::to_string(i)).ok());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(drop_envelope(beta_->root(), envelope()).ok());
  auto inbound = Inbound::open(*beta_);
  IngestOptions options;
  options.batch = 64;
  options.quarantine_limit = 100;
  auto r = ingest_drop_folder(**inbound, options);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->accepted, 20u);
  EXPECT_EQ(r->refused, 300u);
  EXPECT_TRUE(std::filesystem::is_empty(new_dir()));
  // The quarantine stays bounded; the refusal log keeps every record.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(beta_->quarantine_dir()),
                          std::filesystem::directory_iterator()),
            100);
}

}  // namespace
}  // namespace bwoc
