#include "bwoc/node/client.h"

#include "bwoc/node/network.h"
#include "bwoc/node/node.h"
#include "bwoc/node/path_service.h"

namespace bwoc::node {

Client::Client(Workspace ws, SecretKey key, Routes routes, std::chrono::milliseconds timeout)
    : ws_(std::move(ws)), key_(std::move(key)), routes_(std::move(routes)), timeout_(timeout) {}

Client::~Client() = default;

Result<std::unique_ptr<Client>> Client::open(const Workspace& ws, std::chrono::milliseconds timeout) {
  BWOC_ASSIGN_OR_RETURN(SecretKey key, ws.load_secret_key());
  BWOC_ASSIGN_OR_RETURN(Routes routes, Routes::load(ws.routes_file(), ws.root()));
  // Answers from path peers come back into our drop folder: it must be there.
  BWOC_RETURN_IF_ERROR(ws.ensure_node_folders());
  std::unique_ptr<Client> client(new Client(ws, std::move(key), std::move(routes), timeout));
  // Made once the client is in its place: the transports keep references to it.
  client->network_ = make_network(client->ws_, timeout);
  client->agent_of_ = make_agent_resolver(std::min(timeout, std::chrono::milliseconds(10'000)));
  return client;
}

Result<std::string> Client::speaker(const std::string& chosen) const {
  if (!chosen.empty()) {
    if (!ws_.has_agent(chosen)) return Error(Errc::not_found, "no agent \"" + chosen + "\" in this workspace");
    return chosen;
  }
  std::vector<std::string> agents = ws_.agents();
  if (agents.empty()) return Error(Errc::invalid_argument, "this workspace has no agent to speak for it: `bwoc agent add NAME`");
  return agents.front();
}

Status Client::pump() {
  std::lock_guard lock(pump_mu_);
  if (!inbound_) {
    BWOC_ASSIGN_OR_RETURN(inbound_, open_inbound(ws_));
    ingest_ = std::make_unique<PathIngest>(*inbound_, network_);
  }
  auto report = ingest_->round(1024);
  if (!report.ok()) return report.error();
  return ok_status();
}

Status Client::prepare(peer::AskRequest& request) {
  BWOC_ASSIGN_OR_RETURN(request.from, speaker(request.from));
  if (request.timeout.count() <= 0) request.timeout = timeout_;
  request.pump = [this] { return pump(); };
  return ok_status();
}

Result<peer::SendResult> Client::send(const peer::SendRequest& request) {
  return peer::send(ws_, key_, routes_, request, network_);
}

Result<peer::AskResult> Client::ask(peer::AskRequest request) {
  BWOC_RETURN_IF_ERROR(prepare(request));
  return peer::ask(ws_, key_, routes_, request, network_, agent_of_);
}

Result<peer::AskResult> Client::ask_signed_by(peer::AskRequest request, const SecretKey& key) {
  BWOC_RETURN_IF_ERROR(prepare(request));
  return peer::ask(ws_, key, routes_, request, network_, agent_of_);
}

Result<peer::SkillAnswer> Client::discover(peer::AskRequest request) {
  BWOC_RETURN_IF_ERROR(prepare(request));
  return peer::discover_skills(ws_, key_, routes_, request, network_, agent_of_);
}

Result<peer::SkillAnswer> Client::call(peer::AskRequest request, const std::string& skill, json::Value input,
                                       const std::optional<std::string>& version) {
  BWOC_RETURN_IF_ERROR(prepare(request));
  return peer::call_skill(ws_, key_, routes_, request, skill, std::move(input), version, network_, agent_of_);
}

}  // namespace bwoc::node
