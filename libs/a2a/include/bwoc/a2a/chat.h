// The HTTP request of an OpenAI-compatible chat-completions endpoint, for
// skills answered by an LLM (bwoc/skill/llm.h builds the body and reads the
// answer; this only carries it). Bounded in time and size like every HTTP
// call bwoc makes; the API key travels in the Authorization header only and
// appears in no error.
#ifndef BWOC_A2A_CHAT_H_
#define BWOC_A2A_CHAT_H_

#include <chrono>
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

}  // namespace bwoc::a2a

#endif  // BWOC_A2A_CHAT_H_
