#include "bwoc/a2a/chat.h"

#include "bwoc/core/json.h"
#include "http.h"

namespace bwoc::a2a {

namespace {

std::string message_of(const json::Value& messages, std::string_view role) {
  for (const json::Value& m : messages.items()) {
    const json::Value* r = m.find("role");
    const json::Value* c = m.find("content");
    if (r && r->is_string() && r->as_string() == role && c && c->is_string()) return c->as_string();
  }
  return "";
}

class StandIn : public ChatStandIn, public HttpHandler {
 public:
  explicit StandIn(Reply reply) : reply_(std::move(reply)) {}
  ~StandIn() override {
    if (server_) server_->drain(std::chrono::seconds(2));
  }

  Status listen() {
    HttpServerOptions options;
    options.bind = "127.0.0.1";
    options.port = 0;
    options.threads = 1;
    BWOC_ASSIGN_OR_RETURN(server_, HttpServer::start(options, *this));
    return ok_status();
  }

  std::string base_url() const override { return "http://127.0.0.1:" + std::to_string(server_->port()) + "/v1"; }

  void handle(HttpRequest request, std::function<void(HttpResponse)> reply) override {
    HttpResponse response;
    auto body = json::parse(request.body);
    const json::Value* messages = body.ok() ? body->find("messages") : nullptr;
    if (request.method != "POST" || request.target != "/v1/chat/completions" || messages == nullptr ||
        !messages->is_array()) {
      response.status = 404;
      response.body = "{\"error\":\"not a chat-completions request\"}";
      return reply(std::move(response));
    }
    std::string content = reply_(message_of(*messages, "system"), message_of(*messages, "user"));
    json::Value choice = json::Value::object(
        {{"index", 0},
         {"message", json::Value::object({{"role", "assistant"}, {"content", std::move(content)}})},
         {"finish_reason", "stop"}});
    response.body = json::write(json::Value::object(
        {{"object", "chat.completion"}, {"model", "stand-in"}, {"choices", json::Value::array({std::move(choice)})}}));
    reply(std::move(response));
  }

 private:
  Reply reply_;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace

Result<std::unique_ptr<ChatStandIn>> ChatStandIn::start(Reply reply) {
  auto standin = std::make_unique<StandIn>(std::move(reply));
  BWOC_RETURN_IF_ERROR(standin->listen());
  return std::unique_ptr<ChatStandIn>(std::move(standin));
}

}  // namespace bwoc::a2a
