#include "bwoc/core/routes_edit.h"

#include <functional>

#include "bwoc/core/files.h"
#include "toml_file.h"

namespace bwoc {

namespace {

constexpr std::size_t kMaxRoutesBytes = 4 << 20;

bool is_header(const std::string& l) {
  std::size_t i = l.find_first_not_of(" \t");
  return i != std::string::npos && l[i] == '[';
}

bool is_comment_or_blank(const std::string& l) {
  std::size_t i = l.find_first_not_of(" \t");
  return i == std::string::npos || l[i] == '#';
}

// The field a line sets, or "" for anything else.
std::string field_of(const std::string& l) {
  std::size_t i = l.find_first_not_of(" \t");
  if (i == std::string::npos || l[i] == '#' || l[i] == '[') return "";
  std::size_t end = l.find_first_of(" \t=", i);
  return l.substr(i, end == std::string::npos ? std::string::npos : end - i);
}

std::string join(const std::vector<std::string>& lines, bool final_newline) {
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    out += lines[i];
    if (i + 1 < lines.size() || final_newline) out += '\n';
  }
  return out;
}

// Runs `change` on the lines of `alias`'s table and writes the file back.
Status edit_peer(const Workspace& ws, const std::string& alias,
                 const std::function<Result<bool>(const PeerRoute&, std::vector<std::string>&)>& change) {
  BWOC_ASSIGN_OR_RETURN(FileLock lock, FileLock::acquire(ws.state_dir() / "routes.lock"));
  BWOC_ASSIGN_OR_RETURN(std::string text, read_file_bounded(ws.routes_file(), kMaxRoutesBytes));
  BWOC_ASSIGN_OR_RETURN(Routes current, Routes::parse(text, ws.routes_file(), ws.root()));
  const PeerRoute* peer = current.find(alias);
  if (peer == nullptr) return Error(Errc::not_found, "no peer \"" + alias + "\" in " + ws.routes_file().string());
  std::vector<std::string> lines = split_lines(text);
  auto [first, last] = peer_table_lines(lines, *peer);
  std::vector<std::string> table(lines.begin() + static_cast<std::ptrdiff_t>(first),
                                 lines.begin() + static_cast<std::ptrdiff_t>(last));
  BWOC_ASSIGN_OR_RETURN(bool changed, change(*peer, table));
  if (!changed) return ok_status();
  lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(first), lines.begin() + static_cast<std::ptrdiff_t>(last));
  lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(first), table.begin(), table.end());
  std::string out = join(lines, !text.empty() && text.back() == '\n');
  BWOC_ASSIGN_OR_RETURN(Routes after, Routes::parse(out, ws.routes_file(), ws.root()));
  if (after.peers().size() != current.peers().size() || after.find(alias) == nullptr) {
    return Error(Errc::internal, "could not change peer \"" + alias + "\" without touching the rest of routes.toml");
  }
  return write_file_atomic(ws.routes_file(), out, 0644);
}

// Sets `field` to `value` in a table: in place when the field is there,
// else after its last field.
void set_field(std::vector<std::string>& table, const std::string& field, const std::string& value) {
  std::size_t last_field = 0;
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (field_of(table[i]) == field) {
      table[i] = field + " = " + value;
      return;
    }
    if (!field_of(table[i]).empty() || is_header(table[i])) last_field = i;
  }
  table.insert(table.begin() + static_cast<std::ptrdiff_t>(last_field + 1), field + " = " + value);
}

void remove_field(std::vector<std::string>& table, const std::string& field) {
  std::erase_if(table, [&](const std::string& l) { return field_of(l) == field; });
}

// A comment line just above the table's header.
void add_comment(std::vector<std::string>& table, const std::string& comment) {
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (is_header(table[i])) {
      table.insert(table.begin() + static_cast<std::ptrdiff_t>(i), "# " + comment);
      return;
    }
  }
}

}  // namespace

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::pair<std::size_t, std::size_t> peer_table_lines(const std::vector<std::string>& lines, const PeerRoute& peer) {
  std::size_t first = static_cast<std::size_t>(peer.line) - 1;
  std::size_t last = first + 1;
  while (last < lines.size() && !is_header(lines[last])) ++last;
  // Comments just above the next table belong to it; those bwoc wrote above
  // this one belong to this one.
  while (last > first + 1 && last < lines.size() && is_comment_or_blank(lines[last - 1])) --last;
  while (first > 0 && (lines[first - 1].rfind("# added by `bwoc peer add`", 0) == 0 ||
                       lines[first - 1].rfind("# key ", 0) == 0)) {
    --first;
  }
  return {first, last};
}

Status repin_peer(const Workspace& ws, const std::string& alias, const PublicKey& next,
                  const std::optional<SealPublicKey>& seal_key, const std::optional<Signature>& seal_key_sig,
                  UnixMillis until, UnixMillis now) {
  return edit_peer(ws, alias, [&](const PeerRoute& peer, std::vector<std::string>& table) -> Result<bool> {
    if (peer.pubkey == next) return false;
    add_comment(table, "key " + peer.pubkey.fingerprint() + " rotated to " + next.fingerprint() + " at " +
                           format_timestamp(now) + " (a key.rotate signed by both)");
    set_field(table, "pubkey", toml_quote(next.to_text()));
    set_field(table, "previous_pubkey", toml_quote(peer.pubkey.to_text()));
    set_field(table, "previous_until", toml_quote(format_timestamp(until)));
    if (seal_key && seal_key_sig) {
      set_field(table, "seal_key", toml_quote(seal_key->to_text()));
      set_field(table, "seal_key_sig", toml_quote(seal_key_sig->to_base64()));
    } else {
      // The old X25519 key was signed by the old key only.
      remove_field(table, "seal_key");
      remove_field(table, "seal_key_sig");
      remove_field(table, "seal");
    }
    return true;
  });
}

Status revoke_peer_key(const Workspace& ws, const std::string& alias, const PublicKey& key, UnixMillis now) {
  return edit_peer(ws, alias, [&](const PeerRoute& peer, std::vector<std::string>& table) -> Result<bool> {
    if (peer.revoked) return false;
    if (peer.previous_pubkey && *peer.previous_pubkey == key) {
      // The pinned key came from this one's word (its key.rotate): whoever
      // held the leaked key may have rotated us to a key of his own, so the
      // key it handed over to is not trusted either.
      add_comment(table, "key " + key.fingerprint() + " (previous) revoked at " + format_timestamp(now) +
                             ": the key it rotated to, " + peer.pubkey.fingerprint() +
                             ", is not trusted either; add the peer again from a new invite");
    } else if (peer.pubkey == key) {
      add_comment(table, "key " + key.fingerprint() + " revoked at " + format_timestamp(now) +
                             ": nothing it signs is accepted; add the peer again from a new invite");
    } else {
      return false;
    }
    set_field(table, "revoked", toml_quote(format_timestamp(now)));
    return true;
  });
}

}  // namespace bwoc
