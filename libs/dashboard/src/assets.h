// The dashboard's pages and assets, built into the binary from web/ by
// embed.cmake: nothing is read from disk, so it works from any folder and
// offline, and no URL can reach a file.
#ifndef BWOC_DASHBOARD_SRC_ASSETS_H_
#define BWOC_DASHBOARD_SRC_ASSETS_H_

#include <string_view>
#include <vector>

namespace bwoc::dashboard {

struct Asset {
  std::string_view name;   // "app.js": its file name in web/
  std::string_view bytes;
};

const std::vector<Asset>& embedded_assets();

}  // namespace bwoc::dashboard

#endif  // BWOC_DASHBOARD_SRC_ASSETS_H_
