#include "bwoc/a2a/chat.h"

#include "http.h"

namespace bwoc::a2a {

Result<std::string> post_chat_completion(const ChatPost& post) {
  HttpCall call;
  call.method = "POST";
  call.url = post.base_url + "/chat/completions";
  call.headers.emplace_back("Content-Type", "application/json");
  call.headers.emplace_back("Accept", "application/json");
  if (!post.api_key.empty()) call.headers.emplace_back("Authorization", "Bearer " + post.api_key);
  call.body = post.body;
  HttpClientOptions options;
  options.total_timeout = post.timeout;
  options.connect_timeout = std::min(post.timeout, std::chrono::milliseconds(5'000));
  options.max_response_bytes = post.max_answer_bytes;
  BWOC_ASSIGN_OR_RETURN(HttpResult answer, http_call(call, options));
  if (answer.status < 200 || answer.status > 299) {
    // The body may echo the request (the instructions among it): never shown.
    return Error(Errc::refused, "the chat-completions endpoint answered HTTP " + std::to_string(answer.status));
  }
  return std::move(answer.body);
}

}  // namespace bwoc::a2a
