#include "bwoc/core/shares.h"

#include <sys/stat.h>

#include <algorithm>

#include "bwoc/core/export.h"
#include "bwoc/core/files.h"
#include "toml_file.h"

namespace bwoc {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxShares = 10'000;

// The canonical form of `p` if it is a regular file that may be shared.
Result<fs::path> safe_file(const Workspace& ws, const fs::path& p) {
  std::error_code ec;
  fs::path root = fs::canonical(ws.root(), ec);
  if (ec) return os_error("cannot resolve", ws.root(), ec.value());
  fs::path real = fs::canonical(p, ec);
  if (ec) return Error(Errc::not_found, "no such file: " + p.string());
  fs::path rel = real.lexically_relative(root);
  if (rel.empty() || *rel.begin() == "..") {
    return Error(Errc::permission_denied, p.string() + " is outside the workspace: only its own files can be shared");
  }
  if (*rel.begin() == ".bwoc") return Error(Errc::permission_denied, "files under .bwoc/ (keys, state) are never shared");
  auto it = rel.begin();
  if (*it == "agents" && ++it != rel.end() && ++it != rel.end() && *it == "memories") {
    return Error(Errc::permission_denied, "an agent's memories (its inbox) are never shared");
  }
  struct stat st {};
  if (::stat(real.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return Error(Errc::invalid_argument, p.string() + " is not a regular file");
  }
  return real;
}

Status write_shares(const Workspace& ws, const std::vector<SharedDoc>& docs) {
  std::string text =
      "# Documents this workspace shares with its peers (`bwoc peer learn`).\n"
      "# Kept by `bwoc share add / remove`; paths are relative to the workspace.\n";
  for (const SharedDoc& d : docs) {
    text += "\n[[doc]]\nname = " + toml_quote(d.name) + "\npath = " + toml_quote(d.path) +
            "\ndescription = " + toml_quote(d.description) + "\n";
  }
  BWOC_RETURN_IF_ERROR(ensure_directory(ws.shared_file().parent_path(), 0755));
  BWOC_RETURN_IF_ERROR(write_file_atomic(ws.shared_file(), text, 0644));
  refresh_export(ws);
  return ok_status();
}

}  // namespace

bool is_valid_share_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

Result<std::vector<SharedDoc>> load_shares(const Workspace& ws) {
  std::vector<SharedDoc> out;
  std::error_code ec;
  if (!fs::exists(ws.shared_file(), ec)) return out;
  BWOC_ASSIGN_OR_RETURN(toml::table table, parse_toml_file(ws.shared_file()));
  for (const auto& [k, v] : table) {
    if (k.str() != "doc") return config_error(ws.shared_file(), &v, "unknown table \"" + std::string(k.str()) + "\"");
  }
  const toml::array* docs = table["doc"].as_array();
  if (docs == nullptr) return out;
  for (const toml::node& item : *docs) {
    const toml::table* t = item.as_table();
    if (t == nullptr) return config_error(ws.shared_file(), &item, "[[doc]] must be a table");
    SharedDoc d;
    auto name = (*t)["name"].value<std::string>();
    auto path = (*t)["path"].value<std::string>();
    if (!name || !is_valid_share_name(*name)) return config_error(ws.shared_file(), t, "[[doc]] needs a name of [A-Za-z0-9._-]");
    if (!path || path->empty()) return config_error(ws.shared_file(), t, "[[doc]] needs a path");
    d.name = *name;
    d.path = *path;
    d.description = (*t)["description"].value_or(std::string());
    if (std::any_of(out.begin(), out.end(), [&](const SharedDoc& o) { return o.name == d.name; })) {
      return config_error(ws.shared_file(), t, "document \"" + d.name + "\" is listed twice");
    }
    out.push_back(std::move(d));
    if (out.size() > kMaxShares) return config_error(ws.shared_file(), t, "too many documents");
  }
  return out;
}

Result<SharedDoc> add_share(const Workspace& ws, const fs::path& file, std::optional<std::string> name,
                            std::string description) {
  BWOC_ASSIGN_OR_RETURN(fs::path real, safe_file(ws, file));
  std::error_code ec;
  fs::path root = fs::canonical(ws.root(), ec);
  SharedDoc d;
  d.name = name ? *name : real.stem().string();
  if (!is_valid_share_name(d.name)) {
    return Error(Errc::invalid_argument, "\"" + d.name + "\" is not a valid document name: use letters, digits, . _ -");
  }
  if (description.find('\n') != std::string::npos || description.size() > 500) {
    return Error(Errc::invalid_argument, "the description must be one line of at most 500 characters");
  }
  d.path = real.lexically_relative(root).string();
  d.description = std::move(description);
  BWOC_ASSIGN_OR_RETURN(FileLock lock, FileLock::acquire(ws.state_dir() / "shared.lock"));
  BWOC_ASSIGN_OR_RETURN(std::vector<SharedDoc> docs, load_shares(ws));
  for (const SharedDoc& o : docs) {
    if (o.name == d.name) return Error(Errc::already_exists, "a document \"" + d.name + "\" is already shared: give --name");
  }
  docs.push_back(d);
  BWOC_RETURN_IF_ERROR(write_shares(ws, docs));
  return d;
}

Status remove_share(const Workspace& ws, const std::string& name) {
  BWOC_ASSIGN_OR_RETURN(FileLock lock, FileLock::acquire(ws.state_dir() / "shared.lock"));
  BWOC_ASSIGN_OR_RETURN(std::vector<SharedDoc> docs, load_shares(ws));
  auto it = std::find_if(docs.begin(), docs.end(), [&](const SharedDoc& d) { return d.name == name; });
  if (it == docs.end()) return Error(Errc::not_found, "no shared document \"" + name + "\"");
  docs.erase(it);
  return write_shares(ws, docs);
}

Result<std::vector<SharedFile>> shared_files(const Workspace& ws) {
  BWOC_ASSIGN_OR_RETURN(std::vector<SharedDoc> docs, load_shares(ws));
  std::vector<SharedFile> out;
  for (const SharedDoc& d : docs) {
    auto file = resolve_share(ws, d.name);
    struct stat st {};
    if (!file.ok() || ::stat(file->c_str(), &st) != 0) continue;
    out.push_back({d.name, d.description,
                   static_cast<UnixMillis>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1'000'000});
  }
  return out;
}

Result<fs::path> resolve_share(const Workspace& ws, std::string_view name) {
  Error unknown(Errc::not_found, "no such shared document");
  if (!is_valid_share_name(name)) return unknown;
  auto docs = load_shares(ws);
  if (!docs.ok()) return docs.error();
  for (const SharedDoc& d : *docs) {
    if (d.name != name) continue;
    fs::path p(d.path);
    if (p.is_absolute()) return unknown;
    auto real = safe_file(ws, ws.root() / p);
    if (!real.ok()) return unknown;
    return *real;
  }
  return unknown;
}

}  // namespace bwoc
