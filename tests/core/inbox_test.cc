#include "bwoc/core/inbox.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "bwoc/core/envelope.h"
#include "bwoc/core/files.h"
#include "bwoc/core/json.h"
#include "test_util.h"

namespace bwoc {
namespace {

namespace fs = std::filesystem;

constexpr UnixMillis kReceived = 1'795'852'800'123;  // 2026-11-28T08:00:00.123Z

// Appends `text` to `file` as it stands: whole lines, or a torn tail.
void append_raw(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary | std::ios::app);
  out << text;
  ASSERT_TRUE(out.good()) << file;
}

TEST(InboxLine, WrapsTheEnvelopeWithWhenAndHow) {
  std::string line = format_inbox_line("{\"v\":1}", kReceived, Via::mqtt);
  EXPECT_EQ(line, "{\"received\":\"2026-11-28T08:00:00.123Z\",\"via\":\"mqtt\",\"envelope\":{\"v\":1}}\n");
  auto doc = json::parse(std::string_view(line).substr(0, line.size() - 1));
  ASSERT_TRUE(doc.ok()) << doc.error().message();
  EXPECT_EQ(doc->find("via")->as_string(), "mqtt");
}

TEST(InboxLine, LineBreaksBetweenTokensBecomeSpacesAndNothingElseChanges) {
  std::string pretty = "{\r\n  \"v\": 1,\n  \"text\": \"a\\nb\"\n}";
  std::string line = format_inbox_line(pretty, kReceived, Via::path);
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1);
  EXPECT_EQ(line.back(), '\n');
  auto parsed = parse_inbox_line(std::string_view(line).substr(0, line.size() - 1));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  EXPECT_EQ(parsed->envelope, "{    \"v\": 1,   \"text\": \"a\\nb\" }");
}

TEST(InboxLine, ParsesWhatFormatWroteForEveryTransport) {
  for (Via via : {Via::path, Via::a2a, Via::mqtt}) {
    std::string line = format_inbox_line("{\"id\":\"x\"}", kReceived, via);
    line.pop_back();
    auto parsed = parse_inbox_line(line);
    ASSERT_TRUE(parsed.ok()) << line;
    EXPECT_EQ(parsed->received, "2026-11-28T08:00:00.123Z");
    EXPECT_EQ(parsed->via, via);
    EXPECT_EQ(parsed->envelope, "{\"id\":\"x\"}");
  }
}

TEST(InboxLine, RefusesLinesBwocDidNotWrite) {
  std::string good = format_inbox_line("{\"id\":\"x\"}", kReceived, Via::path);
  good.pop_back();
  std::vector<std::string> bad = {
      "",
      "{}",
      "{\"id\":\"x\"}",
      good.substr(0, 30),                                                       // cut inside the timestamp
      "{\"received\":\"2026-11-28T08:00:00.123Z\",\"via\":\"smtp\",\"envelope\":{}}",  // unknown transport
      "{\"received\":\"2026-11-28T08:00:00Z\",\"via\":\"path\",\"envelope\":{}}",      // short timestamp
      "{\"received\":\"2026-11-28T08:00:00.123Z\",\"via\":\"path\",\"envelope\":}",    // no envelope
      "{\"via\":\"path\",\"received\":\"2026-11-28T08:00:00.123Z\",\"envelope\":{}}",  // another order
  };
  for (const std::string& line : bad) {
    auto parsed = parse_inbox_line(line);
    ASSERT_FALSE(parsed.ok()) << line;
    EXPECT_EQ(parsed.error().code(), Errc::corrupt);
  }
}

// A scan of one inbox file in a temporary folder, keeping what it visited.
class InboxScanTest : public ::testing::Test {
 protected:
  fs::path file() const { return dir_.path() / "inbox.jsonl"; }
  // Appends an inbox line for `envelope`; returns the line.
  std::string append_line_for(const std::string& envelope, Via via = Via::path) {
    std::string line = format_inbox_line(envelope, kReceived, via);
    append_raw(file(), line);
    return line;
  }
  InboxScan scan(std::uint64_t from = 0) {
    envelopes_.clear();
    offsets_.clear();
    numbers_.clear();
    vias_.clear();
    auto result = scan_inbox(file(), from, [&](const InboxLine& line) {
      envelopes_.emplace_back(line.envelope);
      offsets_.push_back(line.offset);
      numbers_.push_back(line.number);
      vias_.push_back(line.via);
    });
    EXPECT_TRUE(result.ok()) << result.error().message();
    return result.ok() ? *result : InboxScan{};
  }

  test::TempDir dir_;
  std::vector<std::string> envelopes_;
  std::vector<std::uint64_t> offsets_, numbers_;
  std::vector<Via> vias_;
};

using Envelopes = std::vector<std::string>;
using Offsets = std::vector<std::uint64_t>;

TEST_F(InboxScanTest, AMissingFileIsAnEmptyInbox) {
  InboxScan s = scan();
  EXPECT_EQ(s.lines, 0u);
  EXPECT_EQ(s.end_offset, 0u);
  EXPECT_EQ(s.torn_tail_bytes, 0u);
  EXPECT_TRUE(envelopes_.empty());
}

TEST_F(InboxScanTest, VisitsEveryLineWithItsOffsetAndNumber) {
  Offsets starts;
  std::uint64_t size = 0;
  for (int i = 0; i < 3; ++i) {
    starts.push_back(size);
    size += append_line_for("{\"n\":" + std::to_string(i) + "}", Via::a2a).size();
  }
  InboxScan s = scan();
  EXPECT_EQ(s.lines, 3u);
  EXPECT_EQ(s.unreadable, 0u);
  EXPECT_EQ(s.complete_lines, 3u);
  EXPECT_EQ(s.end_offset, size);
  EXPECT_EQ(s.torn_tail_bytes, 0u);
  EXPECT_EQ(envelopes_, (Envelopes{"{\"n\":0}", "{\"n\":1}", "{\"n\":2}"}));
  EXPECT_EQ(offsets_, starts);
  EXPECT_EQ(numbers_, (Offsets{1, 2, 3}));
  EXPECT_EQ(vias_, (std::vector<Via>{Via::a2a, Via::a2a, Via::a2a}));
}

TEST_F(InboxScanTest, ATornTailIsReportedNotVisited) {
  std::string first = append_line_for("{\"n\":1}");
  std::string torn = format_inbox_line("{\"n\":2}", kReceived, Via::path);
  torn.resize(torn.size() - 5);  // a crash in the middle of the write
  append_raw(file(), torn);
  InboxScan s = scan();
  EXPECT_EQ(s.lines, 1u);
  EXPECT_EQ(s.end_offset, first.size());
  EXPECT_EQ(s.torn_tail_bytes, torn.size());
  EXPECT_EQ(envelopes_, Envelopes{"{\"n\":1}"});
  EXPECT_EQ(test::read_file(file()), first + torn) << "a reader never modifies the file";
}

TEST_F(InboxScanTest, ATailWithoutItsNewlineIsTornEvenWhenItLooksWhole) {
  std::string line = format_inbox_line("{\"n\":1}", kReceived, Via::path);
  line.pop_back();
  append_raw(file(), line);
  InboxScan s = scan();
  EXPECT_EQ(s.lines, 0u);
  EXPECT_EQ(s.end_offset, 0u);
  EXPECT_EQ(s.torn_tail_bytes, line.size());
  EXPECT_TRUE(envelopes_.empty());
}

TEST_F(InboxScanTest, ContinuesFromWhereAnEarlierScanEnded) {
  std::string first = append_line_for("{\"n\":1}");
  InboxScan before = scan();
  std::string second = append_line_for("{\"n\":2}", Via::mqtt);
  InboxScan after = scan(before.end_offset);
  EXPECT_EQ(after.lines, 1u);
  EXPECT_EQ(envelopes_, Envelopes{"{\"n\":2}"});
  EXPECT_EQ(offsets_, Offsets{first.size()});
  EXPECT_EQ(numbers_, Offsets{1}) << "numbers count from where the scan starts";
  EXPECT_EQ(after.end_offset, first.size() + second.size());

  InboxScan at_the_end = scan(after.end_offset);
  EXPECT_EQ(at_the_end.lines, 0u);
  EXPECT_EQ(at_the_end.end_offset, after.end_offset);
}

TEST_F(InboxScanTest, CountsAndNumbersLinesThatAreNotInboxLinesAndGoesOn) {
  append_raw(file(), "not json at all\n");
  append_line_for("{\"n\":1}");
  append_raw(file(), "\n{\"received\":\"yesterday\"}\n");
  append_line_for("{\"n\":2}");
  append_raw(file(), "{\"rec");
  InboxScan s = scan();
  EXPECT_EQ(s.lines, 2u);
  EXPECT_EQ(s.unreadable, 2u);
  EXPECT_EQ(s.complete_lines, 5u);
  EXPECT_EQ(s.torn_tail_bytes, 5u);
  EXPECT_EQ(envelopes_, (Envelopes{"{\"n\":1}", "{\"n\":2}"}));
  EXPECT_EQ(numbers_, (Offsets{2, 5}));
}

// Lines are read in 1 MiB chunks: lines that straddle a chunk's end must
// come out whole, with their offsets.
TEST_F(InboxScanTest, LinesAcrossReadChunksComeOutWhole) {
  Envelopes envelopes;
  Offsets starts;
  std::uint64_t size = 0;
  for (int i = 0; i < 9; ++i) {
    envelopes.push_back("{\"n\":" + std::to_string(i) + ",\"pad\":\"" + std::string(300'000 + 7 * i, 'x') + "\"}");
    starts.push_back(size);
    size += append_line_for(envelopes.back()).size();
  }
  InboxScan s = scan();
  EXPECT_EQ(s.lines, 9u);
  EXPECT_EQ(s.end_offset, size);
  EXPECT_EQ(envelopes_, envelopes);
  EXPECT_EQ(offsets_, starts);
}

TEST_F(InboxScanTest, ALineLongerThanAnyEnvelopeIsSkippedWithoutBeingHeld) {
  std::string huge = "{\"received\":\"" + std::string(kMaxInboxLineBytes + 4096, 'x') + "\n";
  append_raw(file(), huge);
  std::string after = append_line_for("{\"n\":1}");
  InboxScan s = scan();
  EXPECT_EQ(s.lines, 1u);
  EXPECT_EQ(s.unreadable, 1u);
  EXPECT_EQ(envelopes_, Envelopes{"{\"n\":1}"});
  EXPECT_EQ(offsets_, Offsets{huge.size()});
  EXPECT_EQ(numbers_, Offsets{2});
  EXPECT_EQ(s.end_offset, huge.size() + after.size());
}

TEST_F(InboxScanTest, AnUnterminatedOverlongTailIsTorn) {
  std::string first = append_line_for("{\"n\":1}");
  std::string huge(kMaxInboxLineBytes + 4096, 'x');
  append_raw(file(), huge);
  InboxScan s = scan();
  EXPECT_EQ(s.lines, 1u);
  EXPECT_EQ(s.complete_lines, 1u);
  EXPECT_EQ(s.end_offset, first.size());
  EXPECT_EQ(s.torn_tail_bytes, huge.size());
}

// alpha/agent-a sends to beta/agent-b; the lines are written to beta's inbox
// the way the receiver writes them.
class InboxOfAgent : public test::TwoWorkspaces {
 protected:
  fs::path inbox() const { return beta_->inbox_file("agent-b"); }
  Routes routes() const { return std::move(Routes::load(beta_->routes_file(), beta_->root())).value(); }

  // Appends an envelope to agent-b's inbox; returns its id.
  std::string deliver(const std::function<void(EnvelopeDraft&)>& edit = {}, Via via = Via::path) {
    std::string text = envelope(edit);
    append_raw(inbox(), format_inbox_line(text, kReceived, via));
    return parse_envelope(text).value().id;
  }
  std::string deliver_signed_by(const SecretKey& key, const std::function<void(EnvelopeDraft&)>& edit = {}) {
    EnvelopeDraft d = test::draft_to(*beta_->public_key());
    if (edit) edit(d);
    std::string text = *sign_envelope(d, key);
    append_raw(inbox(), format_inbox_line(text, kReceived, Via::path));
    return parse_envelope(text).value().id;
  }
};

TEST_F(InboxOfAgent, ListsEveryFieldOfEachEnvelope) {
  std::string id = deliver(
      [](EnvelopeDraft& d) {
        d.kind = "feedback";
        d.payload = json::Value::object({{"score", 4}});
        d.re = "00112233445566778899aabbccddeeff";
      },
      Via::mqtt);
  auto listing = list_inbox(*beta_, routes(), "agent-b", 0);
  ASSERT_TRUE(listing.ok()) << listing.error().message();
  EXPECT_EQ(listing->total, 1u);
  EXPECT_EQ(listing->unreadable, 0u);
  EXPECT_FALSE(listing->torn_tail);
  ASSERT_EQ(listing->entries.size(), 1u);
  const InboxEntry& e = listing->entries[0];
  EXPECT_EQ(e.line, 1u);
  EXPECT_EQ(e.received, "2026-11-28T08:00:00.123Z");
  EXPECT_EQ(e.via, Via::mqtt);
  EXPECT_EQ(e.id, id);
  EXPECT_EQ(e.kind, "feedback");
  EXPECT_EQ(e.from, "agent-a");
  EXPECT_EQ(e.to, "agent-b");
  EXPECT_EQ(e.re, "00112233445566778899aabbccddeeff");
  EXPECT_TRUE(parse_timestamp(e.ts).ok()) << e.ts;
  EXPECT_EQ(e.sender_key, alpha_->public_key()->to_text());
  EXPECT_EQ(e.peer, "alpha");
  EXPECT_EQ(e.payload, json::Value::object({{"score", 4}}));
}

TEST_F(InboxOfAgent, ListsTheNewestEntriesOldestFirst) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(deliver());
  auto listing = list_inbox(*beta_, routes(), "agent-b", 2);
  ASSERT_TRUE(listing.ok()) << listing.error().message();
  EXPECT_EQ(listing->total, 5u);
  ASSERT_EQ(listing->entries.size(), 2u);
  EXPECT_EQ(listing->entries[0].id, ids[3]);
  EXPECT_EQ(listing->entries[0].line, 4u);
  EXPECT_EQ(listing->entries[1].id, ids[4]);
  EXPECT_EQ(listing->entries[1].line, 5u);
  auto all = list_inbox(*beta_, routes(), "agent-b", 0);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->entries.size(), 5u);
}

TEST_F(InboxOfAgent, NamesTheSenderSelfOrNobody) {
  deliver_signed_by(std::move(beta_->load_secret_key()).value());
  SecretKey stranger = SecretKey::generate();
  deliver_signed_by(stranger);
  auto listing = list_inbox(*beta_, routes(), "agent-b", 0);
  ASSERT_TRUE(listing.ok()) << listing.error().message();
  ASSERT_EQ(listing->entries.size(), 2u);
  EXPECT_EQ(listing->entries[0].peer, "self");
  EXPECT_EQ(listing->entries[1].peer, "");
  EXPECT_EQ(listing->entries[1].sender_key, stranger.public_key().to_text());
}

TEST_F(InboxOfAgent, ListingCountsWhatItCannotReadAndATornTail) {
  deliver();
  append_raw(inbox(), format_inbox_line("{\"not\":\"an envelope\"}", kReceived, Via::path));
  append_raw(inbox(), "garbage\n");
  deliver();
  append_raw(inbox(), "{\"received\":\"2026");
  auto listing = list_inbox(*beta_, routes(), "agent-b", 0);
  ASSERT_TRUE(listing.ok()) << listing.error().message();
  EXPECT_EQ(listing->entries.size(), 2u);
  EXPECT_EQ(listing->unreadable, 2u);
  EXPECT_TRUE(listing->torn_tail);
  EXPECT_EQ(listing->entries[1].line, 4u) << "line numbers count every line of the file";
}

TEST_F(InboxOfAgent, AnAgentWithoutInboxFileHasAnEmptyOne) {
  auto listing = list_inbox(*beta_, routes(), "agent-a", 0);
  ASSERT_TRUE(listing.ok()) << listing.error().message();
  EXPECT_EQ(listing->total, 0u);
  EXPECT_TRUE(listing->entries.empty());
  auto verified = verify_inbox(*beta_, routes(), "agent-a");
  ASSERT_TRUE(verified.ok()) << verified.error().message();
  EXPECT_EQ(verified->lines, 0u);
}

TEST_F(InboxOfAgent, AnUnknownAgentIsNotFound) {
  for (std::string agent : {"agent-z", "../agent-b", ""}) {
    auto listing = list_inbox(*beta_, routes(), agent, 0);
    ASSERT_FALSE(listing.ok()) << agent;
    EXPECT_EQ(listing.error().code(), Errc::not_found);
    auto verified = verify_inbox(*beta_, routes(), agent);
    ASSERT_FALSE(verified.ok()) << agent;
    EXPECT_EQ(verified.error().code(), Errc::not_found);
  }
}

TEST_F(InboxOfAgent, VerifiesEveryLineAgain) {
  for (int i = 0; i < 3; ++i) deliver();
  auto v = verify_inbox(*beta_, routes(), "agent-b");
  ASSERT_TRUE(v.ok()) << v.error().message();
  EXPECT_EQ(v->lines, 3u);
  EXPECT_EQ(v->verified, 3u);
  EXPECT_EQ(v->unpinned, 0u);
  EXPECT_TRUE(v->problems.empty());
}

TEST_F(InboxOfAgent, ASenderNoLongerPinnedIsInformationNotAProblem) {
  deliver();
  ASSERT_TRUE(write_file_atomic(beta_->routes_file(), "").ok());
  auto v = verify_inbox(*beta_, routes(), "agent-b");
  ASSERT_TRUE(v.ok()) << v.error().message();
  EXPECT_EQ(v->verified, 1u);
  EXPECT_EQ(v->unpinned, 1u);
  EXPECT_TRUE(v->problems.empty());
}

TEST_F(InboxOfAgent, ReportsEachProblemWithItsLine) {
  deliver();
  // A payload changed after signing.
  std::string tampered = envelope([](EnvelopeDraft& d) { d.payload = json::Value::object({{"score", 4}}); });
  tampered.replace(tampered.find("\"score\":4"), 9, "\"score\":5");
  append_raw(inbox(), format_inbox_line(tampered, kReceived, Via::path));
  // Signed properly, but for another agent, and for another workspace.
  std::string other_agent = deliver([](EnvelopeDraft& d) { d.to = "agent-a"; });
  std::string other_workspace = deliver([](EnvelopeDraft& d) { d.aud = SecretKey::generate().public_key(); });
  append_raw(inbox(), format_inbox_line("{\"v\":3}", kReceived, Via::path));
  append_raw(inbox(), "{\"received\":\"2026-11-28T");

  auto v = verify_inbox(*beta_, routes(), "agent-b");
  ASSERT_TRUE(v.ok()) << v.error().message();
  EXPECT_EQ(v->lines, 5u);
  EXPECT_EQ(v->verified, 1u);
  ASSERT_EQ(v->problems.size(), 5u);
  EXPECT_EQ(v->problems[0].line, 2u);
  EXPECT_EQ(v->problems[0].problem, "signature does not verify");
  EXPECT_EQ(v->problems[1].line, 3u);
  EXPECT_EQ(v->problems[1].id, other_agent);
  EXPECT_EQ(v->problems[1].problem, "addressed to agent \"agent-a\"");
  EXPECT_EQ(v->problems[2].line, 4u);
  EXPECT_EQ(v->problems[2].id, other_workspace);
  EXPECT_EQ(v->problems[2].problem, "addressed to another workspace");
  EXPECT_EQ(v->problems[3].line, 5u);
  EXPECT_EQ(v->problems[3].problem.rfind("unsupported_version: ", 0), 0u) << v->problems[3].problem;
  EXPECT_EQ(v->problems[4].line, 6u);
  EXPECT_EQ(v->problems[4].problem.rfind("torn last line (24 bytes)", 0), 0u) << v->problems[4].problem;
}

TEST_F(InboxOfAgent, ProblemLinesCountLinesThatAreNotInboxLines) {
  append_raw(inbox(), "garbage\n");
  std::string tampered = envelope([](EnvelopeDraft& d) { d.payload = json::Value::object({{"score", 4}}); });
  tampered.replace(tampered.find("\"score\":4"), 9, "\"score\":5");
  append_raw(inbox(), format_inbox_line(tampered, kReceived, Via::path));
  append_raw(inbox(), "\n");
  append_raw(inbox(), "{\"received\":");
  auto v = verify_inbox(*beta_, routes(), "agent-b");
  ASSERT_TRUE(v.ok()) << v.error().message();
  EXPECT_EQ(v->lines, 2u);
  ASSERT_EQ(v->problems.size(), 3u);
  // In file order, each with its line's number.
  EXPECT_EQ(v->problems[0].line, 1u);
  EXPECT_EQ(v->problems[0].problem, "a line that is not an inbox line");
  EXPECT_EQ(v->problems[1].line, 2u);
  EXPECT_EQ(v->problems[1].problem, "signature does not verify");
  EXPECT_EQ(v->problems[2].line, 4u);
  EXPECT_EQ(v->problems[2].problem.rfind("torn last line (12 bytes)", 0), 0u) << v->problems[2].problem;
}

TEST_F(InboxOfAgent, VerifyingNeedsTheWorkspaceKey) {
  test::TempDir dir;
  auto keyless = Workspace::init(dir.path() / "keyless", "keyless");
  ASSERT_TRUE(keyless.ok());
  ASSERT_TRUE(keyless->add_agent("agent-b", "").ok());
  auto v = verify_inbox(*keyless, Routes(), "agent-b");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code(), Errc::not_found);
}

class InboxTest : public test::TwoWorkspaces {
 protected:
  void write_inbox(const std::vector<std::string>& lines) {
    ASSERT_TRUE(ensure_directory(beta_->inbox_file("agent-b").parent_path()).ok());
    std::ofstream out(beta_->inbox_file("agent-b"), std::ios::binary);
    for (const std::string& l : lines) out << l;
  }
  InboxVerification verify() {
    auto routes = Routes::load(beta_->routes_file(), beta_->root());
    auto v = verify_inbox(*beta_, *routes, "agent-b");
    EXPECT_TRUE(v.ok());
    return std::move(v).value();
  }
};

TEST_F(InboxTest, VerifyReportsTheSameSenderAndIdTwice) {
  std::string first = envelope();
  std::string other = envelope();
  write_inbox({format_inbox_line(first, now_millis(), Via::path), format_inbox_line(other, now_millis(), Via::a2a),
               format_inbox_line(first, now_millis(), Via::mqtt)});
  InboxVerification v = verify();
  EXPECT_EQ(v.lines, 3u);
  EXPECT_EQ(v.verified, 3u);  // each line is sound on its own
  ASSERT_EQ(v.problems.size(), 1u);
  EXPECT_EQ(v.problems[0].line, 3u);
  EXPECT_EQ(v.problems[0].id, parse_envelope(first).value().id);
  EXPECT_NE(v.problems[0].problem.find("duplicate"), std::string::npos) << v.problems[0].problem;
  EXPECT_NE(v.problems[0].problem.find("line 1"), std::string::npos) << v.problems[0].problem;
}

TEST_F(InboxTest, VerifyNumbersEveryLineItCannotRead) {
  write_inbox({format_inbox_line(envelope(), now_millis(), Via::path), "not an inbox line\n",
               format_inbox_line(envelope(), now_millis(), Via::path), "{\"torn"});
  InboxVerification v = verify();
  EXPECT_EQ(v.lines, 3u);
  EXPECT_EQ(v.verified, 2u);
  ASSERT_EQ(v.problems.size(), 2u);
  EXPECT_EQ(v.problems[0].line, 2u);
  EXPECT_NE(v.problems[1].problem.find("torn last line"), std::string::npos);
}

}  // namespace
}  // namespace bwoc
