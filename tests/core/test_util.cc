#include "test_util.h"

#include <stdlib.h>

#include <algorithm>
#include <stdexcept>

#include <fstream>
#include <sstream>
#include <system_error>

#include "bwoc/core/files.h"

namespace bwoc::test {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "bwoc-test-XXXXXX").string();
  char* made = ::mkdtemp(pattern.data());
  path_ = made != nullptr ? std::filesystem::path(made) : std::filesystem::path();
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

Workspace make_workspace(const std::filesystem::path& parent, const std::string& name,
                         std::initializer_list<std::string> agents) {
  auto ws = Workspace::init(parent / name, name);
  if (!ws.ok()) throw std::runtime_error(ws.error().message());
  auto key = ws->keygen(false);
  if (!key.ok()) throw std::runtime_error(key.error().message());
  for (const std::string& a : agents) {
    Status st = ws->add_agent(a, "");
    if (!st.ok()) throw std::runtime_error(st.error().message());
  }
  return std::move(ws).value();
}

void declare_peers(const Workspace& ws, std::initializer_list<const Workspace*> peers, std::string extra) {
  std::string text;
  for (const Workspace* p : peers) {
    text += "[[peer]]\nkey = \"" + p->name() + "\"\nname = \"" + p->name() + " workspace\"\npubkey = \"" +
            p->public_key()->to_text() + "\"\npath = \"" + p->root().string() + "\"\n" + extra + "\n";
  }
  Status st = write_file_atomic(ws.routes_file(), text);
  if (!st.ok()) throw std::runtime_error(st.error().message());
}

void TwoWorkspaces::SetUp() {
  alpha_.emplace(make_workspace(dir_.path(), "alpha"));
  beta_.emplace(make_workspace(dir_.path(), "beta"));
  declare_peers(*alpha_, {&*beta_});
  declare_peers(*beta_, {&*alpha_});
  alpha_key_.emplace(std::move(alpha_->load_secret_key()).value());
}

std::string TwoWorkspaces::envelope(const std::function<void(EnvelopeDraft&)>& edit) {
  EnvelopeDraft d = draft_to(*beta_->public_key());
  if (edit) edit(d);
  return *sign_envelope(d, *alpha_key_);
}

std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::size_t count_lines(const std::filesystem::path& file) {
  std::string text = read_file(file);
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace bwoc::test
