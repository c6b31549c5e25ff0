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

constexpr std::string_view kSealSecretLinePrefix = "x25519-secret:";

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
  // Optional fields, each read by `parse` from its text.
  auto read = [&]<class T>(std::string_view field, std::optional<T>& into,
                           Result<T> (*parse)(std::string_view)) -> Status {
    const toml::node* n = table.get(field);
    if (n == nullptr) return ok_status();
    auto text = n->value<std::string>();
    if (!text) return config_error(file, n, "\"" + std::string(field) + "\" must be a string");
    auto parsed = parse(*text);
    if (!parsed.ok()) return config_error(file, n, "\"" + std::string(field) + "\": " + parsed.error().message());
    into = *parsed;
    return ok_status();
  };
  BWOC_RETURN_IF_ERROR(read("seal_key", id.seal_key, &SealPublicKey::from_text));
  BWOC_RETURN_IF_ERROR(read("seal_key_sig", id.seal_key_sig, &Signature::from_base64));
  BWOC_RETURN_IF_ERROR(read("previous_public_key", id.previous_public_key, &PublicKey::from_text));
  BWOC_RETURN_IF_ERROR(read("previous_seal_key", id.previous_seal_key, &SealPublicKey::from_text));
  BWOC_RETURN_IF_ERROR(read("previous_until", id.previous_until, &parse_timestamp));
  if (const toml::node* created = table.get("created")) {
    if (!created->is_string()) return config_error(file, created, "\"created\" must be a string");
    id.created = *created->value<std::string>();
  }
  return id;
}

// A fresh X25519 pair, its secret in the credential store, its public half
// signed by `signer` into `id`.
Status make_seal_key(const std::filesystem::path& file, const SecretKey& signer, Identity& id) {
  SealSecretKey seal = SealSecretKey::generate();
  BWOC_RETURN_IF_ERROR(write_secret_bytes_file(file, kSealSecretLinePrefix, seal.secret(), true));
  id.seal_key = seal.public_key();
  id.seal_key_sig = sign_seal_key(signer, seal.public_key());
  return ok_status();
}

}  // namespace

bool is_valid_workspace_name(std::string_view name) { return is_valid_agent_name(name); }

Status Workspace::write_identity() const {
  std::string text = "# bwoc workspace identity. It holds no secret: share it freely.\n";
  text += "name = " + toml_quote(identity_.name) + "\n";
  if (identity_.public_key) text += "public_key = " + toml_quote(identity_.public_key->to_text()) + "\n";
  if (identity_.seal_key) text += "seal_key = " + toml_quote(identity_.seal_key->to_text()) + "\n";
  if (identity_.seal_key_sig) text += "seal_key_sig = " + toml_quote(identity_.seal_key_sig->to_base64()) + "\n";
  if (identity_.previous_public_key && identity_.previous_until) {
    text += "previous_public_key = " + toml_quote(identity_.previous_public_key->to_text()) + "\n";
    if (identity_.previous_seal_key) text += "previous_seal_key = " + toml_quote(identity_.previous_seal_key->to_text()) + "\n";
    text += "previous_until = " + toml_quote(format_timestamp(*identity_.previous_until)) + "\n";
  }
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
  Identity identity;
  identity.name = std::string(name);
  identity.created = format_timestamp(now_millis());
  Workspace ws(root, std::move(identity));
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
  if (!force && identity_.public_key && !identity_.seal_key) {
    // A workspace from before sealed payloads: give it its X25519 pair.
    BWOC_ASSIGN_OR_RETURN(SecretKey key, load_secret_key());
    BWOC_RETURN_IF_ERROR(make_seal_key(seal_key_file(), key, identity_));
    BWOC_RETURN_IF_ERROR(write_identity());
    return key.public_key();
  }
  if (!force && (identity_.public_key || fs::exists(fs::symlink_status(secret_key_file(), ec)))) {
    return Error(Errc::already_exists, "workspace \"" + identity_.name +
                                           "\" already has a key: replacing it breaks every peer that pinned it; "
                                           "use --force if that is what you want");
  }
  SecretKey key = SecretKey::generate();
  BWOC_RETURN_IF_ERROR(write_secret_key_file(secret_key_file(), key, true));
  BWOC_RETURN_IF_ERROR(make_seal_key(seal_key_file(), key, identity_));
  identity_.public_key = key.public_key();
  identity_.previous_public_key.reset();
  identity_.previous_seal_key.reset();
  identity_.previous_until.reset();
  BWOC_RETURN_IF_ERROR(write_identity());
  fs::remove(previous_secret_key_file(), ec);
  fs::remove(previous_seal_key_file(), ec);
  BWOC_RETURN_IF_ERROR(ensure_node_folders());
  return key.public_key();
}

Result<SealPublicKey> Workspace::seal_key() const {
  if (!identity_.seal_key) {
    return Error(Errc::not_found, "workspace \"" + identity_.name + "\" has no X25519 key yet: run `bwoc trust --keygen`");
  }
  return *identity_.seal_key;
}

namespace {

Result<SealSecretKey> load_seal_file(const fs::path& file, const std::optional<SealPublicKey>& expected) {
  BWOC_ASSIGN_OR_RETURN(SecretBytes raw, load_secret_bytes_file(file, kSealSecretLinePrefix));
  SealSecretKey key = SealSecretKey::from_bytes(raw.bytes);
  if (!expected || !(key.public_key() == *expected)) {
    return Error(Errc::corrupt, "the X25519 secret in " + file.string() + " does not match identity.toml");
  }
  return key;
}

}  // namespace

Result<SealSecretKey> Workspace::load_seal_secret() const {
  BWOC_RETURN_IF_ERROR(seal_key());
  return load_seal_file(seal_key_file(), identity_.seal_key);
}

Result<SecretKey> Workspace::load_previous_secret_key() const {
  if (!identity_.previous_public_key) return Error(Errc::not_found, "no previous key");
  BWOC_ASSIGN_OR_RETURN(SecretKey key, load_secret_key_file(previous_secret_key_file()));
  if (!(key.public_key() == *identity_.previous_public_key)) {
    return Error(Errc::corrupt, "the secret in " + previous_secret_key_file().string() + " does not match identity.toml");
  }
  return key;
}

Result<SealSecretKey> Workspace::load_previous_seal_secret() const {
  if (!identity_.previous_seal_key) return Error(Errc::not_found, "no previous X25519 key");
  return load_seal_file(previous_seal_key_file(), identity_.previous_seal_key);
}

Result<Workspace::NextKeys> Workspace::prepare_rotation() {
  BWOC_RETURN_IF_ERROR(public_key());
  auto key = load_secret_key_file(next_secret_key_file());
  if (!key.ok()) {
    if (key.error().code() != Errc::not_found) return key.error();
    BWOC_RETURN_IF_ERROR(write_secret_key_file(next_secret_key_file(), SecretKey::generate(), true));
    key = load_secret_key_file(next_secret_key_file());
    if (!key.ok()) return key.error();
  }
  auto seal = load_secret_bytes_file(next_seal_key_file(), kSealSecretLinePrefix);
  if (!seal.ok()) {
    if (seal.error().code() != Errc::not_found) return seal.error();
    BWOC_RETURN_IF_ERROR(write_secret_bytes_file(next_seal_key_file(), kSealSecretLinePrefix,
                                                 SealSecretKey::generate().secret(), true));
    seal = load_secret_bytes_file(next_seal_key_file(), kSealSecretLinePrefix);
    if (!seal.ok()) return seal.error();
  }
  SealPublicKey seal_key = SealSecretKey::from_bytes(seal->bytes).public_key();
  Signature sig = sign_seal_key(*key, seal_key);
  return NextKeys{std::move(key).value(), seal_key, sig};
}

Result<PublicKey> Workspace::rotate(std::int64_t grace_ms, UnixMillis now) {
  BWOC_ASSIGN_OR_RETURN(NextKeys next, prepare_rotation());
  BWOC_ASSIGN_OR_RETURN(SecretKey old_key, load_secret_key());
  auto old_seal = load_seal_secret();
  BWOC_ASSIGN_OR_RETURN(SecretBytes next_seal, load_secret_bytes_file(next_seal_key_file(), kSealSecretLinePrefix));
  // The old secrets first: a crash half-way leaves the old identity and its keys whole.
  BWOC_RETURN_IF_ERROR(write_secret_key_file(previous_secret_key_file(), old_key, true));
  if (old_seal.ok()) {
    BWOC_RETURN_IF_ERROR(write_secret_bytes_file(previous_seal_key_file(), kSealSecretLinePrefix, old_seal->secret(), true));
  }
  Identity updated = identity_;
  updated.previous_public_key = old_key.public_key();
  updated.previous_seal_key = old_seal.ok() ? std::optional<SealPublicKey>(old_seal->public_key()) : std::nullopt;
  updated.previous_until = now + grace_ms;
  updated.public_key = next.key.public_key();
  updated.seal_key = next.seal_key;
  updated.seal_key_sig = next.seal_key_sig;
  BWOC_RETURN_IF_ERROR(write_secret_key_file(secret_key_file(), next.key, true));
  BWOC_RETURN_IF_ERROR(write_secret_bytes_file(seal_key_file(), kSealSecretLinePrefix, next_seal.bytes, true));
  identity_ = std::move(updated);
  BWOC_RETURN_IF_ERROR(write_identity());
  std::error_code ec;
  fs::remove(next_secret_key_file(), ec);
  fs::remove(next_seal_key_file(), ec);
  return identity_.public_key.value();
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
