// bwoc init: make a folder a workspace.
#include <iostream>

#include "bwoc/core/workspace.h"
#include "commands.h"

namespace bwoc::cli {

int run_init(Context& ctx, const InitOptions& o) {
  std::string name;
  if (o.name) {
    name = *o.name;
  } else {
    std::error_code ec;
    std::filesystem::path dir = std::filesystem::absolute(o.dir, ec).lexically_normal();
    name = dir.filename().string();
    if (name.empty()) name = dir.parent_path().filename().string();
    if (!is_valid_workspace_name(name)) {
      return usage(ctx, "the folder's name \"" + name + "\" is not a workspace name: give --name");
    }
  }
  auto ws = Workspace::init(o.dir, name);
  if (!ws.ok()) return fail(ctx, ws.error());
  std::cout << "Initialized workspace \"" << ws->name() << "\" in " << ws->root().string() << "\n";
  if (!o.keygen) {
    std::cout << "Next: `bwoc trust --keygen` to give it a key pair\n";
    return 0;
  }
  auto key = ws->keygen(false);
  if (!key.ok()) return fail(ctx, key.error());
  std::cout << "  public key   " << key->to_text() << "\n"
            << "  fingerprint  " << key->fingerprint() << "\n"
            << "Next: `bwoc agent add NAME`, then declare peers in .bwoc/routes.toml\n";
  return 0;
}

}  // namespace bwoc::cli
