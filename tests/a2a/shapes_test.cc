#include "shapes.h"

#include <string>

#include <gtest/gtest.h>

namespace bwoc::a2a {
namespace {

json::Value parse(const std::string& text) {
  auto v = json::parse(text);
  if (!v.ok()) {
    ADD_FAILURE() << "not JSON: " << text << ": " << v.error().message();
    return json::Value();
  }
  return *v;
}

TaskView sample_task() {
  TaskView t;
  t.id = "0123456789abcdef0123456789abcdef";
  t.context_id = "ctx-1";
  t.state = "completed";
  t.timestamp = "2026-11-30T12:00:00.000Z";
  t.request_id = "req-1";
  t.receipt = R"({"v":1,"kind":"receipt","sig":"abc"})";
  return t;
}

TEST(Shapes, ATaskIn03IsTaggedWithKindsAndLowercaseStates) {
  json::Value task = parse(task_json(Generation::v03, sample_task()));
  EXPECT_EQ(task.find("kind")->as_string(), "task");
  EXPECT_EQ(task.find("id")->as_string(), "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(task.find("contextId")->as_string(), "ctx-1");
  EXPECT_EQ(task.find("status")->find("state")->as_string(), "completed");
  EXPECT_EQ(task.find("status")->find("timestamp")->as_string(), "2026-11-30T12:00:00.000Z");
  EXPECT_EQ(task.find("metadata")->find("bwoc.request")->as_string(), "req-1");
  EXPECT_TRUE(task.find("history")->items().empty());
  const json::Value& part = task.find("artifacts")->items().at(0).find("parts")->items().at(0);
  EXPECT_EQ(part.find("kind")->as_string(), "data");
  EXPECT_EQ(part.find("mediaType"), nullptr);
}

TEST(Shapes, ATaskIn10HasNoKindsAndProtobufStates) {
  json::Value task = parse(task_json(Generation::v10, sample_task()));
  EXPECT_EQ(task.find("kind"), nullptr);
  EXPECT_EQ(task.find("status")->find("state")->as_string(), "TASK_STATE_COMPLETED");
  const json::Value& part = task.find("artifacts")->items().at(0).find("parts")->items().at(0);
  EXPECT_EQ(part.find("kind"), nullptr);
  EXPECT_EQ(part.find("mediaType")->as_string(), "application/json");
}

TEST(Shapes, StatesWithDashesBecomeProtobufNames) {
  TaskView t = sample_task();
  for (auto [lower, upper] : {std::pair{"working", "TASK_STATE_WORKING"}, std::pair{"input-required", "TASK_STATE_INPUT_REQUIRED"},
                              std::pair{"auth-required", "TASK_STATE_AUTH_REQUIRED"}, std::pair{"canceled", "TASK_STATE_CANCELED"},
                              std::pair{"rejected", "TASK_STATE_REJECTED"}, std::pair{"failed", "TASK_STATE_FAILED"}}) {
    t.state = lower;
    EXPECT_EQ(parse(task_json(Generation::v10, t)).find("status")->find("state")->as_string(), upper);
    EXPECT_EQ(parse(task_json(Generation::v03, t)).find("status")->find("state")->as_string(), lower);
  }
}

TEST(Shapes, TheReceiptIsTheEnvelopeItselfNotAStringOfIt) {
  for (Generation g : {Generation::v03, Generation::v10}) {
    json::Value task = parse(task_json(g, sample_task()));
    const json::Value* artifact = &task.find("artifacts")->items().at(0);
    EXPECT_EQ(artifact->find("artifactId")->as_string(), "bwoc-receipt");
    const json::Value* env = envelope_in_parts(*artifact);
    ASSERT_NE(env, nullptr);
    ASSERT_TRUE(env->is_object());
    EXPECT_EQ(env->find("kind")->as_string(), "receipt");
  }
}

TEST(Shapes, ATaskWithoutReceiptOrRequestLeavesThemOut) {
  TaskView t = sample_task();
  t.receipt.clear();
  t.request_id.clear();
  t.timestamp.clear();
  for (Generation g : {Generation::v03, Generation::v10}) {
    json::Value task = parse(task_json(g, t));
    EXPECT_TRUE(task.find("artifacts")->items().empty());
    EXPECT_EQ(task.find("metadata"), nullptr);
    EXPECT_EQ(task.find("status")->find("timestamp"), nullptr);
  }
}

TEST(Shapes, TextFromOutsideIsEscaped) {
  TaskView t = sample_task();
  t.context_id = "\"},\"injected\":{\"x\":\"\n\x01\\";
  t.request_id = "</script>\u2028";
  for (Generation g : {Generation::v03, Generation::v10}) {
    json::Value task = parse(task_json(g, t));
    EXPECT_EQ(task.find("injected"), nullptr);
    EXPECT_EQ(task.find("contextId")->as_string(), t.context_id);
    EXPECT_EQ(task.find("metadata")->find("bwoc.request")->as_string(), t.request_id);
  }
}

TEST(Shapes, NotAcceptedSaysOnlyThat) {
  json::Value m03 = parse(not_accepted_message(Generation::v03, "ctx\"x"));
  EXPECT_EQ(m03.find("kind")->as_string(), "message");
  EXPECT_EQ(m03.find("role")->as_string(), "agent");
  EXPECT_EQ(m03.find("contextId")->as_string(), "ctx\"x");
  EXPECT_EQ(m03.find("parts")->items().at(0).find("text")->as_string(), "Not accepted.");
  json::Value m10 = parse(not_accepted_message(Generation::v10, "c"));
  EXPECT_EQ(m10.find("kind"), nullptr);
  EXPECT_EQ(m10.find("role")->as_string(), "ROLE_AGENT");
  EXPECT_EQ(m10.find("parts")->items().at(0).find("text")->as_string(), "Not accepted.");
  // Each message has an id of its own.
  EXPECT_NE(m10.find("messageId")->as_string(), parse(not_accepted_message(Generation::v10, "c")).find("messageId")->as_string());
}

TEST(Shapes, SendResultsAreWrappedIn10Only) {
  std::string task = task_json(Generation::v03, sample_task());
  EXPECT_EQ(send_result(Generation::v03, task, true), task);
  EXPECT_TRUE(parse(send_result(Generation::v10, task, true)).find("task")->is_object());
  EXPECT_TRUE(parse(send_result(Generation::v10, "{}", false)).find("message")->is_object());
}

TEST(Shapes, AStreamIsWorkingThenTheReceiptThenTheFinalState) {
  TaskView t = sample_task();
  std::vector<std::string> e03 = stream_events(Generation::v03, t);
  ASSERT_EQ(e03.size(), 3u);
  json::Value first = parse(e03[0]), artifact = parse(e03[1]), done = parse(e03[2]);
  EXPECT_EQ(first.find("status")->find("state")->as_string(), "working");
  EXPECT_TRUE(first.find("artifacts")->items().empty()) << "the receipt comes in its own event";
  EXPECT_EQ(artifact.find("kind")->as_string(), "artifact-update");
  EXPECT_EQ(artifact.find("taskId")->as_string(), t.id);
  EXPECT_TRUE(artifact.find("lastChunk")->as_bool());
  EXPECT_NE(envelope_in_parts(*artifact.find("artifact")), nullptr);
  EXPECT_EQ(done.find("kind")->as_string(), "status-update");
  EXPECT_EQ(done.find("status")->find("state")->as_string(), "completed");
  EXPECT_TRUE(done.find("final")->as_bool());

  std::vector<std::string> e10 = stream_events(Generation::v10, t);
  ASSERT_EQ(e10.size(), 3u);
  EXPECT_EQ(parse(e10[0]).find("task")->find("status")->find("state")->as_string(), "TASK_STATE_WORKING");
  EXPECT_EQ(parse(e10[1]).find("artifactUpdate")->find("kind"), nullptr);
  json::Value done10 = parse(e10[2]);
  EXPECT_EQ(done10.find("statusUpdate")->find("status")->find("state")->as_string(), "TASK_STATE_COMPLETED");
  EXPECT_EQ(done10.find("statusUpdate")->find("final"), nullptr);
}

TEST(Shapes, AListCarriesItsPageAndTotal) {
  json::Value empty = parse(list_result({}, "", 50, 0));
  EXPECT_TRUE(empty.find("tasks")->items().empty());
  EXPECT_EQ(empty.find("nextPageToken")->as_string(), "");
  std::string task = task_json(Generation::v10, sample_task());
  json::Value two = parse(list_result({task, task}, "tok\"en", 2, 7));
  EXPECT_EQ(two.find("tasks")->items().size(), 2u);
  EXPECT_EQ(two.find("nextPageToken")->as_string(), "tok\"en");
  EXPECT_EQ(two.find("pageSize")->as_number(), 2);
  EXPECT_EQ(two.find("totalSize")->as_number(), 7);
}

TEST(Shapes, FindsTheEnvelopeInEitherGenerationsParts) {
  json::Value m03 = parse(R"({"parts":[{"kind":"text","text":"hi"},{"kind":"data","data":{"bwoc.envelope":{"v":1}}}]})");
  ASSERT_NE(envelope_in_parts(m03), nullptr);
  EXPECT_TRUE(envelope_in_parts(m03)->is_object());
  json::Value m10 = parse(R"({"parts":[{"data":{"other":1}},{"data":{"bwoc.envelope":"{\"v\":1}"},"mediaType":"application/json"}]})");
  ASSERT_NE(envelope_in_parts(m10), nullptr);
  EXPECT_TRUE(envelope_in_parts(m10)->is_string());
  json::Value first = parse(R"({"parts":[{"data":{"bwoc.envelope":"a"}},{"data":{"bwoc.envelope":"b"}}]})");
  EXPECT_EQ(envelope_in_parts(first)->as_string(), "a");
}

TEST(Shapes, AnythingElseHoldsNoEnvelope) {
  for (const char* holder : {"{}", "[]", "1", R"({"parts":{}})", R"({"parts":"x"})", R"({"parts":[]})", R"({"parts":[1,"x",null]})",
                             R"({"parts":[{"data":1}]})", R"({"parts":[{"data":"x"}]})", R"({"parts":[{"data":[]}]})",
                             R"({"parts":[{"data":{"bwoc.envelope":1}}]})", R"({"parts":[{"data":{"bwoc.envelope":null}}]})",
                             R"({"parts":[{"data":{"bwoc.envelope":[{}]}}]})", R"({"parts":[{"text":"{\"bwoc.envelope\":{}}"}]})",
                             R"({"parts":[{"data":{"BWOC.ENVELOPE":{}}}]})"}) {
    EXPECT_EQ(envelope_in_parts(parse(holder)), nullptr) << holder;
  }
}

}  // namespace
}  // namespace bwoc::a2a
