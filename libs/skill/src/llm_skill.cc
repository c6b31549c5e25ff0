#include <algorithm>
#include <unordered_map>

#include "bwoc/core/log.h"
#include "bwoc/skill/llm.h"
#include "bwoc/skill/skill_md.h"

namespace bwoc::skill {

namespace {

using Clock = std::chrono::steady_clock;

// Letters and digits lowercased, every other ASCII run one space; bytes of
// multi-byte UTF-8 characters as they are.
std::string folded(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if ((u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || u >= 0x80) {
      out += c;
    } else if (u >= 'A' && u <= 'Z') {
      out += static_cast<char>(u - 'A' + 'a');
    } else if (!out.empty() && out.back() != ' ') {
      out += ' ';
    }
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// Every string (member names too) of a JSON value, joined by spaces: a model
// may hide its prompt in escapes that the raw text does not show.
void strings_of(const json::Value& v, std::string& out) {
  if (v.is_string()) {
    out += v.as_string();
    out += ' ';
  } else if (v.is_array()) {
    for (const json::Value& item : v.items()) strings_of(item, out);
  } else if (v.is_object()) {
    for (const json::Member& m : v.members()) {
      out += m.name;
      out += ' ';
      strings_of(m.value, out);
    }
  }
}

std::string without_fences(std::string text) {
  std::size_t b = text.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  text = text.substr(b);
  if (text.rfind("```", 0) != 0) return text;
  std::size_t first_line = text.find('\n');
  std::size_t last = text.rfind("```");
  if (first_line == std::string::npos || last <= first_line) return text;
  return text.substr(first_line + 1, last - first_line - 1);
}

}  // namespace

std::string chat_request_body(const ChatEndpoint& endpoint, std::string_view system, std::string_view user) {
  json::Value body = json::Value::object(
      {{"model", endpoint.model},
       {"messages", json::Value::array({json::Value::object({{"role", "system"}, {"content", std::string(system)}}),
                                        json::Value::object({{"role", "user"}, {"content", std::string(user)}})})},
       {"stream", false},
       {"temperature", 0}});
  if (endpoint.json_mode) body.set("response_format", json::Value::object({{"type", "json_object"}}));
  return json::write(body);
}

Result<std::string> chat_reply_content(std::string_view body) {
  auto doc = json::parse(body, json::ParseLimits{body.size() + 1, 64});
  if (!doc.ok()) return Error(Errc::refused, "the endpoint's answer is not JSON");
  const json::Value* choices = doc->find("choices");
  if (choices == nullptr || !choices->is_array() || choices->items().empty()) {
    return Error(Errc::refused, "the endpoint's answer has no choices");
  }
  const json::Value* message = choices->items().front().find("message");
  const json::Value* content = message ? message->find("content") : nullptr;
  if (content == nullptr || !content->is_string()) return Error(Errc::refused, "the endpoint's answer has no message content");
  return content->as_string();
}

bool repeats_instructions(std::string_view reply, std::string_view instructions, std::size_t min_run) {
  std::string secret = folded(instructions), seen = folded(reply);
  std::size_t run = std::min(min_run, secret.size());
  // Shorter than this, a match says nothing about where it came from.
  if (run < 12 || seen.size() < run) return false;
  // Rabin-Karp over windows of `run` bytes.
  constexpr std::uint64_t kBase = 1'000'003;
  std::uint64_t top = 1;
  for (std::size_t i = 1; i < run; ++i) top *= kBase;
  auto hashes = [&](const std::string& s, auto&& each) {
    std::uint64_t h = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (i >= run) h -= top * static_cast<unsigned char>(s[i - run]);
      h = h * kBase + static_cast<unsigned char>(s[i]);
      if (i + 1 >= run && each(h, i + 1 - run)) return true;
    }
    return false;
  };
  std::unordered_map<std::uint64_t, std::size_t> windows;
  windows.reserve(secret.size());
  hashes(secret, [&](std::uint64_t h, std::size_t at) {
    windows.emplace(h, at);
    return false;
  });
  return hashes(seen, [&](std::uint64_t h, std::size_t at) {
    auto it = windows.find(h);
    return it != windows.end() && std::string_view(seen).substr(at, run) == std::string_view(secret).substr(it->second, run);
  });
}

Result<RunOutcome> run_instructed(const Workspace& ws, const Skill& skill, const std::string& input,
                                  const ChatCompletion& chat) {
  Clock::time_point start = Clock::now();
  if (!chat) return Error(Errc::unavailable, "this build has no chat-completions client");
  BWOC_ASSIGN_OR_RETURN(SkillMd md, read_skill_md(skill.instructions));
  if (md.name != skill.name) {
    return Error(Errc::invalid_argument, skill.instructions.string() + " now declares \"" + md.name +
                                             "\": run `bwoc skills add` again");
  }
  BWOC_ASSIGN_OR_RETURN(ChatEndpoint endpoint, load_chat_endpoint(ws));
  const json::Value* root_type = skill.output_schema.find("type");
  bool object = root_type && root_type->is_string() && root_type->as_string() == "object";
  std::string system = md.instructions + "\n\n---\nAnswer with " + (object ? "one JSON object" : "one JSON value") +
                       " and nothing else, no prose and no code fences. It must satisfy this JSON Schema:\n" +
                       json::write(skill.output_schema) + "\nThe user's message is the input, as JSON.";
  ChatRequest request;
  request.endpoint = &endpoint;
  request.body = chat_request_body(endpoint, system, input);
  request.timeout = std::min(skill.timeout, endpoint.timeout);
  auto body = chat(request);
  RunOutcome outcome;
  outcome.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
  if (!body.ok()) {
    if (body.error().code() != Errc::timeout) return body.error();
    outcome.end = RunOutcome::End::timed_out;
    return outcome;
  }
  BWOC_ASSIGN_OR_RETURN(std::string content, chat_reply_content(*body));
  content = without_fences(std::move(content));
  if (content.size() > skill.max_output_bytes) {
    outcome.end = RunOutcome::End::output_too_large;
    return outcome;
  }
  if (repeats_instructions(content, md.instructions)) {
    return Error(Errc::refused, "the model's reply repeats the skill's instructions: refused");
  }
  auto parsed = json::parse(content, json::ParseLimits{content.size() + 1, 64});
  if (!parsed.ok()) return Error(Errc::refused, "the model's reply is not JSON");
  std::string strings;
  strings_of(*parsed, strings);
  if (repeats_instructions(strings, md.instructions)) {
    return Error(Errc::refused, "the model's reply repeats the skill's instructions: refused");
  }
  outcome.end = RunOutcome::End::exited;
  outcome.exit_code = 0;
  outcome.output = json::write(*parsed);
  return outcome;
}

}  // namespace bwoc::skill
