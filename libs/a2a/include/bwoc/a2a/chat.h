// The HTTP request of an OpenAI-compatible chat-completions endpoint, for
// skills answered by an LLM (bwoc/skill/llm.h builds the body and reads the
// answer; this only carries it). Bounded in time and size like every HTTP
// call bwoc makes; the API key travels in the Authorization header only and
// appears in no error.
#ifndef BWOC_A2A_CHAT_H_
#define BWOC_A2A_CHAT_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "bwoc/core/result.h"

namespace bwoc::a2a {

struct ChatPost {
  std::string base_url;  // "http://127.0.0.1:8080/v1": "/chat/completions" is appended
  std::string api_key;   // "" for none
  std::string body;
  std::chrono::milliseconds timeout{60'000};
  std::size_t max_answer_bytes = 4u << 20;
};

// The body of a 2xx answer. Errc::timeout when no whole answer came in time,
// Errc::unavailable when the endpoint cannot be reached, Errc::refused for
// any other status or an answer past the size bound.
Result<std::string> post_chat_completion(const ChatPost& post);

// A chat-completions endpoint on 127.0.0.1 whose "model" is `reply`: a
// stand-in for `bwoc demo` and for trying a SKILL.md before a real model is
// at hand. It answers POST /v1/chat/completions with reply(system, user).
class ChatStandIn {
 public:
  using Reply = std::function<std::string(const std::string& system, const std::string& user)>;
  static Result<std::unique_ptr<ChatStandIn>> start(Reply reply);
  virtual ~ChatStandIn() = default;
  virtual std::string base_url() const = 0;  // "http://127.0.0.1:PORT/v1"
};

}  // namespace bwoc::a2a

#endif  // BWOC_A2A_CHAT_H_
