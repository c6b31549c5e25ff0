#include "jsonrpc.h"

#include <string>

#include <gtest/gtest.h>

namespace bwoc::a2a {
namespace {

constexpr std::size_t kMax = 1u << 20;

RpcRequest request(std::string_view body, std::string_view version = "") {
  auto r = read_rpc(body, version, kMax);
  if (auto* e = std::get_if<RpcError>(&r)) ADD_FAILURE() << "refused: " << e->code << " " << e->message;
  return std::holds_alternative<RpcRequest>(r) ? std::get<RpcRequest>(std::move(r)) : RpcRequest{};
}

RpcError error(std::string_view body, std::string_view version = "", std::size_t max = kMax) {
  auto r = read_rpc(body, version, max);
  if (std::holds_alternative<RpcRequest>(r)) {
    ADD_FAILURE() << "accepted: " << body.substr(0, 200);
    return RpcError{0, "", json::Value()};
  }
  return std::get<RpcError>(std::move(r));
}

TEST(JsonRpc, ReadsEveryMethodUnderItsNameInEachGeneration) {
  // One row a method: its 0.3 name (none for ListTasks), its 1.0 name.
  struct Names {
    const char* v03;
    const char* v10;
    Method method;
  };
  const Names rows[] = {
      {"message/send", "SendMessage", Method::send_message},
      {"message/stream", "SendStreamingMessage", Method::send_streaming_message},
      {"tasks/get", "GetTask", Method::get_task},
      {"tasks/cancel", "CancelTask", Method::cancel_task},
      {nullptr, "ListTasks", Method::list_tasks},
      {"tasks/resubscribe", "SubscribeToTask", Method::subscribe_to_task},
      {"agent/getAuthenticatedExtendedCard", "GetExtendedAgentCard", Method::get_extended_card},
      {"tasks/pushNotificationConfig/set", "CreateTaskPushNotificationConfig", Method::push_notification_config},
      {"tasks/pushNotificationConfig/get", "GetTaskPushNotificationConfig", Method::push_notification_config},
      {"tasks/pushNotificationConfig/list", "ListTaskPushNotificationConfigs", Method::push_notification_config},
      {"tasks/pushNotificationConfig/delete", "DeleteTaskPushNotificationConfig", Method::push_notification_config},
  };
  auto read = [](const char* name) {
    return request(std::string(R"({"jsonrpc":"2.0","id":1,"method":")") + name + R"(","params":{}})");
  };
  for (const Names& row : rows) {
    if (row.v03 != nullptr) {
      RpcRequest old_name = read(row.v03);
      EXPECT_EQ(old_name.method, row.method) << row.v03;
      EXPECT_EQ(old_name.generation, Generation::v03) << row.v03;
    }
    RpcRequest new_name = read(row.v10);
    EXPECT_EQ(new_name.method, row.method) << row.v10;
    EXPECT_EQ(new_name.generation, Generation::v10) << row.v10;
  }
}

TEST(JsonRpc, MethodNamesAreExactAndCaseSensitive) {
  for (const char* name : {"sendmessage", "SENDMESSAGE", "message/send ", " message/send", "message/Send", "Message/send",
                           "tasks/get/", "", "rpc.discover", "SendMessage2"}) {
    std::string body = std::string(R"({"jsonrpc":"2.0","id":1,"method":)") + json::write(json::Value(name)) + "}";
    EXPECT_EQ(error(body).code, rpc_code::kMethodNotFound) << name;
  }
  // A NUL inside the name does not cut it short.
  EXPECT_EQ(error(R"({"jsonrpc":"2.0","id":1,"method":"GetTask\u0000x"})").code, rpc_code::kMethodNotFound);
  EXPECT_EQ(error(R"({"jsonrpc":"2.0","id":1,"method":"GetTask\u0000"})").code, rpc_code::kMethodNotFound);
}

TEST(JsonRpc, KeepsTheIdAsSentStringNumberOrNull) {
  EXPECT_EQ(request(R"({"jsonrpc":"2.0","id":"abc","method":"GetTask"})").id, json::Value("abc"));
  EXPECT_EQ(request(R"({"jsonrpc":"2.0","id":42,"method":"GetTask"})").id, json::Value(42));
  EXPECT_EQ(request(R"({"jsonrpc":"2.0","id":-1.5e3,"method":"GetTask"})").id, json::Value(-1500));
  RpcRequest null_id = request(R"({"jsonrpc":"2.0","id":null,"method":"GetTask"})");
  EXPECT_TRUE(null_id.id.is_null());
  EXPECT_FALSE(null_id.notification);
}

TEST(JsonRpc, ARequestWithoutIdIsANotification) {
  RpcRequest r = request(R"({"jsonrpc":"2.0","method":"GetTask","params":{"id":"x"}})");
  EXPECT_TRUE(r.notification);
}

TEST(JsonRpc, AnIdThatIsNotAScalarIsRefusedWithoutEchoingIt) {
  for (const char* id : {"true", "false", "[1]", "{\"a\":1}"}) {
    RpcError e = error(std::string(R"({"jsonrpc":"2.0","id":)") + id + R"(,"method":"GetTask"})");
    EXPECT_EQ(e.code, rpc_code::kInvalidRequest) << id;
    EXPECT_TRUE(e.id.is_null()) << id;
  }
}

TEST(JsonRpc, TheFrameMustSayJsonRpc20) {
  for (const char* frame : {R"({"id":1,"method":"GetTask"})", R"({"jsonrpc":"1.0","id":1,"method":"GetTask"})",
                            R"({"jsonrpc":2.0,"id":1,"method":"GetTask"})", R"({"jsonrpc":null,"id":1,"method":"GetTask"})",
                            R"({"jsonrpc":"2.0 ","id":1,"method":"GetTask"})"}) {
    RpcError e = error(frame);
    EXPECT_EQ(e.code, rpc_code::kInvalidRequest) << frame;
    EXPECT_EQ(e.id, json::Value(1)) << "the id is known by then: " << frame;
  }
}

TEST(JsonRpc, TheMethodMustBeAString) {
  for (const char* frame : {R"({"jsonrpc":"2.0","id":1})", R"({"jsonrpc":"2.0","id":1,"method":7})",
                            R"({"jsonrpc":"2.0","id":1,"method":["GetTask"]})", R"({"jsonrpc":"2.0","id":1,"method":null})"}) {
    EXPECT_EQ(error(frame).code, rpc_code::kInvalidRequest) << frame;
  }
}

TEST(JsonRpc, ParamsMustBeAnObjectAndDefaultToAnEmptyOne) {
  RpcRequest none = request(R"({"jsonrpc":"2.0","id":1,"method":"ListTasks"})");
  EXPECT_TRUE(none.params.is_object());
  EXPECT_TRUE(none.params.members().empty());
  RpcRequest some = request(R"({"jsonrpc":"2.0","id":1,"method":"GetTask","params":{"id":"t1","historyLength":2}})");
  ASSERT_NE(some.params.find("id"), nullptr);
  EXPECT_EQ(some.params.find("id")->as_string(), "t1");
  for (const char* params : {"[]", "[1,2]", "\"x\"", "3", "null", "true"}) {
    RpcError e = error(std::string(R"({"jsonrpc":"2.0","id":9,"method":"GetTask","params":)") + params + "}");
    EXPECT_EQ(e.code, rpc_code::kInvalidParams) << params;
    EXPECT_EQ(e.id, json::Value(9));
  }
}

TEST(JsonRpc, MalformedJsonIsAParseErrorWithANullIdAndNoDetail) {
  for (const char* body : {"", " ", "{", "}", "{\"jsonrpc\":\"2.0\",", "nul", "{\"a\":1,}", "{'a':1}", "\x01",
                           "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"GetTask\"} trailing",
                           "{\"jsonrpc\":\"2.0\",\"id\":01,\"method\":\"GetTask\"}",
                           "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"Get\\uD800Task\"}"}) {
    RpcError e = error(body);
    EXPECT_EQ(e.code, rpc_code::kParseError) << body;
    EXPECT_TRUE(e.id.is_null());
    EXPECT_EQ(e.message, "Parse error") << "the detail stays in the local log";
  }
}

TEST(JsonRpc, InvalidUtf8IsAParseError) {
  std::string body = "{\"jsonrpc\":\"2.0\",\"id\":\"\xff\xfe\",\"method\":\"GetTask\"}";
  EXPECT_EQ(error(body).code, rpc_code::kParseError);
}

TEST(JsonRpc, DuplicateMembersAreNotStrictJson) {
  // Two methods, two ids: which would a proxy in front of us have read?
  EXPECT_EQ(error(R"({"jsonrpc":"2.0","id":1,"method":"GetTask","method":"SendMessage"})").code, rpc_code::kParseError);
  EXPECT_EQ(error(R"({"jsonrpc":"2.0","id":1,"id":2,"method":"GetTask"})").code, rpc_code::kParseError);
}

TEST(JsonRpc, BatchesAndNonObjectsAreInvalidRequests) {
  EXPECT_EQ(error(R"([{"jsonrpc":"2.0","id":1,"method":"GetTask"}])").code, rpc_code::kInvalidRequest);
  EXPECT_EQ(error("[]").code, rpc_code::kInvalidRequest);
  for (const char* body : {"1", "\"x\"", "null", "true"}) EXPECT_EQ(error(body).code, rpc_code::kInvalidRequest) << body;
}

TEST(JsonRpc, TheA2aVersionHeaderIsChecked) {
  const std::string body = R"({"jsonrpc":"2.0","id":1,"method":"GetTask"})";
  for (const char* v : {"", "0.3", "0.3.0", "1.0", "1.0.2", "1.0.12345"}) {
    EXPECT_TRUE(std::holds_alternative<RpcRequest>(read_rpc(body, v, kMax))) << v;
  }
  for (const char* v : {"0.2", "2.0", "1", "1.0.", "1.0.x", "1.0-rc1", "0.30", "1.0 ", " 1.0", "v1.0", "1.0.0.1", "1.1"}) {
    RpcError e = error(body, v);
    EXPECT_EQ(e.code, rpc_code::kVersionNotSupported) << v;
    EXPECT_EQ(e.id, json::Value(1));
  }
}

TEST(JsonRpc, NestingBeyondTheBoundIsRefusedWithoutRecursingForever) {
  std::string deep(100'000, '[');
  EXPECT_EQ(error(deep).code, rpc_code::kParseError);
  // The frame is level 1 and params level 2; `levels` objects inside them.
  auto nested = [](int levels) {
    std::string nest;
    for (int i = 0; i < levels; ++i) nest += "{\"a\":";
    nest += "1";
    for (int i = 0; i < levels; ++i) nest += "}";
    return R"({"jsonrpc":"2.0","id":1,"method":"SendMessage","params":{"x":)" + nest + "}}";
  };
  // 80 levels pass (an envelope's 64 and the frame's own), 81 do not.
  request(nested(78));
  EXPECT_EQ(error(nested(79)).code, rpc_code::kParseError);
}

TEST(JsonRpc, ABodyOverTheLimitIsRefusedAtTheLimitNotBefore) {
  std::string head = R"({"jsonrpc":"2.0","id":1,"method":"SendMessage","params":{"pad":")";
  std::string tail = "\"}}";
  std::size_t limit = 4096;
  std::string exact = head + std::string(limit - head.size() - tail.size(), 'x') + tail;
  ASSERT_EQ(exact.size(), limit);
  EXPECT_TRUE(std::holds_alternative<RpcRequest>(read_rpc(exact, "", limit)));
  std::string over = head + std::string(limit - head.size() - tail.size() + 1, 'x') + tail;
  EXPECT_EQ(error(over, "", limit).code, rpc_code::kParseError);
}

TEST(JsonRpc, ManyMembersAndLongStringsAreReadWhole) {
  std::string params = "{";
  for (int i = 0; i < 10'000; ++i) params += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":" + std::to_string(i);
  params += "}";
  RpcRequest r = request(R"({"jsonrpc":"2.0","id":"x","method":"SendMessage","params":)" + params + "}");
  EXPECT_EQ(r.params.members().size(), 10'000u);
}

TEST(JsonRpc, ResultsAndErrorsAreWellFormedJsonThatEchoesTheId) {
  for (const json::Value& id : {json::Value(7), json::Value("a\"b\\c\n"), json::Value()}) {
    auto ok = json::parse(rpc_result(id, R"({"x":[1,2]})"));
    ASSERT_TRUE(ok.ok());
    EXPECT_EQ(*ok->find("id"), id);
    EXPECT_EQ(ok->find("jsonrpc")->as_string(), "2.0");
    EXPECT_EQ(ok->find("result")->find("x")->items().size(), 2u);

    auto err = json::parse(rpc_error(id, rpc_code::kTaskNotFound, "Task \"x\" not found\n\x01"));
    ASSERT_TRUE(err.ok());
    EXPECT_EQ(*err->find("id"), id);
    EXPECT_EQ(err->find("error")->find("code")->as_number(), rpc_code::kTaskNotFound);
    EXPECT_EQ(err->find("error")->find("message")->as_string(), "Task \"x\" not found\n\x01");
    EXPECT_EQ(err->find("result"), nullptr);
  }
}

TEST(JsonRpc, AServerSentEventIsOneDataLineAndABlankLine) {
  std::string event = sse_event(json::Value(3), R"({"kind":"task"})");
  ASSERT_EQ(event.rfind("data: ", 0), 0u);
  ASSERT_GE(event.size(), 2u);
  EXPECT_EQ(event.substr(event.size() - 2), "\n\n");
  std::string data = event.substr(6, event.size() - 8);
  EXPECT_EQ(data.find('\n'), std::string::npos);
  auto parsed = json::parse(data);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->find("result")->find("kind")->as_string(), "task");
}

}  // namespace
}  // namespace bwoc::a2a
