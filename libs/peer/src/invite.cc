#include "bwoc/peer/invite.h"

#include "bwoc/core/envelope.h"

#include <algorithm>

#include "bwoc/core/encoding.h"
#include "bwoc/core/files.h"
#include "bwoc/core/json.h"
#include "bwoc/core/routes_edit.h"

namespace bwoc::peer {

namespace {

constexpr std::size_t kChecksumBytes = 4;

Error bad_code(const std::string& why) { return Error(Errc::invalid_argument, "invalid invite code: " + why); }

const std::string* string_member(const json::Value& v, const char* name) {
  const json::Value* m = v.find(name);
  return m != nullptr && m->is_string() ? &m->as_string() : nullptr;
}

}  // namespace

Status check_invite(const Invite& invite) {
  if (invite.url && url_has_user_info(*invite.url)) return url_user_info_error("the A2A url");
  if (invite.mqtt && url_has_user_info(invite.mqtt->broker)) return url_user_info_error("the MQTT broker URL");
  if (auto routes = Routes::parse(peer_table(invite, invite.name), "invite", "/"); !routes.ok()) return routes.error();
  return ok_status();
}

std::string encode_invite(const Invite& invite) {
  json::Value v = json::Value::object({{"v", 1}, {"name", invite.name}, {"pubkey", invite.pubkey.to_text()}});
  if (invite.agent) v.set("agent", *invite.agent);
  if (invite.seal_key && invite.seal_key_sig) {
    v.set("seal_key", invite.seal_key->to_text());
    v.set("seal_key_sig", invite.seal_key_sig->to_base64());
  }
  if (invite.path) v.set("path", *invite.path);
  if (invite.url) v.set("url", *invite.url);
  if (invite.mqtt) v.set("mqtt", json::Value::object({{"broker", invite.mqtt->broker}, {"topic", invite.mqtt->topic}}));
  std::string payload = json::write(v);
  auto digest = blake2b_256(payload);
  payload.append(reinterpret_cast<const char*>(digest.data()), kChecksumBytes);
  return std::string(kInvitePrefix) + base64url_encode(as_bytes(payload));
}

Result<Invite> decode_invite(std::string_view code) {
  // Chat apps add spaces and line breaks; nothing else is forgiven.
  std::string text;
  for (char c : code.substr(0, kMaxInviteCode + 64)) {
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') text += c;
  }
  if (text.size() > kMaxInviteCode) return bad_code("longer than any invite code");
  if (text.rfind(kInvitePrefix, 0) != 0) {
    return bad_code("it does not start with \"" + std::string(kInvitePrefix) + "\": is it a bwoc invite?");
  }
  auto raw = base64url_decode(std::string_view(text).substr(kInvitePrefix.size()));
  if (!raw || raw->size() <= kChecksumBytes) return bad_code("it is damaged or cut short: copy it again");
  std::string payload(raw->begin(), raw->end() - kChecksumBytes);
  auto digest = blake2b_256(payload);
  if (!std::equal(digest.begin(), digest.begin() + kChecksumBytes, raw->end() - kChecksumBytes)) {
    return bad_code("its checksum does not match (damaged or altered): copy it again");
  }
  auto doc = json::parse(payload, {kMaxInviteCode, 8});
  if (!doc.ok() || !doc->is_object()) return bad_code("it does not hold an invite");
  const json::Value* version = doc->find("v");
  if (version == nullptr || !version->is_number() || version->as_number() != 1) {
    return bad_code("it is of a version this bwoc does not know");
  }
  for (const auto& m : doc->members()) {
    static constexpr std::string_view kKnown[] = {"v", "name", "pubkey", "agent", "path", "url", "mqtt", "seal_key", "seal_key_sig"};
    if (std::find(std::begin(kKnown), std::end(kKnown), m.name) == std::end(kKnown)) {
      return bad_code("it holds an unknown field \"" + m.name + "\"");
    }
  }
  Invite invite;
  const std::string* name = string_member(*doc, "name");
  const std::string* pubkey = string_member(*doc, "pubkey");
  if (name == nullptr || !is_valid_workspace_name(*name)) return bad_code("it holds no valid workspace name");
  if (pubkey == nullptr) return bad_code("it holds no public key");
  auto key = PublicKey::from_text(*pubkey);
  if (!key.ok()) return bad_code(key.error().message());
  invite.name = *name;
  invite.pubkey = *key;
  if (const std::string* a = string_member(*doc, "agent")) {
    if (!is_valid_agent_name(*a)) return bad_code("its agent is not an agent name");
    invite.agent = *a;
  }
  const std::string* seal_key = string_member(*doc, "seal_key");
  const std::string* seal_key_sig = string_member(*doc, "seal_key_sig");
  if (seal_key != nullptr || seal_key_sig != nullptr) {
    auto k = seal_key ? SealPublicKey::from_text(*seal_key) : Result<SealPublicKey>(Error(Errc::invalid_argument, "missing"));
    auto s = seal_key_sig ? Signature::from_base64(*seal_key_sig) : Result<Signature>(Error(Errc::invalid_argument, "missing"));
    if (!k.ok() || !s.ok() || !verify_seal_key(invite.pubkey, *k, *s)) {
      return bad_code("its seal key is not signed by its public key");
    }
    invite.seal_key = *k;
    invite.seal_key_sig = *s;
  }
  if (const std::string* p = string_member(*doc, "path")) invite.path = *p;
  if (const std::string* u = string_member(*doc, "url")) invite.url = *u;
  if (const json::Value* m = doc->find("mqtt")) {
    const std::string* broker = string_member(*m, "broker");
    const std::string* topic = string_member(*m, "topic");
    if (broker == nullptr || topic == nullptr) return bad_code("its mqtt endpoint needs a broker and a topic");
    invite.mqtt = MqttRoute{*broker, *topic};
  }
  if (invite.path && !std::filesystem::path(*invite.path).is_absolute()) {
    return bad_code("its path is not absolute");
  }
  if (Status st = check_invite(invite); !st.ok()) return bad_code(st.error().message());
  return invite;
}

std::string peer_table(const Invite& invite, const std::string& alias) {
  PeerRoute p;
  p.key = alias;
  p.name = invite.name;
  p.pubkey = invite.pubkey;
  p.agent = invite.agent;
  p.seal_key = invite.seal_key;
  p.seal_key_sig = invite.seal_key_sig;
  if (invite.path) p.path = *invite.path;
  p.url = invite.url;
  p.mqtt = invite.mqtt;
  return format_peer(p);
}

namespace {

// `text` without `peer`'s [[peer]] table (and the comments bwoc wrote above it).
std::string without_peer(const std::string& text, const PeerRoute& peer) {
  std::vector<std::string> lines = split_lines(text);
  auto [first, last] = peer_table_lines(lines, peer);
  while (first > 0 && lines[first - 1].empty()) --first;
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i >= first && i < last) continue;
    out += lines[i];
    if (i + 1 < lines.size() || (!text.empty() && text.back() == '\n')) out += '\n';
  }
  return out;
}

}  // namespace

Status add_peer(const Workspace& ws, const Invite& invite, const std::string& alias) {
  if (!is_valid_peer_key(alias)) return Error(Errc::invalid_argument, "\"" + alias + "\" is not a valid peer key");
  BWOC_ASSIGN_OR_RETURN(FileLock lock, FileLock::acquire(ws.state_dir() / "routes.lock"));
  std::string text;
  std::error_code ec;
  if (std::filesystem::exists(ws.routes_file(), ec)) {
    BWOC_ASSIGN_OR_RETURN(text, read_file_bounded(ws.routes_file(), 4 << 20));
  }
  BWOC_ASSIGN_OR_RETURN(Routes current, Routes::parse(text, ws.routes_file(), ws.root()));
  std::string replaced;
  if (const PeerRoute* existing = current.find(alias); existing != nullptr) {
    // A peer whose key was revoked comes back with a new invite, under its alias.
    if (!existing->revoked) {
      return Error(Errc::already_exists, "a peer \"" + alias + "\" is already declared: choose another --key");
    }
    if (existing->pubkey == invite.pubkey || (existing->previous_pubkey && *existing->previous_pubkey == invite.pubkey)) {
      return Error(Errc::refused, "this invite holds the key peer \"" + alias + "\" revoked: ask it for a new invite");
    }
    replaced = "# key " + existing->pubkey.fingerprint() + " of peer \"" + alias + "\" was revoked at " +
               format_timestamp(*existing->revoked) + "; declared again from a new invite\n";
    text = without_peer(text, *existing);
    BWOC_ASSIGN_OR_RETURN(current, Routes::parse(text, ws.routes_file(), ws.root()));
  }
  if (const PeerRoute* same = current.find_by_pubkey(invite.pubkey)) {
    return Error(Errc::already_exists, "this key is already declared as peer \"" + same->key + "\"");
  }
  if (ws.public_key().ok() && *ws.public_key() == invite.pubkey) {
    return Error(Errc::invalid_argument, "this invite is this workspace's own");
  }
  if (!text.empty() && text.back() != '\n') text += '\n';
  if (!text.empty()) text += '\n';
  text += replaced;
  text += "# added by `bwoc peer add` (fingerprint " + invite.pubkey.fingerprint() + ")\n";
  text += peer_table(invite, alias);
  if (auto check = Routes::parse(text, ws.routes_file(), ws.root()); !check.ok()) return check.error();
  return write_file_atomic(ws.routes_file(), text, 0644);
}

Status remove_peer(const Workspace& ws, const std::string& alias) {
  BWOC_ASSIGN_OR_RETURN(FileLock lock, FileLock::acquire(ws.state_dir() / "routes.lock"));
  BWOC_ASSIGN_OR_RETURN(std::string text, read_file_bounded(ws.routes_file(), 4 << 20));
  BWOC_ASSIGN_OR_RETURN(Routes current, Routes::parse(text, ws.routes_file(), ws.root()));
  const PeerRoute* peer = current.find(alias);
  if (peer == nullptr) return Error(Errc::not_found, "no peer \"" + alias + "\" in " + ws.routes_file().string());
  std::string out = without_peer(text, *peer);
  BWOC_ASSIGN_OR_RETURN(Routes after, Routes::parse(out, ws.routes_file(), ws.root()));
  if (after.find(alias) != nullptr || after.peers().size() + 1 != current.peers().size()) {
    return Error(Errc::internal, "could not remove peer \"" + alias + "\" without touching the rest of routes.toml");
  }
  return write_file_atomic(ws.routes_file(), out, 0644);
}

}  // namespace bwoc::peer
