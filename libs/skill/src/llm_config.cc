#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <toml++/toml.h>

#include "bwoc/core/files.h"
#include "bwoc/core/timestamp.h"
#include "bwoc/skill/llm.h"

namespace bwoc::skill {

namespace {

namespace fs = std::filesystem;
constexpr std::int64_t kMaxTimeoutMs = 10 * 60 * 1000;
constexpr std::size_t kMaxKeyBytes = 4096;

// The API key from $CREDENTIALS_DIRECTORY/NAME (systemd's LoadCredential) or
// .bwoc/credentials/NAME, which only its owner may read.
Result<std::string> read_api_key(const Workspace& ws, const std::string& name) {
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
    return Error(Errc::invalid_argument, "credentials names a file in the credential store, without a folder");
  }
  fs::path file = ws.credentials_dir() / name;
  bool from_systemd = false;
  if (const char* dir = std::getenv("CREDENTIALS_DIRECTORY"); dir != nullptr && *dir != '\0') {
    std::error_code ec;
    if (fs::exists(fs::path(dir) / name, ec)) {
      file = fs::path(dir) / name;
      from_systemd = true;
    }
  }
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return os_error("cannot read the API key file", file, errno);
  if (!from_systemd && (st.st_mode & 077) != 0) {
    return Error(Errc::permission_denied,
                 "the API key file " + file.string() + " can be read by others: run `chmod 600 " + file.string() + "`");
  }
  BWOC_ASSIGN_OR_RETURN(std::string key, read_file_bounded(file, kMaxKeyBytes));
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r' || key.back() == ' ')) key.pop_back();
  bool printable = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) { return c > ' ' && c < 0x7F; });
  if (!printable) {
    std::fill(key.begin(), key.end(), '\0');
    return Error(Errc::invalid_argument, "the API key file " + file.string() + " must hold the key alone, on one line");
  }
  return key;
}

}  // namespace

Result<ChatEndpoint> load_chat_endpoint(const Workspace& ws) {
  fs::path file = ws.bwoc_dir() / std::string(kChatConfigFile);
  std::error_code ec;
  if (!fs::exists(file, ec)) {
    return Error(Errc::not_found, "no chat-completions endpoint: write " + file.string() +
                                      " with base_url and model (see docs/WORKSPACE.md)");
  }
  BWOC_ASSIGN_OR_RETURN(std::string text, read_file_bounded(file, 64 * 1024));
  toml::table table;
  try {
    table = toml::parse(text, file.string());
  } catch (const toml::parse_error& e) {
    return Error(Errc::invalid_argument,
                 file.string() + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description()));
  }
  auto at = [&](const toml::node* n) { return file.string() + ":" + (n ? std::to_string(n->source().begin.line) : "?"); };
  for (const auto& [k, v] : table) {
    static constexpr std::string_view kKnown[] = {"base_url", "model", "timeout", "max_reply_bytes", "json_mode",
                                                  "credentials"};
    if (std::find(std::begin(kKnown), std::end(kKnown), k.str()) == std::end(kKnown)) {
      return Error(Errc::invalid_argument, at(&v) + ": unknown field \"" + std::string(k.str()) + "\"");
    }
  }
  ChatEndpoint e;
  auto url = table["base_url"].value<std::string>();
  if (!url || (url->rfind("http://", 0) != 0 && url->rfind("https://", 0) != 0)) {
    return Error(Errc::invalid_argument, at(table.get("base_url")) + ": base_url is http://… or https://…");
  }
  std::string_view authority = std::string_view(*url).substr(url->find("//") + 2);
  authority = authority.substr(0, authority.find('/'));
  if (authority.find('@') != std::string_view::npos) {
    // A key in the URL would end up in logs and errors.
    return Error(Errc::invalid_argument, at(table.get("base_url")) +
                                             ": base_url must not hold a user or password: put the key in credentials");
  }
  e.base_url = *url;
  while (!e.base_url.empty() && e.base_url.back() == '/') e.base_url.pop_back();
  auto model = table["model"].value<std::string>();
  if (!model || model->empty() || model->size() > 256) {
    return Error(Errc::invalid_argument, at(table.get("model")) + ": model names the model (1 to 256 bytes)");
  }
  e.model = *model;
  if (const toml::node* t = table.get("timeout")) {
    auto ms = t->value<std::string>() ? parse_duration(*t->value<std::string>())
                                      : Result<std::int64_t>(Error(Errc::invalid_argument, ""));
    if (!ms.ok() || *ms <= 0 || *ms > kMaxTimeoutMs) {
      return Error(Errc::invalid_argument, at(t) + ": timeout is a duration such as \"60s\", at most 10m");
    }
    e.timeout = std::chrono::milliseconds(*ms);
  }
  if (const toml::node* m = table.get("max_reply_bytes")) {
    auto n = m->value_exact<std::int64_t>();
    if (!n || *n < 1024 || *n > (16 << 20)) return Error(Errc::invalid_argument, at(m) + ": max_reply_bytes is 1024 to 16777216");
    e.max_reply_bytes = static_cast<std::size_t>(*n);
  }
  if (const toml::node* j = table.get("json_mode")) {
    auto b = j->value_exact<bool>();
    if (!b) return Error(Errc::invalid_argument, at(j) + ": json_mode is true or false");
    e.json_mode = *b;
  }
  if (const toml::node* c = table.get("credentials")) {
    auto name = c->value<std::string>();
    if (!name) return Error(Errc::invalid_argument, at(c) + ": credentials names the API key's file");
    BWOC_ASSIGN_OR_RETURN(e.api_key, read_api_key(ws, *name));
  }
  return e;
}

}  // namespace bwoc::skill
