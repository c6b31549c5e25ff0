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

// Where shared documents may live: a relative path without "..", outside
// .bwoc/ and every agent's memories/. Checked on the path as written, since
// nothing is ever read through a symbolic link (files.h, *_beneath).
Status check_shareable(const fs::path& rel, const std::string& shown) {
  if (rel.empty() || rel.is_absolute() || *rel.begin() == "..") {
    return Error(Errc::permission_denied, shown + " is outside the workspace: only its own files can be shared");
  }
  for (const fs::path& part : rel) {
    if (part == "..") return Error(Errc::permission_denied, shown + " leaves the workspace");
  }
  if (*rel.begin() == ".bwoc") return Error(Errc::permission_denied, "files under .bwoc/ (keys, state) are never shared");
  auto it = rel.begin();
  if (*it == "agents" && ++it != rel.end() && ++it != rel.end() && *it == "memories") {
    return Error(Errc::permission_denied, "an agent's memories (its inbox) are never shared");
  }
  return ok_status();
}

// `p`, a path the user gave, as a path relative to the workspace that may be
// shared: inside it once symlinks are resolved, and then a regular file with
// one link that is reached without any symlink (what peers will be served).
Result<fs::path> shareable_path(const Workspace& ws, const fs::path& p) {
  std::error_code ec;
  fs::path root = fs::canonical(ws.root(), ec);
  if (ec) return os_error("cannot resolve", ws.root(), ec.value());
  fs::path real = fs::canonical(p, ec);
  if (ec) return Error(Errc::not_found, "no such file: " + p.string());
  fs::path rel = real.lexically_relative(root);
  BWOC_RETURN_IF_ERROR(check_shareable(rel, p.string()));
  auto file = open_file_beneath(root, rel);
  if (!file.ok()) return Error(file.error().code(), p.string() + ": " + file.error().message());
  return rel;
}

// The allowlisted relative path of `name`, or a not_found that says nothing more.
Result<fs::path> listed_path(const Workspace& ws, std::string_view name) {
  Error unknown(Errc::not_found, "no such shared document");
  if (!is_valid_share_name(name)) return unknown;
  auto docs = load_shares(ws);
  if (!docs.ok()) return docs.error();
  for (const SharedDoc& d : *docs) {
    if (d.name != name) continue;
    fs::path rel(d.path);
    if (!check_shareable(rel, d.path).ok()) return unknown;
    return rel;
  }
  return unknown;
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
  // A peer reads this file too: never through a symlink or a hard link.
  auto text = read_file_beneath(ws.root(), ws.shared_file().lexically_relative(ws.root()), kMaxConfigBytes);
  if (!text.ok() && text.error().code() == Errc::not_found) return out;
  if (!text.ok()) return text.error();
  BWOC_ASSIGN_OR_RETURN(toml::table table, parse_toml_text(*text, ws.shared_file()));
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
    if (const toml::node* description = t->get("description")) {
      // Exactly a string: toml++ would read another type as "no description".
      if (!description->is_string()) return config_error(ws.shared_file(), description, "\"description\" must be a string");
      d.description = *description->value<std::string>();
    }
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
  BWOC_ASSIGN_OR_RETURN(fs::path rel, shareable_path(ws, file));
  SharedDoc d;
  d.name = name ? *name : rel.stem().string();
  if (!is_valid_share_name(d.name)) {
    return Error(Errc::invalid_argument, "\"" + d.name + "\" is not a valid document name: use letters, digits, . _ -");
  }
  if (description.find('\n') != std::string::npos || description.size() > 500) {
    return Error(Errc::invalid_argument, "the description must be one line of at most 500 characters");
  }
  d.path = rel.string();
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
    fs::path rel(d.path);
    struct stat st {};
    if (!check_shareable(rel, d.path).ok() || !open_file_beneath(ws.root(), rel, &st).ok()) continue;
    out.push_back({d.name, d.description,
                   static_cast<UnixMillis>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1'000'000});
  }
  return out;
}

Result<fs::path> resolve_share(const Workspace& ws, std::string_view name) {
  BWOC_ASSIGN_OR_RETURN(fs::path rel, listed_path(ws, name));
  if (!open_file_beneath(ws.root(), rel).ok()) return Error(Errc::not_found, "no such shared document");
  return ws.root() / rel;
}

Result<std::string> read_share(const Workspace& ws, std::string_view name, std::size_t max_bytes) {
  BWOC_ASSIGN_OR_RETURN(fs::path rel, listed_path(ws, name));
  auto text = read_file_beneath(ws.root(), rel, max_bytes);
  if (!text.ok() && text.error().code() != Errc::invalid_argument) return Error(Errc::not_found, "no such shared document");
  return text;
}

}  // namespace bwoc
