// http:// and https:// URLs, as bwoc reads them from routes.toml and cards.
// None may carry user information (any '@': url_has_user_info() in
// bwoc/core/routes.h), and errors never repeat such a URL.
#ifndef BWOC_A2A_SRC_URL_H_
#define BWOC_A2A_SRC_URL_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "bwoc/core/result.h"

namespace bwoc::a2a {

struct Url {
  bool tls = false;
  std::string host;  // without brackets for IPv6
  std::uint16_t port = 0;
  std::string target = "/";  // path and query

  std::string origin() const;  // "http://host:port"
};

Result<Url> parse_url(std::string_view text);
// `base` with `path` appended (one slash between them).
std::string join_url(std::string_view base, std::string_view path);

}  // namespace bwoc::a2a

#endif  // BWOC_A2A_SRC_URL_H_
