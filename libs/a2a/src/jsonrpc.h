// JSON-RPC 2.0 as A2A uses it: parsing a request, naming its method in either
// protocol generation, and writing results and errors.
//
// A2A 0.3 spells methods "message/send", A2A 1.0 "SendMessage"; bwoc accepts
// both on one endpoint and answers each in its own generation's shapes.
// Errors go back with HTTP 200, as JSON-RPC over HTTP does.
#ifndef BWOC_A2A_SRC_JSONRPC_H_
#define BWOC_A2A_SRC_JSONRPC_H_

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "bwoc/core/json.h"

namespace bwoc::a2a {

enum class Generation { v03, v10 };

enum class Method {
  send_message,
  send_streaming_message,
  get_task,
  cancel_task,
  list_tasks,
  subscribe_to_task,
  get_extended_card,
  push_notification_config,  // every push-notification method: not supported
};

namespace rpc_code {
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
inline constexpr int kTaskNotFound = -32001;
inline constexpr int kTaskNotCancelable = -32002;
inline constexpr int kPushNotificationNotSupported = -32003;
inline constexpr int kUnsupportedOperation = -32004;
inline constexpr int kExtendedCardNotConfigured = -32007;
inline constexpr int kVersionNotSupported = -32009;
}  // namespace rpc_code

struct RpcRequest {
  json::Value id;  // string, number or null
  bool notification = false;
  Method method;
  Generation generation;
  json::Value params;  // an object (empty when absent)
};

struct RpcError {
  int code;
  std::string message;
  json::Value id;  // null when the request's id could not be read
};

// Checks the JSON-RPC frame, the method and the A2A-Version header.
std::variant<RpcRequest, RpcError> read_rpc(std::string_view body, std::string_view a2a_version_header,
                                            std::size_t max_body_bytes);

// `result` is JSON text.
std::string rpc_result(const json::Value& id, std::string_view result);
std::string rpc_error(const json::Value& id, int code, std::string_view message);
// One server-sent event carrying a JSON-RPC response.
std::string sse_event(const json::Value& id, std::string_view result);

}  // namespace bwoc::a2a

#endif  // BWOC_A2A_SRC_JSONRPC_H_
