// bwoc trust: the workspace's key pair.
#include <iostream>

#include "bwoc/core/workspace.h"
#include "commands.h"

namespace bwoc::cli {

int run_trust_keygen(Context& ctx, const TrustOptions& o) {
  if (!o.keygen) return usage(ctx, "say what to do: --keygen, or a subcommand such as `show`");
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  auto key = ws->keygen(o.force);
  if (!key.ok()) return fail(ctx, key.error());
  std::cout << "Made the key pair of workspace \"" << ws->name() << "\"\n"
            << "  public key   " << key->to_text() << "\n"
            << "  fingerprint  " << key->fingerprint() << "\n"
            << "  secret key   " << ws->secret_key_file().string() << " (mode 0600; never share it)\n";
  return 0;
}

int run_trust_show(Context& ctx, const TrustOptions& o) {
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  auto key = ws->public_key();
  if (!key.ok()) return fail(ctx, key.error());
  if (o.json) {
    print_json(json::Value::object({{"name", ws->name()},
                                    {"public_key", key->to_text()},
                                    {"fingerprint", key->fingerprint()},
                                    {"root", ws->root().string()}}));
    return 0;
  }
  std::cout << "workspace    " << ws->name() << "\n"
            << "public key   " << key->to_text() << "\n"
            << "fingerprint  " << key->fingerprint() << "\n";
  return 0;
}

}  // namespace bwoc::cli
