#include "bwoc/core/workspace.h"

#include "bwoc/core/export.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <system_error>

#include "bwoc/core/envelope.h"
#include "bwoc/core/files.h"
#include "bwoc/core/json.h"
#include "toml_file.h"

namespace bwoc {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kRoutesTemplate = R"(# Peers of this workspace: other bwoc workspaces it talks to.
#
# Each [[peer]] pins a workspace by its public key. An envelope is accepted
# only when it is signed by the key pinned here (or by this workspace itself);
# anything else is refused and logged. A peer is reached by the first of
# path, url and mqtt that works, unless a command's --via says otherwise.
#
# [[peer]]
# key = "oracle"                        # local alias used in bwoc commands (by convention its name)
# name = "Oracle Workspace"             # a label for people
# pubkey = "ed25519:<base64>"           # from the peer's `bwoc trust show` or invite code
# allowlist = true                      # honour the peer's shared.toml allowlist
# path = "/srv/workspaces/oracle"       # a workspace on this machine or a mounted file system
# url = "http://oracle.example:8080"    # its `bwoc a2a serve` listener
# mqtt = { broker = "mqtt://broker.example:1883", topic = "bwoc/oracle" }
# tier = 1                              # trust tier 0-3 (UNTRUSTED, KNOWN, INTERNAL, PRIVILEGED); 1 if absent
# max_age = "7d"                        # oldest envelope accepted from it (default: 300s over A2A, 7d otherwise)
)";

constexpr std::string_view kSharedTemplate = R"(# Documents this workspace shares with its peers (`bwoc peer learn`).
# Only what is listed here can be read; manage it with `bwoc share add/list/remove`.
#
# [[doc]]
# name = "DESIGN"                       # what peers ask for
# path = "docs/design.md"               # relative to the workspace root
# description = "How the system is built"
)";

constexpr std::string_view kGitignore = R"(# bwoc: the credential store and node state never belong in git.
.bwoc/credentials/
.bwoc/state/
.bwoc/drop/
.bwoc/quarantine/
)";

Result<Identity> identity_from_text(std::string_view toml_text, const fs::path& file) {
  BWOC_ASSIGN_OR_RETURN(toml::table table, parse_toml_text(toml_text, file));
  Identity id;
  auto name = table["name"].value<std::string>();
  if (!name || !is_valid_workspace_name(*name)) {
    return config_error(file, table.get("name"), "\"name\" must be a workspace name ([a-z0-9][a-z0-9._-]{0,63})");
  }
  id.name = *name;
  if (const toml::node* pk = table.get("public_key")) {
    auto text = pk->value<std::string>();
    if (!text) return config_error(file, pk, "\"public_key\" must be a string");
    auto parsed = PublicKey::from_text(*text);
    if (!parsed.ok()) return config_error(file, pk, parsed.error().message());
    id.public_key = *parsed;
  }
  if (const toml::node* created = table.get("created")) {
    if (!created->is_string()) return config_error(file, created, "\"created\" must be a string");
    id.created = *created->value<std::string>();
  }
  return id;
}

}  // namespace

bool is_valid_workspace_name(std::string_view name) { return is_valid_agent_name(name); }

Status Workspace::write_identity() const {
  std::string text = "# bwoc workspace identity. It holds no secret: share it freely.\n";
  text += "name = " + toml_quote(identity_.name) + "\n";
  if (identity_.public_key) text += "public_key = " + toml_quote(identity_.public_key->to_text()) + "\n";
  if (!identity_.created.empty()) text += "created = " + toml_quote(identity_.created) + "\n";
  return write_file_atomic(identity_file(), text, 0644);
}

Result<Workspace> Workspace::init(const fs::path& root_in, std::string_view name) {
  if (!is_valid_workspace_name(name)) {
    return Error(Errc::invalid_argument,
                 "\"" + std::string(name) + "\" is not a workspace name: use [a-z0-9][a-z0-9._-]{0,63}");
  }
  std::error_code ec;
  fs::path root = fs::absolute(root_in, ec);
  if (ec) return Error(Errc::invalid_argument, "invalid folder " + root_in.string());
  if (fs::exists(root / ".bwoc" / "identity.toml", ec)) {
    return Error(Errc::already_exists, root.string() + " already holds a bwoc workspace");
  }
  BWOC_RETURN_IF_ERROR(ensure_directory(root, 0755));
  root = fs::canonical(root, ec);
  Workspace ws(root, Identity{std::string(name), std::nullopt, format_timestamp(now_millis())});
  BWOC_RETURN_IF_ERROR(ensure_directory(ws.bwoc_dir(), 0755));
  BWOC_RETURN_IF_ERROR(ensure_directory(ws.bwoc_dir() / "interconnect", 0755));
  BWOC_RETURN_IF_ERROR(ensure_directory(ws.credentials_dir(), 0700));
  BWOC_RETURN_IF_ERROR(ws.make_node_folders());
  BWOC_RETURN_IF_ERROR(ensure_directory(ws.agents_dir(), 0755));
  if (!fs::exists(ws.routes_file(), ec)) BWOC_RETURN_IF_ERROR(write_file_atomic(ws.routes_file(), kRoutesTemplate));
  if (!fs::exists(ws.shared_file(), ec)) BWOC_RETURN_IF_ERROR(write_file_atomic(ws.shared_file(), kSharedTemplate));
  fs::path gitignore = root / ".gitignore";
  if (!fs::exists(gitignore, ec)) {
    BWOC_RETURN_IF_ERROR(write_file_atomic(gitignore, kGitignore));
  } else {
    // Keep the user's file; add our lines if the credential store is not covered.
    BWOC_ASSIGN_OR_RETURN(std::string existing, read_file_bounded(gitignore, kMaxConfigBytes));
    if (existing.find(".bwoc/credentials") == std::string::npos) {
      if (!existing.empty() && existing.back() != '\n') existing += '\n';
      existing += kGitignore;
      BWOC_RETURN_IF_ERROR(write_file_atomic(gitignore, existing));
    }
  }
  BWOC_RETURN_IF_ERROR(ws.write_identity());
  return ws;
}

Result<Workspace> Workspace::open(const fs::path& root_in) {
  std::error_code ec;
  fs::path root = fs::absolute(root_in, ec);
  fs::path identity = root / ".bwoc" / "identity.toml";
  if (!fs::exists(identity, ec)) {
    return Error(Errc::not_found, "no bwoc workspace at " + root.string() + " (no .bwoc/identity.toml): run `bwoc init`");
  }
  root = fs::canonical(root, ec);
  if (ec) return Error(Errc::not_found, "cannot resolve " + root_in.string());
  BWOC_ASSIGN_OR_RETURN(std::string text, read_file_bounded(identity, kMaxConfigBytes));
  BWOC_ASSIGN_OR_RETURN(Identity id, identity_from_text(text, identity));
  return Workspace(root, std::move(id));
}

Result<Workspace> Workspace::open_peer(const fs::path& root_in) {
  std::error_code ec;
  fs::path root = fs::canonical(root_in, ec);
  if (ec) return Error(Errc::not_found, "no bwoc workspace at " + root_in.string());
  fs::path identity = root / ".bwoc" / "identity.toml";
  auto text = read_file_beneath(root, identity.lexically_relative(root), kMaxConfigBytes);
  if (!text.ok() && text.error().code() == Errc::not_found) {
    return Error(Errc::not_found, "no bwoc workspace at " + root.string() + " (no .bwoc/identity.toml)");
  }
  if (!text.ok()) return text.error();
  BWOC_ASSIGN_OR_RETURN(Identity id, identity_from_text(*text, identity));
  return Workspace(root, std::move(id));
}

Result<Workspace> Workspace::locate(const std::optional<fs::path>& explicit_root) {
  if (explicit_root) return open(*explicit_root);
  if (const char* env = std::getenv("BWOC_WORKSPACE"); env != nullptr && *env != '\0') {
    auto ws = open(env);
    if (!ws.ok()) return ws.error().context("BWOC_WORKSPACE");
    return ws;
  }
  std::error_code ec;
  fs::path dir = fs::current_path(ec);
  if (ec) return Error(Errc::not_found, "cannot read the current folder");
  for (fs::path p = dir;; p = p.parent_path()) {
    if (fs::exists(p / ".bwoc" / "identity.toml", ec)) return open(p);
    if (p == p.parent_path()) break;
  }
  return Error(Errc::not_found, "not inside a bwoc workspace (searched from " + dir.string() +
                                    " upwards): run `bwoc init`, or pass --workspace DIR");
}

Result<PublicKey> Workspace::public_key() const {
  if (!identity_.public_key) {
    return Error(Errc::not_found, "workspace \"" + identity_.name + "\" has no key yet: run `bwoc trust --keygen`");
  }
  return *identity_.public_key;
}

Result<SecretKey> Workspace::load_secret_key() const {
  BWOC_ASSIGN_OR_RETURN(PublicKey expected, public_key());
  BWOC_ASSIGN_OR_RETURN(SecretKey key, load_secret_key_file(secret_key_file()));
  if (!(key.public_key() == expected)) {
    return Error(Errc::corrupt, "the secret key in " + secret_key_file().string() +
                                    " does not match the public key in identity.toml: run `bwoc trust --keygen --force`");
  }
  return key;
}

Result<PublicKey> Workspace::keygen(bool force) {
  std::error_code ec;
  if (!force && (identity_.public_key || fs::exists(fs::symlink_status(secret_key_file(), ec)))) {
    return Error(Errc::already_exists, "workspace \"" + identity_.name +
                                           "\" already has a key: replacing it breaks every peer that pinned it; "
                                           "use --force if that is what you want");
  }
  SecretKey key = SecretKey::generate();
  BWOC_RETURN_IF_ERROR(write_secret_key_file(secret_key_file(), key, true));
  identity_.public_key = key.public_key();
  BWOC_RETURN_IF_ERROR(write_identity());
  BWOC_RETURN_IF_ERROR(ensure_node_folders());
  return key.public_key();
}

Status Workspace::make_node_folders() const {
  BWOC_RETURN_IF_ERROR(ensure_directory(state_dir(), 0700));
  BWOC_RETURN_IF_ERROR(ensure_directory(drop_dir() / "tmp", 0700));
  BWOC_RETURN_IF_ERROR(ensure_directory(drop_dir() / "new", 0700));
  return ensure_directory(quarantine_dir(), 0700);
}

Status Workspace::ensure_node_folders() const {
  BWOC_RETURN_IF_ERROR(make_node_folders());
  std::error_code ec;
  if (!fs::exists(export_dir() / "status.json", ec)) return write_export(*this);
  return ok_status();
}

std::vector<std::string> Workspace::agents() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(agents_dir(), ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (is_valid_agent_name(name) && fs::is_regular_file(it->path() / "config.manifest.json", ec)) {
      out.push_back(name);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool Workspace::has_agent(std::string_view name) const {
  if (!is_valid_agent_name(name)) return false;
  std::error_code ec;
  return fs::is_regular_file(manifest_file(name), ec);
}

Status Workspace::add_agent(std::string_view name, std::string_view description) {
  if (!is_valid_agent_name(name)) {
    return Error(Errc::invalid_argument,
                 "\"" + std::string(name) + "\" is not an agent name: use [a-z0-9][a-z0-9._-]{0,63}");
  }
  if (has_agent(name)) return Error(Errc::already_exists, "agent \"" + std::string(name) + "\" already exists");
  if (!json::is_valid_utf8(description)) return Error(Errc::invalid_argument, "the description is not valid UTF-8");
  BWOC_RETURN_IF_ERROR(ensure_directory(agent_dir(name) / "memories", 0755));
  json::Value manifest = json::Value::object({{"name", std::string(name)},
                                              {"description", std::string(description)},
                                              {"skills", json::Value::array()}});
  BWOC_RETURN_IF_ERROR(write_file_exclusive(manifest_file(name), json::write_pretty(manifest) + "\n", 0644));
  refresh_export(*this);
  return ok_status();
}

}  // namespace bwoc
