// bwoc share: the documents this workspace lets its peers read.
#include <iostream>

#include "bwoc/core/shares.h"
#include "commands.h"

namespace bwoc::cli {

int run_share_add(Context& ctx, const ShareOptions& o) {
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  auto doc = add_share(*ws, o.file, o.name, o.description);
  if (!doc.ok()) return fail(ctx, doc.error());
  std::cout << "sharing \"" << doc->name << "\" (" << doc->path << ") with every peer that allowlists this workspace\n";
  return 0;
}

int run_share_list(Context& ctx, const ShareOptions& o) {
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  auto docs = load_shares(*ws);
  if (!docs.ok()) return fail(ctx, docs.error());
  if (o.json) {
    json::Value arr = json::Value::array();
    for (const SharedDoc& d : *docs) {
      arr.push_back(json::Value::object({{"name", d.name}, {"path", d.path}, {"description", d.description}}));
    }
    print_json(arr);
    return 0;
  }
  if (docs->empty()) {
    std::cout << "nothing is shared: `bwoc share add FILE --description TEXT` shares a document\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const SharedDoc& d : *docs) rows.push_back({d.name, d.path, d.description});
  print_table({"NAME", "PATH", "DESCRIPTION"}, rows);
  return 0;
}

int run_share_remove(Context& ctx, const ShareOptions& o) {
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  if (Status st = remove_share(*ws, o.name_arg); !st.ok()) return fail(ctx, st.error());
  std::cout << "no longer sharing \"" << o.name_arg << "\"\n";
  return 0;
}

}  // namespace bwoc::cli
