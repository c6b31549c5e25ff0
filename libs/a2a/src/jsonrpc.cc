#include "jsonrpc.h"

#include <utility>

namespace bwoc::a2a {

namespace {

struct MethodName {
  std::string_view name;
  Method method;
  Generation generation;
};

constexpr MethodName kMethods[] = {
    {"message/send", Method::send_message, Generation::v03},
    {"message/stream", Method::send_streaming_message, Generation::v03},
    {"tasks/get", Method::get_task, Generation::v03},
    {"tasks/cancel", Method::cancel_task, Generation::v03},
    {"tasks/resubscribe", Method::subscribe_to_task, Generation::v03},
    {"agent/getAuthenticatedExtendedCard", Method::get_extended_card, Generation::v03},
    {"tasks/pushNotificationConfig/set", Method::push_notification_config, Generation::v03},
    {"tasks/pushNotificationConfig/get", Method::push_notification_config, Generation::v03},
    {"tasks/pushNotificationConfig/list", Method::push_notification_config, Generation::v03},
    {"tasks/pushNotificationConfig/delete", Method::push_notification_config, Generation::v03},
    {"SendMessage", Method::send_message, Generation::v10},
    {"SendStreamingMessage", Method::send_streaming_message, Generation::v10},
    {"GetTask", Method::get_task, Generation::v10},
    {"CancelTask", Method::cancel_task, Generation::v10},
    {"ListTasks", Method::list_tasks, Generation::v10},
    {"SubscribeToTask", Method::subscribe_to_task, Generation::v10},
    {"GetExtendedAgentCard", Method::get_extended_card, Generation::v10},
    {"CreateTaskPushNotificationConfig", Method::push_notification_config, Generation::v10},
    {"GetTaskPushNotificationConfig", Method::push_notification_config, Generation::v10},
    {"ListTaskPushNotificationConfigs", Method::push_notification_config, Generation::v10},
    {"DeleteTaskPushNotificationConfig", Method::push_notification_config, Generation::v10},
};

// "0.3", "0.3.0", "1.0", "1.0.2" (a patch level is ignored); empty means 0.3.
bool supported_version(std::string_view v) {
  if (v.empty()) return true;
  auto major_minor = v.substr(0, 3);
  if (major_minor != "0.3" && major_minor != "1.0") return false;
  if (v.size() == 3) return true;
  if (v[3] != '.' || v.size() == 4) return false;
  for (char c : v.substr(4)) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

std::variant<RpcRequest, RpcError> read_rpc(std::string_view body, std::string_view version_header,
                                            std::size_t max_body_bytes) {
  // The envelope inside may nest 64 deep; the JSON-RPC frame adds a few levels.
  auto doc = json::parse(body, json::ParseLimits{max_body_bytes, 80});
  // The detail stays in the local log: it could describe the envelope inside.
  if (!doc.ok()) return RpcError{rpc_code::kParseError, "Parse error", json::Value()};
  if (doc->is_array()) {
    return RpcError{rpc_code::kInvalidRequest, "Invalid Request: batch requests are not supported", json::Value()};
  }
  if (!doc->is_object()) return RpcError{rpc_code::kInvalidRequest, "Invalid Request: not an object", json::Value()};
  RpcRequest req;
  const json::Value* id = doc->find("id");
  if (id == nullptr) {
    req.notification = true;
  } else if (id->is_string() || id->is_null() || id->is_number()) {
    req.id = *id;
  } else {
    return RpcError{rpc_code::kInvalidRequest, "Invalid Request: id must be a string, a number or null", json::Value()};
  }
  const json::Value* version = doc->find("jsonrpc");
  if (version == nullptr || !version->is_string() || version->as_string() != "2.0") {
    return RpcError{rpc_code::kInvalidRequest, "Invalid Request: jsonrpc must be \"2.0\"", req.id};
  }
  const json::Value* method = doc->find("method");
  if (method == nullptr || !method->is_string()) {
    return RpcError{rpc_code::kInvalidRequest, "Invalid Request: method must be a string", req.id};
  }
  if (!supported_version(version_header)) {
    return RpcError{rpc_code::kVersionNotSupported,
                    "Version not supported: this agent speaks A2A 0.3 and 1.0", req.id};
  }
  const MethodName* found = nullptr;
  for (const MethodName& m : kMethods) {
    if (m.name == method->as_string()) found = &m;
  }
  if (found == nullptr) return RpcError{rpc_code::kMethodNotFound, "Method not found", req.id};
  req.method = found->method;
  req.generation = found->generation;
  json::Value* params = nullptr;
  for (json::Member& m : doc->members()) {
    if (m.name == "params") params = &m.value;
  }
  if (params == nullptr) {
    req.params = json::Value::object();
  } else if (params->is_object()) {
    req.params = std::move(*params);  // moved, not copied: it holds the envelope
  } else {
    return RpcError{rpc_code::kInvalidParams, "Invalid params: params must be an object", req.id};
  }
  return req;
}

std::string rpc_result(const json::Value& id, std::string_view result) {
  std::string out;
  out.reserve(result.size() + 48);
  out += "{\"jsonrpc\":\"2.0\",\"id\":";
  json::write(id, out);
  out += ",\"result\":";
  out += result;
  out += '}';
  return out;
}

std::string rpc_error(const json::Value& id, int code, std::string_view message) {
  std::string out = "{\"jsonrpc\":\"2.0\",\"id\":";
  json::write(id, out);
  out += ",\"error\":{\"code\":";
  out += std::to_string(code);
  out += ",\"message\":";
  json::write(json::Value(std::string(message)), out);
  out += "}}";
  return out;
}

std::string sse_event(const json::Value& id, std::string_view result) {
  return "data: " + rpc_result(id, result) + "\n\n";
}

}  // namespace bwoc::a2a
