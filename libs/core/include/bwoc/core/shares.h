// The documents a workspace shares with its peers: the allowlist in
// .bwoc/interconnect/shared.toml, one [[doc]] table per document.
//
// A shared document is a regular file inside the workspace, outside .bwoc/
// (keys, state) and outside every agent's memories/ (inboxes), named by a
// path relative to the workspace root. Peers see only what is listed here
// (`bwoc peer learn`), and only what is reached through that path without a
// symbolic link on any component and has a single link: a file swapped for a
// symlink, or a hard link to a secret, is served to no one (files.h).
#ifndef BWOC_CORE_SHARES_H_
#define BWOC_CORE_SHARES_H_

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bwoc/core/result.h"
#include "bwoc/core/timestamp.h"
#include "bwoc/core/workspace.h"

namespace bwoc {

struct SharedDoc {
  std::string name;         // [A-Za-z0-9._-]{1,64}, what peers ask for
  std::string path;         // relative to the workspace root
  std::string description;  // one line
};

bool is_valid_share_name(std::string_view name);

Result<std::vector<SharedDoc>> load_shares(const Workspace& ws);

// Adds `file` (a path given by the user, relative to the current folder) to
// the allowlist under `name` (default: the file's stem), as its path once
// symlinks are resolved. Refuses files outside the workspace, inside .bwoc/
// or an agent's memories/, files with other hard links, and names already
// used.
Result<SharedDoc> add_share(const Workspace& ws, const std::filesystem::path& file, std::optional<std::string> name,
                            std::string description);
Status remove_share(const Workspace& ws, const std::string& name);

// What peers see of the allowlist: each document whose file is there and
// safe now, with when it last changed. Missing or unsafe ones are left out,
// as if not listed.
struct SharedFile {
  std::string name, description;
  UnixMillis modified = 0;
};
Result<std::vector<SharedFile>> shared_files(const Workspace& ws);

// The file behind a shared name, checked again now (it may have been replaced
// by a symlink since it was added): the same not_found for a name that is
// not on the allowlist and for a file that is missing or no longer safe.
Result<std::filesystem::path> resolve_share(const Workspace& ws, std::string_view name);

// The text of a shared document, opened as above (so no check can be raced
// between looking and reading): not_found alike for a name not on the
// allowlist and a file that is missing or unsafe; invalid_argument when it
// is larger than `max_bytes`.
Result<std::string> read_share(const Workspace& ws, std::string_view name, std::size_t max_bytes);

}  // namespace bwoc

#endif  // BWOC_CORE_SHARES_H_
