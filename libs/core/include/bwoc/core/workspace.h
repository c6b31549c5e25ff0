// A bwoc workspace: a folder with agents, whose `.bwoc/` holds the node's
// identity, peers, keys and state.
//
//   .bwoc/identity.toml              name and public key (safe to share)
//   .bwoc/routes.toml                declared peers (routes.h)
//   .bwoc/interconnect/shared.toml   documents this workspace shares
//   .bwoc/credentials/               the secret key (0700 folder, 0600 file)
//   .bwoc/state/                     seen ids, refusal log, tasks, trust (node-private)
//   .bwoc/drop/{tmp,new}/            the path transport's drop folder
//   .bwoc/quarantine/                drop entries that were refused
//   agents/NAME/config.manifest.json an agent, with agents/NAME/memories/inbox.jsonl
#ifndef BWOC_CORE_WORKSPACE_H_
#define BWOC_CORE_WORKSPACE_H_

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bwoc/core/keys.h"
#include "bwoc/core/result.h"
#include "bwoc/core/seal.h"
#include "bwoc/core/timestamp.h"

namespace bwoc {

struct Identity {
  std::string name;
  std::optional<PublicKey> public_key;  // absent until `bwoc trust --keygen`
  // The X25519 key sealed payloads are sealed to, and the Ed25519 key's
  // signature over it (seal.h: seal_key_statement).
  std::optional<SealPublicKey> seal_key;
  std::optional<Signature> seal_key_sig;
  // After `bwoc trust rotate`: the key pair it replaced, still honoured (as
  // audience, and to open what was sealed to it) until `previous_until`.
  std::optional<PublicKey> previous_public_key;
  std::optional<SealPublicKey> previous_seal_key;
  std::optional<UnixMillis> previous_until;
  std::string created;                  // as written in identity.toml
};

// A workspace name: what peers call it and what MQTT topics carry
// ([a-z0-9][a-z0-9._-]{0,63}, like an agent name).
bool is_valid_workspace_name(std::string_view name);

class Workspace {
 public:
  // Creates a workspace at `root` (which may exist but must not hold one).
  static Result<Workspace> init(const std::filesystem::path& root, std::string_view name);
  // Opens the workspace whose root is `root`.
  static Result<Workspace> open(const std::filesystem::path& root);
  // Opens another workspace to read what it publishes (a path peer): its
  // identity is read without following a symbolic link or a hard link below
  // `root` (files.h, read_file_beneath), and so is everything shared.h and
  // export.h read from it afterwards.
  static Result<Workspace> open_peer(const std::filesystem::path& root);
  // Finds the workspace: `explicit_root` if given, else $BWOC_WORKSPACE, else
  // the nearest folder holding .bwoc/identity.toml from the current folder up.
  static Result<Workspace> locate(const std::optional<std::filesystem::path>& explicit_root);

  const std::filesystem::path& root() const { return root_; }
  const Identity& identity() const { return identity_; }
  const std::string& name() const { return identity_.name; }

  std::filesystem::path bwoc_dir() const { return root_ / ".bwoc"; }
  std::filesystem::path identity_file() const { return bwoc_dir() / "identity.toml"; }
  std::filesystem::path routes_file() const { return bwoc_dir() / "routes.toml"; }
  std::filesystem::path shared_file() const { return bwoc_dir() / "interconnect" / "shared.toml"; }
  std::filesystem::path credentials_dir() const { return bwoc_dir() / "credentials"; }
  std::filesystem::path secret_key_file() const { return credentials_dir() / "ed25519.secret"; }
  std::filesystem::path seal_key_file() const { return credentials_dir() / "x25519.secret"; }
  std::filesystem::path previous_secret_key_file() const { return credentials_dir() / "previous-ed25519.secret"; }
  std::filesystem::path previous_seal_key_file() const { return credentials_dir() / "previous-x25519.secret"; }
  std::filesystem::path next_secret_key_file() const { return credentials_dir() / "next-ed25519.secret"; }
  std::filesystem::path next_seal_key_file() const { return credentials_dir() / "next-x25519.secret"; }
  std::filesystem::path state_dir() const { return bwoc_dir() / "state"; }
  std::filesystem::path drop_dir() const { return bwoc_dir() / "drop"; }
  std::filesystem::path quarantine_dir() const { return bwoc_dir() / "quarantine"; }
  std::filesystem::path export_dir() const { return bwoc_dir() / "export"; }
  std::filesystem::path refusal_log_file() const { return state_dir() / "refusals.jsonl"; }
  std::filesystem::path agents_dir() const { return root_ / "agents"; }
  std::filesystem::path agent_dir(std::string_view agent) const { return agents_dir() / std::string(agent); }
  std::filesystem::path manifest_file(std::string_view agent) const {
    return agent_dir(agent) / "config.manifest.json";
  }
  std::filesystem::path inbox_file(std::string_view agent) const {
    return agent_dir(agent) / "memories" / "inbox.jsonl";
  }

  // The public key, or an error telling the user to run `bwoc trust --keygen`.
  Result<PublicKey> public_key() const;
  Result<SecretKey> load_secret_key() const;
  // Makes the workspace key pairs (Ed25519 and X25519); refuses to replace
  // them unless `force`. A workspace with an Ed25519 key and no X25519 key
  // (made before sealing existed) gets its X25519 pair without `force`.
  // Also makes what peers need to reach it by path (ensure_node_folders).
  Result<PublicKey> keygen(bool force);

  // Makes what a node needs and a copied or checked-out workspace may lack
  // (git keeps no empty folder): the drop folder (tmp/, new/) path peers
  // write into, the quarantine and the state folder; and the export path
  // peers read (.bwoc/export/status.json), when there is none yet. Does
  // nothing to what is there already.
  Status ensure_node_folders() const;

  // The X25519 key others seal to, or an error telling the user to run
  // `bwoc trust --keygen`.
  Result<SealPublicKey> seal_key() const;
  Result<SealSecretKey> load_seal_secret() const;
  // The previous key pair while its grace period runs (after a rotation).
  Result<SecretKey> load_previous_secret_key() const;
  Result<SealSecretKey> load_previous_seal_secret() const;

  // A rotation in two steps, so that peers hear of the new key before it
  // signs anything. The next key pairs, made now (or those an interrupted
  // rotation made: a key peers may already have pinned is never lost), kept
  // in the credential store until rotate() puts them in place.
  struct NextKeys {
    SecretKey key;
    SealPublicKey seal_key;
    Signature seal_key_sig;  // by the next key
  };
  Result<NextKeys> prepare_rotation();
  // Puts the next key pairs in place, and keeps the current ones as the
  // previous pair for `grace_ms` from `now`. Returns the new Ed25519 key.
  Result<PublicKey> rotate(std::int64_t grace_ms, UnixMillis now);

  // Agents: folders under agents/ with a valid name and a manifest.
  std::vector<std::string> agents() const;
  bool has_agent(std::string_view name) const;
  Status add_agent(std::string_view name, std::string_view description);

 private:
  Workspace(std::filesystem::path root, Identity identity)
      : root_(std::move(root)), identity_(std::move(identity)) {}
  Status write_identity() const;
  Status make_node_folders() const;

  std::filesystem::path root_;
  Identity identity_;
};

}  // namespace bwoc

#endif  // BWOC_CORE_WORKSPACE_H_
