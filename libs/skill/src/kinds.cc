#include "bwoc/skill/kinds.h"

#include <map>
#include <mutex>

namespace bwoc::skill {

namespace {

// The skill hosts of one node, one per agent, opened on first use.
class Hosts {
 public:
  Hosts(Inbound& inbound, HostOptions options) : inbound_(inbound), options_(std::move(options)) {
    if (!options_.routes) options_.routes = [this] { return inbound_.routes(); };
  }

  Result<SkillHost*> host_for(const std::string& agent) {
    std::lock_guard lock(mu_);
    auto it = hosts_.find(agent);
    if (it == hosts_.end()) {
      BWOC_ASSIGN_OR_RETURN(auto host, SkillHost::open(inbound_.workspace(), agent, options_));
      it = hosts_.emplace(agent, std::move(host)).first;
    }
    return it->second.get();
  }

  Result<std::optional<std::string>> respond(const InboundRequest& r) {
    BWOC_ASSIGN_OR_RETURN(SkillHost * host, host_for(r.envelope.to));
    Inbound& node = inbound_;
    const Envelope& request = r.envelope;
    AnswerSigner sign = [&node, &request](std::string_view kind, json::Value payload) {
      return node.sign_answer(request, kind, std::move(payload));
    };
    BWOC_ASSIGN_OR_RETURN(std::string text, host->respond(request, r.peer, r.tier, r.repeat, sign));
    return std::optional<std::string>(std::move(text));
  }

 private:
  Inbound& inbound_;
  HostOptions options_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<SkillHost>> hosts_;
};

}  // namespace

void add_skill_kinds(Inbound& inbound, HostOptions options) {
  auto hosts = std::make_shared<Hosts>(inbound, std::move(options));
  KindHandler discover;
  discover.stored = false;
  discover.act = [hosts](const InboundRequest& r) { return hosts->respond(r); };
  inbound.add_kind(std::string(kDiscoverKind), std::move(discover));

  KindHandler call;
  call.blocking = true;
  call.act = [hosts](const InboundRequest& r) { return hosts->respond(r); };
  inbound.add_kind(std::string(kCallKind), std::move(call));

  if (!inbound.agent().empty()) {
    std::string agent = inbound.agent();
    inbound.set_offer([hosts, agent](int tier) -> Result<json::Value> {
      BWOC_ASSIGN_OR_RETURN(SkillHost * host, hosts->host_for(agent));
      return host->discovery(tier);
    });
  }
}

}  // namespace bwoc::skill
