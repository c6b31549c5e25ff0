// The activity timeline, read from the ends of the node's files: newest
// first across agents, whole lines only (never a torn last one, and a line
// longer than a read chunk whole), refusals counted by reason back to a time.
#include "bwoc/node/activity.h"

#include <gtest/gtest.h>

#include "../core/test_util.h"
#include "bwoc/core/files.h"
#include "bwoc/core/inbox.h"
#include "bwoc/core/refusal_log.h"

namespace bwoc::node {
namespace {

class ActivityTest : public test::TwoWorkspaces {
 protected:
  // Appends an envelope from alpha to beta's `agent`, received at `at`; returns its id.
  std::string deliver(const std::string& agent, UnixMillis at, std::string text = "hello") {
    std::string env = envelope([&](EnvelopeDraft& d) {
      d.to = agent;
      d.payload = json::Value::object({{"text", std::move(text)}});
    });
    std::string line = format_inbox_line(env, at, Via::a2a);
    auto file = beta_->inbox_file(agent);
    std::string before = std::filesystem::exists(file) ? test::read_file(file) : "";
    EXPECT_TRUE(write_file_atomic(file, before + line).ok());
    return parse_envelope(env).value().id;
  }
  Routes routes() { return Routes::load(beta_->routes_file(), beta_->root()).value(); }
};

TEST_F(ActivityTest, InboundIsNewestFirstAcrossAgents) {
  std::string a1 = deliver("agent-a", 1'000);
  std::string b1 = deliver("agent-b", 2'000);
  std::string a2 = deliver("agent-a", 3'000);
  std::string b2 = deliver("agent-b", 4'000);
  auto events = recent_inbound(*beta_, routes(), 3);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 3u);
  EXPECT_EQ((*events)[0].id, b2);
  EXPECT_EQ((*events)[1].id, a2);
  EXPECT_EQ((*events)[2].id, b1);
  const EnvelopeEvent& e = (*events)[0];
  EXPECT_EQ(e.direction, EnvelopeEvent::Direction::in);
  EXPECT_EQ(e.at, 4'000);
  EXPECT_EQ(e.via, Via::a2a);
  EXPECT_EQ(e.peer, "alpha");
  EXPECT_EQ(e.agent, "agent-b");
  EXPECT_EQ(e.remote_agent, "agent-a");
  EXPECT_EQ(e.kind, "message");
  EXPECT_EQ(e.receipt, "accepted");
  (void)a1;
}

TEST_F(ActivityTest, ATornLastLineIsNotALineAndALongLineIsReadWhole) {
  std::string big = deliver("agent-b", 1'000, std::string(300'000, 'x'));  // several read chunks long
  std::string small = deliver("agent-b", 2'000);
  auto file = beta_->inbox_file("agent-b");
  ASSERT_TRUE(write_file_atomic(file, test::read_file(file) + "{\"received\":\"2026-").ok());
  auto events = recent_inbound(*beta_, routes(), 10);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].id, small);
  EXPECT_EQ((*events)[1].id, big);
}

TEST_F(ActivityTest, AnInboxWithoutLinesHasNoActivity) {
  ASSERT_TRUE(write_file_atomic(beta_->inbox_file("agent-a"), "no newline at all").ok());
  auto events = recent_activity(*beta_, routes(), 10);
  ASSERT_TRUE(events.ok());
  EXPECT_TRUE(events->empty());
}

TEST_F(ActivityTest, RefusalsAreCountedByReasonBackToATimeThroughTheRotatedFile) {
  auto write = [&](const std::filesystem::path& file, std::vector<std::pair<UnixMillis, std::string>> records) {
    RefusalLog log(file);
    for (auto& [at, reason] : records) {
      RefusalRecord r;
      r.at = at;
      r.reason = reason;
      r.detail = "test";
      log.append(r);
    }
  };
  auto current = beta_->refusal_log_file();
  auto rotated = current;
  rotated += ".1";
  write(rotated, {{1'000, "stale"}, {5'000, "replayed"}, {6'000, "bad_signature"}});
  write(current, {{7'000, "bad_signature"}, {8'000, "unknown_sender"}, {9'000, "bad_signature"}});
  auto counts = count_refusals(*beta_, 5'000);
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->total, 5u);
  EXPECT_FALSE(counts->partial);
  ASSERT_EQ(counts->by_reason.size(), 3u);
  EXPECT_EQ(counts->by_reason[0], (std::pair<std::string, std::size_t>("bad_signature", 3)));
  EXPECT_EQ(counts->by_reason[1].second, 1u);
  auto since_later = count_refusals(*beta_, 8'500);
  EXPECT_EQ(since_later->total, 1u);
  auto events = recent_refusals(*beta_, 2);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].at, 9'000);
  EXPECT_EQ((*events)[0].receipt, "bad_signature");
  EXPECT_EQ((*events)[1].receipt, "unknown_sender");
}

TEST_F(ActivityTest, ActivityMergesInAndRefusedNewestFirst) {
  std::string in = deliver("agent-a", 2'000);
  RefusalRecord r;
  r.at = 3'000;
  r.reason = "replayed";
  r.id = "abc";
  RefusalLog(beta_->refusal_log_file()).append(r);
  auto events = recent_activity(*beta_, routes(), 10);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].direction, EnvelopeEvent::Direction::refused);
  EXPECT_EQ((*events)[1].id, in);
  EXPECT_EQ(json::write(event_json((*events)[0])),
            R"({"direction":"refused","at":"1970-01-01T00:00:03.000Z","via":"path","peer":"","agent":"","remote_agent":"","kind":"","id":"abc","receipt":"replayed"})");
}

}  // namespace
}  // namespace bwoc::node
