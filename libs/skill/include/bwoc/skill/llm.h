// LLM-backed skills: a SKILL.md (skill_md.h) answered by an OpenAI-compatible
// chat-completions endpoint that the provider configures (llama.cpp's server,
// Ollama, vLLM, a hosted one). The SKILL.md body is the system prompt, the
// caller's input (JSON) the user message; the model is asked for JSON, and
// its reply must satisfy the output schema like any skill's output.
//
// The instructions never leave this machine: they are in no discovery, no
// error and no result. A reply holding a long verbatim run of them (a model
// talked into repeating its prompt) is refused as "Skill failed".
//
// libs/skill stays network-free: the request goes out through ChatCompletion,
// which the node wires to libs/a2a's HTTP client.
//
// Configuration, .bwoc/llm.toml:
//   base_url = "http://127.0.0.1:8080/v1"   (…/chat/completions is appended)
//   model = "qwen2.5-7b-instruct"
//   timeout = "60s"            optional: one request, at most 10m
//   max_reply_bytes = 1048576  optional
//   json_mode = true           optional: send response_format {"type": "json_object"}
//   credentials = "llm-api-key"   optional: the API key's file, in $CREDENTIALS_DIRECTORY
//                                  (systemd LoadCredential) or .bwoc/credentials/ (mode 0600)
#ifndef BWOC_SKILL_LLM_H_
#define BWOC_SKILL_LLM_H_

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "bwoc/core/result.h"
#include "bwoc/core/workspace.h"
#include "bwoc/skill/manifest.h"
#include "bwoc/skill/runner.h"

namespace bwoc::skill {

struct ChatEndpoint {
  std::string base_url;
  std::string model;
  std::chrono::milliseconds timeout{60'000};
  std::size_t max_reply_bytes = 1u << 20;
  bool json_mode = true;
  std::string api_key;  // "" when the endpoint needs none; never logged or shown
};

// .bwoc/llm.toml and the key it names. Errors never hold the key.
Result<ChatEndpoint> load_chat_endpoint(const Workspace& ws);
inline constexpr std::string_view kChatConfigFile = "llm.toml";

// One chat-completions request: the endpoint and the body to POST.
struct ChatRequest {
  const ChatEndpoint* endpoint = nullptr;
  std::string body;  // the JSON body, as chat_request_body() makes it
  std::chrono::milliseconds timeout{60'000};
};
// Sends it; returns the body of a 2xx answer. Errc::timeout when no whole
// answer came in time; other errors for an endpoint that cannot be reached or
// answered otherwise. Supplied by the node (libs/a2a's HTTP client).
using ChatCompletion = std::function<Result<std::string>(const ChatRequest& request)>;

// The OpenAI chat-completions shapes (network-free, for tests too).
std::string chat_request_body(const ChatEndpoint& endpoint, std::string_view system, std::string_view user);
// The first choice's message content.
Result<std::string> chat_reply_content(std::string_view body);

// True when `reply` holds a run of at least `min_run` characters of
// `instructions`, compared after folding case, punctuation and white space.
bool repeats_instructions(std::string_view reply, std::string_view instructions, std::size_t min_run = 48);

// Runs an LLM-backed skill (skill.instructions set) on `input` (JSON text):
// the outcome's output is the model's JSON reply. Errors (the endpoint, its
// configuration, a reply that is no JSON or repeats the instructions) are
// for the local log only: the caller is told "Skill failed".
Result<RunOutcome> run_instructed(const Workspace& ws, const Skill& skill, const std::string& input,
                                  const ChatCompletion& chat);

}  // namespace bwoc::skill

#endif  // BWOC_SKILL_LLM_H_
