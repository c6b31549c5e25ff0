#include "session.h"

#include <unistd.h>

#include <algorithm>
#include <future>
#include <thread>

#include "bwoc/core/files.h"
#include "bwoc/core/log.h"
#include "calls.h"

namespace bwoc::mcp {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kMaxIdBytes = 256;
constexpr std::size_t kMaxNameBytes = 256;

const char* kInstructions =
    "Tools named self__SKILL are this workspace's own skills, run here in a sandbox. Tools named PEER__SKILL are "
    "skills of a peer workspace: each call is a signed request that runs on that peer's machine, which returns only "
    "the result. A tool marked [Stale: ...] comes from a cached list the peer has not confirmed lately; calling it "
    "asks the peer anyway.";

json::Value error_message(const json::Value& id, int code, std::string message) {
  return json::Value::object({{"jsonrpc", "2.0"},
                              {"id", id},
                              {"error", json::Value::object({{"code", code}, {"message", std::move(message)}})}});
}

bool is_valid_id(const json::Value& id) {
  if (id.is_string()) return id.as_string().size() <= kMaxIdBytes;
  return id.is_number();
}

}  // namespace

void LineWriter::send(const json::Value& message) {
  std::string line = json::write(message);
  line += '\n';
  std::lock_guard lock(mu_);
  if (broken_) return;
  if (Status st = write_all(fd_, line, "the MCP client's input"); !st.ok()) {
    broken_ = true;
    log::warning("mcp.output_closed", {{"error", st.error().message()}});
  }
}

void Session::answer(const json::Value& id, json::Value result) {
  out_->send(json::Value::object({{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}}));
}

void Session::fail(const json::Value& id, int code, std::string message) {
  out_->send(error_message(id, code, std::move(message)));
}

void Session::handle_too_long() {
  fail(json::Value(), rpc::kParseError,
       "Parse error: a message is longer than " + std::to_string(options_.max_line_bytes) + " bytes; skipped");
}

void Session::handle_line(std::string_view line) {
  if (std::all_of(line.begin(), line.end(), [](char c) { return c == ' ' || c == '\t'; })) return;
  auto parsed = json::parse(line, json::ParseLimits{options_.max_line_bytes, options_.max_depth});
  if (!parsed.ok()) return fail(json::Value(), rpc::kParseError, "Parse error: " + parsed.error().message());
  handle(std::move(parsed).value());
}

void Session::handle(json::Value message) {
  if (message.is_array()) return fail(json::Value(), rpc::kInvalidRequest, "Invalid Request: batches are not supported");
  if (!message.is_object()) return fail(json::Value(), rpc::kInvalidRequest, "Invalid Request: not an object");
  const json::Value* version = message.find("jsonrpc");
  const json::Value* method = message.find("method");
  const json::Value* id_field = message.find("id");
  json::Value id = id_field && is_valid_id(*id_field) ? *id_field : json::Value();
  if (version == nullptr || !version->is_string() || version->as_string() != "2.0") {
    return fail(id, rpc::kInvalidRequest, "Invalid Request: jsonrpc must be \"2.0\"");
  }
  if (method == nullptr) {
    // A response to a request of ours: we send none, so there is nothing to match.
    if (message.find("result") || message.find("error")) return;
    return fail(id, rpc::kInvalidRequest, "Invalid Request: no method");
  }
  if (!method->is_string()) return fail(id, rpc::kInvalidRequest, "Invalid Request: method must be a string");
  const std::string& name = method->as_string();
  const json::Value* params_field = message.find("params");
  if (params_field && !params_field->is_object()) {
    if (id_field) fail(id, rpc::kInvalidParams, "Invalid params: params must be an object");
    return;
  }
  json::Value params = params_field ? *params_field : json::Value::object();

  if (id_field == nullptr) {  // a notification: never answered
    if (name == "notifications/initialized") {
      std::lock_guard lock(mu_);
      initialized_ = initialize_answered_;
    } else if (name == "notifications/cancelled") {
      const json::Value* req = params.find("requestId");
      if (req && is_valid_id(*req)) {
        std::lock_guard lock(mu_);
        if (auto it = calls_.find(id_key(*req)); it != calls_.end()) it->second = true;
      }
    }
    return;
  }
  if (!is_valid_id(*id_field)) {
    return fail(json::Value(), rpc::kInvalidRequest, "Invalid Request: id must be a string of at most 256 bytes or a number");
  }

  if (name == "ping") return answer(id, json::Value::object());
  if (name == "initialize") {
    {
      std::lock_guard lock(mu_);
      if (initialize_answered_) return fail(id, rpc::kInvalidRequest, "Invalid Request: already initialized");
      initialize_answered_ = true;
    }
    std::string version_wanted;
    if (const json::Value* v = params.find("protocolVersion"); v && v->is_string()) version_wanted = v->as_string();
    std::string chosen(kProtocolVersions[0]);
    for (std::string_view v : kProtocolVersions) {
      if (v == version_wanted) chosen = std::string(v);
    }
    return answer(id, json::Value::object(
                          {{"protocolVersion", chosen},
                           {"capabilities",
                            json::Value::object({{"tools", json::Value::object({{"listChanged", true}})}})},
                           {"serverInfo", json::Value::object({{"name", "bwoc"}, {"title", "bwoc skills"}, {"version", "0.1.0"}})},
                           {"instructions", kInstructions}}));
  }
  {
    std::lock_guard lock(mu_);
    if (!initialize_answered_) {
      return fail(id, rpc::kNotInitialized, "Server not initialized: send initialize first");
    }
  }
  if (name == "tools/list") {
    if (const json::Value* cursor = params.find("cursor"); cursor && !cursor->is_null()) {
      return fail(id, rpc::kInvalidParams, "Invalid params: there is one page of tools, and no cursor");
    }
    return answer(id, list_());
  }
  if (name == "tools/call") return start_call(std::move(id), params);
  return fail(id, rpc::kMethodNotFound, "Method not found: " + name.substr(0, 100));
}

void Session::start_call(json::Value id, const json::Value& params) {
  const json::Value* name = params.find("name");
  if (name == nullptr || !name->is_string() || name->as_string().empty() || name->as_string().size() > kMaxNameBytes) {
    return fail(id, rpc::kInvalidParams, "Invalid params: tools/call needs the tool's name");
  }
  const json::Value* arguments = params.find("arguments");
  if (arguments && !arguments->is_object() && !arguments->is_null()) {
    return fail(id, rpc::kInvalidParams, "Invalid params: arguments must be an object");
  }
  std::optional<json::Value> progress;
  if (const json::Value* meta = params.find("_meta"); meta && meta->is_object()) {
    const json::Value* token = meta->find("progressToken");
    if (token && is_valid_id(*token)) progress = *token;
  }
  {
    std::lock_guard lock(mu_);
    if (calls_.contains(id_key(id))) {
      return fail(id, rpc::kInvalidRequest, "Invalid Request: a call with this id is under way");
    }
    if (calls_.size() >= options_.max_calls) {
      return answer(id, tool_error("Busy: " + std::to_string(calls_.size()) +
                                   " calls are under way; try again when one has finished"));
    }
    calls_.emplace(id_key(id), false);
  }
  std::thread([self = shared_from_this(), id = std::move(id), n = name->as_string(),
               args = arguments && arguments->is_object() ? *arguments : json::Value::object(),
               progress = std::move(progress)]() mutable {
    self->run_call(id, std::move(n), std::move(args), std::move(progress));
  }).detach();
}

void Session::run_call(const json::Value& id, std::string name, json::Value arguments,
                       std::optional<json::Value> progress) {
  json::Value result;
  if (!progress) {
    result = call_(name, arguments);
  } else {
    auto send_progress = [&](double done, std::string message) {
      out_->send(json::Value::object(
          {{"jsonrpc", "2.0"},
           {"method", "notifications/progress"},
           {"params", json::Value::object({{"progressToken", *progress}, {"progress", done}, {"message", std::move(message)}})}}));
    };
    send_progress(0, "calling " + name);
    auto running = std::async(std::launch::async, [this, &name, &arguments] { return call_(name, arguments); });
    Clock::time_point start = Clock::now();
    int ticks = 0;
    while (running.wait_for(options_.progress_interval) != std::future_status::ready) {
      auto seconds = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - start).count();
      send_progress(++ticks, name + " still running (" + std::to_string(seconds) + " s)");
    }
    result = running.get();
  }
  bool cancelled = false;
  {
    std::lock_guard lock(mu_);
    auto it = calls_.find(id_key(id));
    if (it != calls_.end()) {
      cancelled = it->second;
      calls_.erase(it);
    }
  }
  // A cancelled request gets no answer (the protocol says so).
  if (!cancelled) answer(id, std::move(result));
  idle_.notify_all();
}

void Session::tools_changed() {
  {
    std::lock_guard lock(mu_);
    if (!initialized_) return;
  }
  out_->send(json::Value::object({{"jsonrpc", "2.0"}, {"method", "notifications/tools/list_changed"}}));
}

std::size_t Session::drain(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  idle_.wait_for(lock, timeout, [this] { return calls_.empty(); });
  return calls_.size();
}

}  // namespace bwoc::mcp
