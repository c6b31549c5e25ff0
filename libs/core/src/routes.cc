#include "bwoc/core/routes.h"

#include <algorithm>
#include <set>
#include <system_error>

#include "bwoc/core/envelope.h"
#include "bwoc/core/files.h"
#include "bwoc/core/timestamp.h"
#include "toml_file.h"

namespace bwoc {

namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kLiveMaxAgeMs = 300'000;            // A2A: live
constexpr std::int64_t kStoredMaxAgeMs = 7 * 86'400'000LL;  // path and MQTT: store and forward

const std::set<std::string, std::less<>> kPeerFields = {
    "key",  "name", "pubkey",   "allowlist",    "path",            "url",            "mqtt",   "tier",
    "max_age", "agent", "seal", "seal_key", "seal_key_sig", "previous_pubkey", "previous_until", "revoked"};

// C0 controls and DEL: never part of a name, a path or an address.
bool is_control_byte(char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; }

bool is_valid_mqtt_topic_root(std::string_view t) {
  if (t.empty() || t.size() > 200 || t.front() == '/' || t.back() == '/') return false;
  for (char c : t) {
    if (c == '+' || c == '#' || is_control_byte(c)) return false;
  }
  return true;
}

// A URL is printable ASCII without spaces (RFC 3986: anything else is
// percent-encoded). Routes come from peers' invite codes too, and their URLs
// end up on terminals, in suggested commands and in systemd units: an escape
// sequence, a line break or a space in one is never an address.
bool is_plain_url_text(std::string_view url) {
  return std::all_of(url.begin(), url.end(), [](char c) { return c > 0x20 && c < 0x7F; });
}

Result<std::string> required_string(const fs::path& file, const toml::table& peer, std::string_view field,
                                    const toml::source_region& where) {
  const toml::node* node = peer.get(field);
  if (node == nullptr) return config_error(file, where, "[[peer]] is missing \"" + std::string(field) + "\"");
  auto value = node->value<std::string>();
  if (!value) return config_error(file, node, "\"" + std::string(field) + "\" must be a string");
  return *value;
}

Status parse_key_fields(const fs::path& file, const toml::table& t, PeerRoute& p);

// Typed fields are read with value_exact: toml++'s value<T>() converts, so
// `tier = true` would read as tier 1 and `max_age = 600.0` as 600 seconds.
Result<PeerRoute> parse_peer(const fs::path& file, const toml::table& t, const fs::path& root) {
  PeerRoute p;
  p.line = static_cast<int>(t.source().begin.line);
  for (const auto& [k, v] : t) {
    if (kPeerFields.count(k.str()) == 0) {
      return config_error(file, &v, "unknown field \"" + std::string(k.str()) +
                                        "\" in [[peer]] (known: key, name, pubkey, agent, allowlist, path, url, mqtt, tier, max_age, "
                                        "seal, seal_key, seal_key_sig, previous_pubkey, previous_until, revoked)");
    }
  }
  BWOC_ASSIGN_OR_RETURN(p.key, required_string(file, t, "key", t.source()));
  if (!is_valid_peer_key(p.key)) {
    return config_error(file, t.get("key"), "peer key \"" + p.key + "\" must be [a-z0-9][a-z0-9._-]{0,63}");
  }
  if (t.get("name") != nullptr) {
    BWOC_ASSIGN_OR_RETURN(p.name, required_string(file, t, "name", t.source()));
  } else {
    p.name = p.key;
  }
  BWOC_ASSIGN_OR_RETURN(std::string pubkey, required_string(file, t, "pubkey", t.source()));
  auto parsed_key = PublicKey::from_text(pubkey);
  if (!parsed_key.ok()) return config_error(file, t.get("pubkey"), parsed_key.error().message());
  p.pubkey = *parsed_key;

  if (const toml::node* n = t.get("agent")) {
    auto a = n->value<std::string>();
    if (!a || !is_valid_agent_name(*a)) return config_error(file, n, "\"agent\" must be an agent name, [a-z0-9][a-z0-9._-]{0,63}");
    p.agent = *a;
  }
  if (const toml::node* n = t.get("allowlist")) {
    auto b = n->value_exact<bool>();
    if (!b) return config_error(file, n, "\"allowlist\" must be true or false");
    p.allowlist = *b;
  }
  if (const toml::node* n = t.get("path")) {
    auto s = n->value<std::string>();
    if (!s || s->empty()) return config_error(file, n, "\"path\" must be a folder");
    if (std::any_of(s->begin(), s->end(), is_control_byte)) {
      return config_error(file, n, "\"path\" holds a control character");
    }
    fs::path path(*s);
    p.path = path.is_absolute() ? path : (root / path).lexically_normal();
  }
  if (const toml::node* n = t.get("url")) {
    auto s = n->value<std::string>();
    if (s && url_has_user_info(*s)) return config_error(file, n, url_user_info_error("\"url\"").message());
    if (!s || !(s->rfind("http://", 0) == 0 || s->rfind("https://", 0) == 0) || s->size() > 2048 ||
        !is_plain_url_text(*s)) {
      return config_error(file, n, "\"url\" must be an http:// or https:// URL");
    }
    p.url = *s;
  }
  if (const toml::node* n = t.get("mqtt")) {
    const toml::table* m = n->as_table();
    if (m == nullptr) return config_error(file, n, "\"mqtt\" must be a table: { broker = \"mqtt://host:1883\", topic = \"bwoc/" + p.key + "\" }");
    for (const auto& [k, v] : *m) {
      if (k.str() != "broker" && k.str() != "topic") {
        return config_error(file, &v, "unknown field \"" + std::string(k.str()) + "\" in mqtt (known: broker, topic)");
      }
    }
    MqttRoute route;
    auto broker = (*m)["broker"].value<std::string>();
    if (broker && url_has_user_info(*broker)) {
      return config_error(file, m->get("broker"), url_user_info_error("mqtt.broker").message());
    }
    if (!broker || !(broker->rfind("mqtt://", 0) == 0 || broker->rfind("mqtts://", 0) == 0) || broker->size() > 2048 ||
        !is_plain_url_text(*broker)) {
      return config_error(file, n, "mqtt.broker must be an mqtt:// or mqtts:// URL");
    }
    route.broker = *broker;
    route.topic = "bwoc/" + p.key;
    if (const toml::node* topic = m->get("topic")) route.topic = topic->value_exact<std::string>().value_or("");
    if (!is_valid_mqtt_topic_root(route.topic)) {
      return config_error(file, n, "mqtt.topic must be a topic root without wildcards, such as \"bwoc/" + p.key + "\"");
    }
    p.mqtt = route;
  }
  if (!p.path && !p.url && !p.mqtt) {
    return config_error(file, t.source(), "peer \"" + p.key + "\" has no way to reach it: give path, url or mqtt");
  }
  if (const toml::node* n = t.get("tier")) {
    auto tier = n->value_exact<std::int64_t>();
    if (!tier || *tier < 0 || *tier > 3) return config_error(file, n, "\"tier\" must be 0, 1, 2 or 3");
    p.tier = static_cast<int>(*tier);
  }
  if (const toml::node* n = t.get("max_age")) {
    Result<std::int64_t> ms = Error(Errc::invalid_argument, "");
    if (auto s = n->value_exact<std::string>()) {
      ms = parse_duration(*s);
    } else if (auto i = n->value_exact<std::int64_t>(); i && *i >= 0 && *i < 315'360'000) {
      ms = *i * 1000;
    }
    if (!ms.ok() || *ms <= 0) return config_error(file, n, "\"max_age\" must be a duration such as \"300s\" or \"7d\"");
    p.max_age_ms = *ms;
  }
  BWOC_RETURN_IF_ERROR(parse_key_fields(file, t, p));
  return p;
}

Result<UnixMillis> timestamp_field(const fs::path& file, const toml::node* n, std::string_view field) {
  auto s = n->value_exact<std::string>();
  auto ms = s ? parse_timestamp(*s) : Result<UnixMillis>(Error(Errc::invalid_argument, ""));
  if (!ms.ok()) return config_error(file, n, "\"" + std::string(field) + "\" must be a timestamp such as \"2026-11-22T08:00:00.000Z\"");
  return *ms;
}

// Sealing, rotation and revocation fields (issue 16).
Status parse_key_fields(const fs::path& file, const toml::table& t, PeerRoute& p) {
  if (const toml::node* n = t.get("seal")) {
    auto s = n->value_exact<std::string>();
    if (s && *s == "required") {
      p.seal = PeerRoute::Seal::required;
    } else if (s && *s == "never") {
      p.seal = PeerRoute::Seal::never;
    } else {
      return config_error(file, n, "\"seal\" must be \"required\" or \"never\" (leave it out to seal when the peer's key is known)");
    }
  }
  const toml::node* key = t.get("seal_key");
  const toml::node* sig = t.get("seal_key_sig");
  if ((key == nullptr) != (sig == nullptr)) {
    return config_error(file, key ? key : sig, "\"seal_key\" and \"seal_key_sig\" go together (both come from the peer's invite or `bwoc trust show`)");
  }
  if (key != nullptr) {
    auto k = key->value_exact<std::string>();
    auto parsed = k ? SealPublicKey::from_text(*k) : Result<SealPublicKey>(Error(Errc::invalid_argument, "must be a string"));
    if (!parsed.ok()) return config_error(file, key, "\"seal_key\": " + parsed.error().message());
    auto g = sig->value_exact<std::string>();
    auto parsed_sig = g ? Signature::from_base64(*g) : Result<Signature>(Error(Errc::invalid_argument, "must be a string"));
    if (!parsed_sig.ok()) return config_error(file, sig, "\"seal_key_sig\": " + parsed_sig.error().message());
    if (!verify_seal_key(p.pubkey, *parsed, *parsed_sig)) {
      return config_error(file, sig, "\"seal_key_sig\" is not the pinned key's signature over seal_key: refusing a seal key the peer did not sign");
    }
    p.seal_key = *parsed;
    p.seal_key_sig = *parsed_sig;
  }
  if (p.seal == PeerRoute::Seal::required && !p.seal_key) {
    return config_error(file, t.get("seal"), "seal = \"required\" needs the peer's seal_key (from its invite)");
  }
  const toml::node* previous = t.get("previous_pubkey");
  const toml::node* until = t.get("previous_until");
  if ((previous == nullptr) != (until == nullptr)) {
    return config_error(file, previous ? previous : until, "\"previous_pubkey\" and \"previous_until\" go together");
  }
  if (previous != nullptr) {
    auto k = previous->value_exact<std::string>();
    auto parsed = k ? PublicKey::from_text(*k) : Result<PublicKey>(Error(Errc::invalid_argument, "must be a string"));
    if (!parsed.ok()) return config_error(file, previous, "\"previous_pubkey\": " + parsed.error().message());
    p.previous_pubkey = *parsed;
    BWOC_ASSIGN_OR_RETURN(p.previous_until, timestamp_field(file, until, "previous_until"));
  }
  if (const toml::node* n = t.get("revoked")) {
    BWOC_ASSIGN_OR_RETURN(p.revoked, timestamp_field(file, n, "revoked"));
  }
  return ok_status();
}

}  // namespace

std::string_view via_name(Via via) {
  switch (via) {
    case Via::path: return "path";
    case Via::a2a: return "a2a";
    case Via::mqtt: return "mqtt";
  }
  return "path";
}

std::optional<Via> via_from_name(std::string_view name) {
  if (name == "path") return Via::path;
  if (name == "a2a" || name == "url") return Via::a2a;
  if (name == "mqtt") return Via::mqtt;
  return std::nullopt;
}

std::string key_state(const PeerRoute& peer, UnixMillis now) {
  if (peer.revoked) return "revoked " + format_timestamp(*peer.revoked) + ": needs a new invite";
  if (peer.previous_pubkey && peer.previous_until && now < *peer.previous_until) {
    return "rotated: old key " + peer.previous_pubkey->fingerprint() + " accepted until " +
           format_timestamp(*peer.previous_until);
  }
  return "pinned";
}

std::int64_t default_max_age_ms(Via via) { return via == Via::a2a ? kLiveMaxAgeMs : kStoredMaxAgeMs; }

bool is_valid_peer_key(std::string_view key) { return is_valid_agent_name(key); }

bool url_has_user_info(std::string_view url) { return url.find('@') != std::string_view::npos; }

Error url_user_info_error(std::string_view what) {
  return Error(Errc::invalid_argument,
               std::string(what) + ": a URL never carries a user name or password (user:password@host; bwoc refuses "
                                   "any '@' in it): remove it, and give an MQTT broker's user:password in a "
                                   "credentials file of mode 0600, named by --credentials or by `credentials` in "
                                   ".bwoc/mqtt.toml (see docs/MQTT.md)");
}

std::vector<Via> PeerRoute::transports() const {
  std::vector<Via> out;
  if (path) out.push_back(Via::path);
  if (url) out.push_back(Via::a2a);
  if (mqtt) out.push_back(Via::mqtt);
  return out;
}

Result<Routes> Routes::parse(std::string_view text, const fs::path& file, const fs::path& root) {
  BWOC_ASSIGN_OR_RETURN(toml::table table, parse_toml_text(text, file));
  Routes routes;
  for (const auto& [k, v] : table) {
    if (k.str() != "peer") {
      return config_error(file, &v, "unknown top-level entry \"" + std::string(k.str()) + "\" (routes.toml holds [[peer]] tables)");
    }
  }
  const toml::node* peers = table.get("peer");
  if (peers == nullptr) return routes;
  const toml::array* list = peers->as_array();
  if (list == nullptr) return config_error(file, peers, "peers are declared as [[peer]] tables");
  for (const toml::node& item : *list) {
    const toml::table* t = item.as_table();
    if (t == nullptr) return config_error(file, &item, "peers are declared as [[peer]] tables");
    BWOC_ASSIGN_OR_RETURN(PeerRoute p, parse_peer(file, *t, root));
    for (const PeerRoute& other : routes.peers_) {
      if (other.key == p.key) {
        return config_error(file, t->get("key"), "peer key \"" + p.key + "\" is declared twice (also on line " +
                                                     std::to_string(other.line) + ")");
      }
      if (other.pubkey == p.pubkey || (other.previous_pubkey && *other.previous_pubkey == p.pubkey) ||
          (p.previous_pubkey && *p.previous_pubkey == other.pubkey)) {
        return config_error(file, t->get("pubkey"), "peer \"" + p.key + "\" has the same pubkey as \"" + other.key +
                                                        "\" (line " + std::to_string(other.line) + ")");
      }
    }
    routes.peers_.push_back(std::move(p));
  }
  return routes;
}

Result<Routes> Routes::load(const fs::path& file, const fs::path& root) {
  std::error_code ec;
  if (!fs::exists(file, ec)) return Routes();
  BWOC_ASSIGN_OR_RETURN(std::string text, read_file_bounded(file, kMaxConfigBytes));
  return parse(text, file, root);
}

const PeerRoute* Routes::find(std::string_view key) const {
  for (const PeerRoute& p : peers_) {
    if (p.key == key) return &p;
  }
  return nullptr;
}

const PeerRoute* Routes::find_by_pubkey(const PublicKey& key) const {
  for (const PeerRoute& p : peers_) {
    if (p.pubkey == key || (p.previous_pubkey && *p.previous_pubkey == key)) return &p;
  }
  return nullptr;
}

const PeerRoute* Routes::find_sender(const PublicKey& key, UnixMillis now) const {
  for (const PeerRoute& p : peers_) {
    if (p.revoked) continue;
    if (p.pubkey == key) return &p;
    if (p.previous_pubkey && *p.previous_pubkey == key && p.previous_until && now < *p.previous_until) return &p;
  }
  return nullptr;
}

bool Routes::may_send_to_key(const PublicKey& key) const {
  const PeerRoute* p = find_by_pubkey(key);
  return p != nullptr && !p->revoked;
}

Status refuse_if_revoked(const PeerRoute& peer) {
  if (!peer.revoked) return ok_status();
  return Error(Errc::refused, "peer \"" + peer.key + "\" revoked its key at " + format_timestamp(*peer.revoked) +
                                  ": nothing is sent to it or read from it until it is added again from a new invite "
                                  "(`bwoc peer add CODE`)");
}

std::int64_t Routes::longest_max_age_ms() const {
  std::int64_t longest = kStoredMaxAgeMs;
  for (const PeerRoute& p : peers_) {
    if (p.max_age_ms) longest = std::max(longest, *p.max_age_ms);
  }
  return longest;
}

std::string format_peer(const PeerRoute& p) {
  std::string t = "[[peer]]\nkey = " + toml_quote(p.key) + "\nname = " + toml_quote(p.name) +
                  "\npubkey = " + toml_quote(p.pubkey.to_text()) + "\n";
  if (p.agent) t += "agent = " + toml_quote(*p.agent) + "\n";
  if (p.path) t += "path = " + toml_quote(p.path->string()) + "\n";
  if (p.url) t += "url = " + toml_quote(*p.url) + "\n";
  if (p.mqtt) t += "mqtt = { broker = " + toml_quote(p.mqtt->broker) + ", topic = " + toml_quote(p.mqtt->topic) + " }\n";
  if (p.seal == PeerRoute::Seal::required) t += "seal = \"required\"\n";
  if (p.seal == PeerRoute::Seal::never) t += "seal = \"never\"\n";
  if (p.seal_key && p.seal_key_sig) {
    t += "seal_key = " + toml_quote(p.seal_key->to_text()) + "\n";
    t += "seal_key_sig = " + toml_quote(p.seal_key_sig->to_base64()) + "\n";
  }
  return t;
}

}  // namespace bwoc
