#include "calls.h"

#include "bwoc/core/envelope.h"
#include "bwoc/core/log.h"
#include "bwoc/core/trust.h"
#include "bwoc/node/client.h"
#include "bwoc/node/node.h"
#include "bwoc/peer/send.h"
#include "tool_names.h"

namespace bwoc::mcp {

namespace {

std::string text_of(const json::Value& v, std::string_view field) {
  const json::Value* f = v.find(field);
  return f && f->is_string() ? f->as_string() : std::string();
}

json::Value tool_result(const json::Value& output, bool wrap_output, json::Value meta) {
  json::Value structured = output.is_object() && !wrap_output ? output : json::Value::object({{"output", output}});
  return json::Value::object({{"content", json::Value::array({json::Value::object(
                                              {{"type", "text"}, {"text", json::write(output)}})})},
                              {"structuredContent", std::move(structured)},
                              {"isError", false},
                              {"_meta", std::move(meta)}});
}

// "Invalid input: input.text: ..." from a provider's {"error", "detail"?, "available"?}.
std::string error_text(const json::Value& payload, const std::string& fallback) {
  std::string text = text_of(payload, "error");
  if (text.empty()) text = fallback;
  if (std::string detail = text_of(payload, "detail"); !detail.empty()) text += ": " + detail;
  if (std::string available = text_of(payload, "available"); !available.empty()) {
    text += " (available: " + available + ")";
  }
  return text;
}

}  // namespace

json::Value result_tool_json() {
  json::Value id = json::Value::object({{"type", "string"}, {"description", "the id an offline call was given"}});
  return json::Value::object(
      {{"name", std::string(kResultTool)},
       {"title", "Result of an earlier call"},
       {"description", "The result of a call that waited for an offline peer, by the id it was given."},
       {"inputSchema", json::Value::object({{"type", "object"},
                                            {"properties", json::Value::object({{"id", std::move(id)}})},
                                            {"required", json::Value::array({"id"})}})}});
}

json::Value tool_error(std::string text) {
  return json::Value::object(
      {{"content", json::Value::array({json::Value::object({{"type", "text"}, {"text", std::move(text)}})})},
       {"isError", true}});
}

ToolCaller::ToolCaller(Workspace ws, SecretKey key, std::string agent, Catalogue& catalogue,
                       std::chrono::milliseconds timeout, Deferral deferral)
    : ws_(std::move(ws)),
      key_(std::move(key)),
      agent_(std::move(agent)),
      catalogue_(catalogue),
      timeout_(timeout),
      deferral_(std::move(deferral)) {}

Result<skill::SkillHost*> ToolCaller::host() {
  std::lock_guard lock(host_mu_);
  if (!host_) {
    BWOC_ASSIGN_OR_RETURN(host_, skill::SkillHost::open(ws_, agent_, node::skill_host_options(ws_)));
  }
  return host_.get();
}

json::Value ToolCaller::call(const std::string& name, const json::Value& arguments) {
  std::optional<Tool> listed = catalogue_.find(name);
  std::optional<ToolAddress> address;
  std::string agent;
  if (listed) {
    address = ToolAddress{listed->owner, text_of(listed->contract, "name")};
    agent = listed->agent;
  } else if (name == kResultTool && deferral_.result) {
    const json::Value* id = arguments.find("id");
    if (id == nullptr || !id->is_string()) return tool_error("bwoc_result needs the request's id");
    auto result = deferral_.result(id->as_string());
    if (!result.ok()) return tool_error(result.error().message());
    return tool_result(*result, false, json::Value::object({{"bwoc/request", id->as_string()}}));
  } else {
    address = parse_tool_name(name, catalogue_.owners());
  }
  // A tool nobody lists answers like a hidden skill: the caller cannot tell.
  if (!address) return tool_error(std::string(skill::kUnknownSkill));
  json::Value input = arguments;
  bool wrap_output = listed && wraps_output(listed->contract);
  if (listed && wraps_input(listed->contract)) {
    const json::Value* inner = arguments.find("input");
    input = inner ? *inner : json::Value();
  }
  if (address->owner == kSelf) return call_local(address->skill, std::move(input), wrap_output);
  return call_remote(address->owner, agent, address->skill, std::move(input), wrap_output);
}

json::Value ToolCaller::call_local(const std::string& skill_name, json::Value input, bool wrap_output) {
  auto h = host();
  if (!h.ok()) return tool_error("Skill failed: " + h.error().message());
  EnvelopeDraft draft;
  draft.kind = std::string(skill::kCallKind);
  draft.from = agent_;
  draft.to = agent_;
  draft.aud = key_.public_key();
  draft.payload = json::Value::object({{"skill", skill_name}, {"input", std::move(input)}});
  auto request = sign(draft, key_);
  if (!request.ok()) return tool_error("Skill failed: " + request.error().message());
  // The host signs its answer through us; we keep what it said on the way.
  std::string kind;
  json::Value payload;
  skill::AnswerSigner signer = [&](std::string_view k, json::Value p) -> Result<std::string> {
    kind = std::string(k);
    payload = p;
    EnvelopeDraft answer;
    answer.kind = kind;
    answer.from = agent_;
    answer.to = agent_;
    answer.aud = key_.public_key();
    answer.re = request->envelope.id;
    answer.payload = std::move(p);
    return sign_envelope(answer, key_);
  };
  auto answered = (*h)->respond(request->envelope, "self", kPrivileged, false, signer);
  if (!answered.ok()) return tool_error("Skill failed: " + answered.error().message());
  if (kind != skill::kResultKind) return tool_error(error_text(payload, "Skill failed"));
  const json::Value* output = payload.find("output");
  return tool_result(output ? *output : json::Value(), wrap_output,
                     json::Value::object({{"bwoc/owner", "self"},
                                          {"bwoc/agent", agent_},
                                          {"bwoc/version", text_of(payload, "version")},
                                          {"bwoc/id", request->envelope.id}}));
}

json::Value ToolCaller::call_remote(const std::string& peer, const std::string& agent, const std::string& skill_name,
                                    json::Value input, bool wrap_output) {
  std::shared_ptr<node::Client> client = catalogue_.client();
  if (!client) return tool_error("Cannot call " + peer + ": this workspace has no key or routes to call with");
  peer::AskRequest request;
  request.peer = peer;
  request.agent = agent;
  request.from = agent_;
  request.timeout = timeout_;
  auto answer = client->call(request, skill_name, input, std::nullopt);
  if (!answer.ok()) {
    const Error& e = answer.error();
    if (e.code() == Errc::not_found) return tool_error(std::string(skill::kUnknownSkill));
    if (e.code() == Errc::unavailable) {
      if (deferral_.defer) {
        auto handle = deferral_.defer(peer, agent, skill_name, input);
        if (handle.ok()) {
          return tool_error(peer + " is offline; the call waits for it as request " + *handle +
                            " (delivered when " + peer + " is back, while a bwoc service of this workspace runs): "
                            "ask bwoc_result with that id later");
        }
      }
      return tool_error(peer + " is offline: " + e.message() +
                        ". The call was not made: try again when " + peer + " is back.");
    }
    if (e.code() == Errc::timeout) {
      return tool_error("No answer from " + peer + " in time: " + e.message() +
                        ". The call may still run there; a new call is a new run.");
    }
    if (e.code() == Errc::refused) return tool_error(peer + "'s answer was refused: " + e.message());
    return tool_error("Cannot call " + peer + ": " + e.message());
  }
  if (!answer->ok) {
    std::string text = peer + " answered: " + error_text(answer->payload, answer->error);
    if (!answer->refusals_note.empty()) text += " (" + answer->refusals_note + ")";
    // Our picture of its skills may be out of date.
    if (answer->outcome == "unknown_skill" || answer->outcome == "version_mismatch") catalogue_.refresh_peer(peer);
    return tool_error(std::move(text));
  }
  const json::Value* output = answer->payload.find("output");
  return tool_result(output ? *output : json::Value(), wrap_output,
                     json::Value::object({{"bwoc/owner", peer},
                                          {"bwoc/agent", answer->ask.agent},
                                          {"bwoc/version", text_of(answer->payload, "version")},
                                          {"bwoc/via", std::string(via_name(answer->ask.via))},
                                          {"bwoc/id", answer->ask.request_id}}));
}

}  // namespace bwoc::mcp
