// The JSON-RPC side of `mcp serve`: one message a line in, answers and
// notifications out, the protocol's states (before and after initialize),
// and calls run on their own threads with progress and cancellation.
#ifndef BWOC_MCP_SRC_SESSION_H_
#define BWOC_MCP_SRC_SESSION_H_

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "bwoc/core/json.h"
#include "bwoc/core/result.h"
#include "bwoc/mcp/server.h"

namespace bwoc::mcp {

namespace rpc {
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kNotInitialized = -32002;
}  // namespace rpc

// Writes whole lines to the output; one writer at a time.
class LineWriter {
 public:
  explicit LineWriter(int fd) : fd_(fd) {}
  void send(const json::Value& message);

 private:
  std::mutex mu_;
  int fd_;
  bool broken_ = false;
};

// What the session does with a tool call; it runs on a thread of its own.
using ToolCall = std::function<json::Value(const std::string& name, const json::Value& arguments)>;
using ToolList = std::function<json::Value()>;

class Session : public std::enable_shared_from_this<Session> {
 public:
  // `list` and `call` must keep what they use alive: calls under way may
  // outlive serve() when the input ends before they finish.
  Session(std::shared_ptr<LineWriter> out, ToolList list, ToolCall call, const ServeOptions& options)
      : out_(std::move(out)), list_(std::move(list)), call_(std::move(call)), options_(options) {}

  // One line of input.
  void handle_line(std::string_view line);
  // A line past the bound.
  void handle_too_long();
  // Sent only once the client said it is initialized.
  void tools_changed();
  // Waits up to `timeout` for calls under way; returns how many are left.
  std::size_t drain(std::chrono::milliseconds timeout);

 private:
  void answer(const json::Value& id, json::Value result);
  void fail(const json::Value& id, int code, std::string message);
  void handle(json::Value message);
  void start_call(json::Value id, const json::Value& params);
  void run_call(const json::Value& id, std::string name, json::Value arguments, std::optional<json::Value> progress);
  std::string id_key(const json::Value& id) const { return json::write(id); }

  std::shared_ptr<LineWriter> out_;
  ToolList list_;
  ToolCall call_;
  ServeOptions options_;

  std::mutex mu_;
  std::condition_variable idle_;
  bool initialize_answered_ = false;
  bool initialized_ = false;
  std::map<std::string, bool> calls_;  // id -> cancelled
};

}  // namespace bwoc::mcp

#endif  // BWOC_MCP_SRC_SESSION_H_
