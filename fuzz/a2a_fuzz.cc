// Fuzzes what the A2A listener and client parse from the network before any
// envelope check: JSON-RPC requests (with the A2A-Version header), the
// answers it writes back for them, and peer URLs. Every input must give a
// request or a JSON-RPC error, and every answer must be JSON bwoc can read.
#include <cstdint>
#include <string_view>
#include <variant>

#include "bwoc/a2a/client.h"
#include "bwoc/core/json.h"
#include "jsonrpc.h"
#include "url.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // The first byte picks the header, so both generations and odd versions are reached.
  std::string_view version = size > 0 && data[0] % 3 == 0 ? "1.0" : (size > 0 && data[0] % 3 == 1 ? "" : "0.3");
  auto parsed = bwoc::a2a::read_rpc(text, version, 1 << 20);
  std::string answer;
  if (auto* req = std::get_if<bwoc::a2a::RpcRequest>(&parsed)) {
    answer = bwoc::a2a::rpc_result(req->id, "{}");
  } else {
    const auto& err = std::get<bwoc::a2a::RpcError>(parsed);
    answer = bwoc::a2a::rpc_error(err.id, err.code, err.message);
  }
  if (!bwoc::json::parse(answer).ok()) __builtin_trap();
  (void)bwoc::a2a::parse_url(text);
  if (auto doc = bwoc::json::parse(text); doc.ok()) (void)bwoc::a2a::card_public_key(*doc);
  return 0;
}
