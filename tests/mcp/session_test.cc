// The MCP server's protocol side, fed line by line: the states before and
// after initialize, errors for anything malformed, notifications never
// answered, and a line too long to hold skipped without holding it.
#include "session.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <thread>

#include "line_reader.h"
#include "tool_names.h"

namespace bwoc::mcp {
namespace {

// A session whose output is a pipe the test reads.
class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::pipe(fds_), 0);
    auto writer = std::make_shared<LineWriter>(fds_[1]);
    ToolList list = [] { return json::Value::object({{"tools", json::Value::array()}}); };
    ToolCall call = [](const std::string& name, const json::Value&) {
      return json::Value::object({{"content", json::Value::array()}, {"called", name}});
    };
    session_ = std::make_shared<Session>(writer, list, call, options_);
  }
  void TearDown() override {
    session_->drain(std::chrono::seconds(5));
    ::close(fds_[0]);
    ::close(fds_[1]);
  }

  // The next line the session wrote, parsed; null after 5 s without one.
  json::Value next() {
    std::string line;
    while (true) {
      pollfd p{fds_[0], POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0) return json::Value();
      char c;
      if (::read(fds_[0], &c, 1) != 1) return json::Value();
      if (c == '\n') break;
      line += c;
    }
    auto v = json::parse(line);
    EXPECT_TRUE(v.ok()) << line;
    return v.ok() ? std::move(v).value() : json::Value();
  }
  int error_code(const json::Value& answer) {
    const json::Value* e = answer.find("error");
    return e ? static_cast<int>(e->find("code")->as_number()) : 0;
  }
  void initialize() {
    session_->handle_line(R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18"}})");
    json::Value answer = next();
    ASSERT_EQ(answer.find("result")->find("protocolVersion")->as_string(), "2025-06-18");
    session_->handle_line(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  }

  int fds_[2] = {-1, -1};
  ServeOptions options_;
  std::shared_ptr<Session> session_;
};

TEST_F(SessionTest, RefusesRequestsBeforeInitializeButAnswersPing) {
  session_->handle_line(R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})");
  EXPECT_EQ(error_code(next()), rpc::kNotInitialized);
  session_->handle_line(R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"self__x"}})");
  EXPECT_EQ(error_code(next()), rpc::kNotInitialized);
  session_->handle_line(R"({"jsonrpc":"2.0","id":"p","method":"ping"})");
  json::Value pong = next();
  EXPECT_EQ(pong.find("id")->as_string(), "p");
  EXPECT_TRUE(pong.find("result")->is_object());
}

TEST_F(SessionTest, NegotiatesTheNewestVersionItKnows) {
  session_->handle_line(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"1999-01-01"}})");
  json::Value answer = next();
  EXPECT_EQ(answer.find("result")->find("protocolVersion")->as_string(), std::string(kProtocolVersions[0]));
  EXPECT_TRUE(answer.find("result")->find("capabilities")->find("tools")->find("listChanged")->as_bool());
  session_->handle_line(R"({"jsonrpc":"2.0","id":2,"method":"initialize","params":{}})");
  EXPECT_EQ(error_code(next()), rpc::kInvalidRequest);
}

TEST_F(SessionTest, AnswersEveryMalformedMessageWithAnError) {
  initialize();
  session_->handle_line("this is not JSON");
  EXPECT_EQ(error_code(next()), rpc::kParseError);
  session_->handle_line(std::string(200, '[') + std::string(200, ']'));
  EXPECT_EQ(error_code(next()), rpc::kParseError);
  session_->handle_line(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])");
  EXPECT_EQ(error_code(next()), rpc::kInvalidRequest);
  session_->handle_line(R"({"jsonrpc":"1.0","id":1,"method":"ping"})");
  EXPECT_EQ(error_code(next()), rpc::kInvalidRequest);
  session_->handle_line(R"({"jsonrpc":"2.0","id":1,"method":"resources/list"})");
  EXPECT_EQ(error_code(next()), rpc::kMethodNotFound);
  session_->handle_line(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"arguments":{}}})");
  EXPECT_EQ(error_code(next()), rpc::kInvalidParams);
  session_->handle_line(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","arguments":[1]}})");
  EXPECT_EQ(error_code(next()), rpc::kInvalidParams);
  session_->handle_line(R"({"jsonrpc":"2.0","id":{"x":1},"method":"ping"})");
  EXPECT_EQ(error_code(next()), rpc::kInvalidRequest);
  session_->handle_too_long();
  EXPECT_EQ(error_code(next()), rpc::kParseError);
}

TEST_F(SessionTest, NeverAnswersNotificationsOrResponses) {
  initialize();
  session_->handle_line(R"({"jsonrpc":"2.0","method":"notifications/whatever","params":{}})");
  session_->handle_line(R"({"jsonrpc":"2.0","id":7,"result":{}})");
  session_->handle_line(R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":99}})");
  session_->handle_line(R"({"jsonrpc":"2.0","id":"after","method":"ping"})");
  EXPECT_EQ(next().find("id")->as_string(), "after");
}

TEST_F(SessionTest, CallsRunAndListChangesAreSentOnlyOnceInitialized) {
  session_->tools_changed();  // before initialize: nothing
  initialize();
  session_->handle_line(R"({"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"beta__x","arguments":{}}})");
  json::Value answer = next();
  EXPECT_EQ(answer.find("id")->as_number(), 5);
  EXPECT_EQ(answer.find("result")->find("called")->as_string(), "beta__x");
  session_->tools_changed();
  EXPECT_EQ(next().find("method")->as_string(), "notifications/tools/list_changed");
}

TEST(LineReader, SkipsALineTooLongWithoutHoldingIt) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::thread writer([fd = fds[1]] {
    std::string chunk(1 << 20, 'a');
    for (int i = 0; i < 16; ++i) {
      if (::write(fd, chunk.data(), chunk.size()) != static_cast<ssize_t>(chunk.size())) break;
    }
    std::string tail = "\n{\"ok\":1}\r\nlast";
    (void)!::write(fd, tail.data(), tail.size());
    ::close(fd);
  });
  LineReader reader(fds[0], 64 * 1024);
  std::string line;
  EXPECT_EQ(reader.next(line), LineReader::Got::too_long);
  EXPECT_EQ(reader.next(line), LineReader::Got::line);
  EXPECT_EQ(line, "{\"ok\":1}");
  EXPECT_EQ(reader.next(line), LineReader::Got::line);
  EXPECT_EQ(line, "last");
  EXPECT_EQ(reader.next(line), LineReader::Got::end);
  writer.join();
  ::close(fds[0]);
}

TEST(ToolNames, AreStableLegalAndReadBack) {
  EXPECT_EQ(tool_name("beta", "word-count"), "beta__word-count");
  std::string long_name = tool_name(std::string(64, 'p'), std::string(64, 's'));
  EXPECT_LE(long_name.size(), kMaxToolName);
  EXPECT_TRUE(is_legal_tool_name(long_name));
  EXPECT_EQ(long_name, tool_name(std::string(64, 'p'), std::string(64, 's')));
  EXPECT_NE(long_name, tool_name(std::string(64, 'p'), std::string(63, 's') + "t"));
  auto a = parse_tool_name("be__ta__word-count", {"self", "be", "be__ta"});
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->owner, "be__ta");
  EXPECT_EQ(a->skill, "word-count");
  EXPECT_FALSE(parse_tool_name("gamma__x", {"self", "beta"}).has_value());
  EXPECT_FALSE(parse_tool_name("beta__Bad Name", {"beta"}).has_value());
}

}  // namespace
}  // namespace bwoc::mcp
