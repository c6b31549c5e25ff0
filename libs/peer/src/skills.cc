#include "bwoc/peer/skills.h"

#include <memory>

#include "bwoc/core/log.h"
#include "bwoc/core/trust.h"
#include "bwoc/skill/host.h"
#include "bwoc/skill/metering.h"

namespace bwoc::peer {

namespace {

SkillAnswer read_answer(AskResult ask, std::string_view ok_kind) {
  SkillAnswer out;
  out.payload = ask.answer.payload();
  out.ok = ask.answer.kind == ok_kind;
  if (!out.ok) {
    const json::Value* e = out.payload.find("error");
    out.error = e && e->is_string() ? e->as_string().substr(0, 500) : "the peer answered with " + ask.answer.kind;
  }
  out.ask = std::move(ask);
  return out;
}

}  // namespace

Result<SkillAnswer> call_skill(const Workspace& ws, const SecretKey& key, const Routes& routes, AskRequest request,
                               const std::string& skill, json::Value input, const std::optional<std::string>& version,
                               const Network& network, const AgentResolver& agent_of) {
  request.kind = std::string(skill::kCallKind);
  request.payload = json::Value::object({{"skill", skill}, {"input", std::move(input)}});
  if (version) request.payload.set("version", *version);
  std::size_t bytes_in = json::write(*request.payload.find("input")).size();
  auto start = std::chrono::steady_clock::now();
  auto asked = ask(ws, key, routes, request, network, agent_of);
  const PeerRoute* peer = routes.find(request.peer);

  skill::CallRecord record;
  record.ts = now_millis();
  record.side = "caller";
  record.peer = request.peer;
  record.agent = request.from;
  record.skill = skill;
  record.version = version.value_or("");
  record.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  record.bytes_in = bytes_in;
  std::optional<SkillAnswer> answer;
  bool counts = true;  // a peer we could not reach at all is not a failed call
  if (asked.ok()) {
    record.bytes_out = asked->text.size();
    answer = read_answer(std::move(asked).value(), skill::kResultKind);
    record.outcome = answer->ok ? "ok" : "error";
    if (answer->ok) {
      const json::Value* v = answer->payload.find("version");
      if (v && v->is_string()) record.version = v->as_string();
    }
  } else {
    record.outcome = asked.error().code() == Errc::timeout ? "timed_out" : "unreachable";
    counts = asked.error().code() != Errc::unavailable && asked.error().code() != Errc::not_found &&
             asked.error().code() != Errc::invalid_argument;
  }
  if (peer != nullptr) {
    if (Status st = skill::record_call(ws, record); !st.ok()) {
      log::warning("skill.metering_failed", {{"error", st.error().message()}});
    }
    if (counts) {
      auto routes_copy = std::make_shared<const Routes>(routes);
      TrustStore trust(ws, routes_copy, false);
      auto t = trust.record_outcome(peer->pubkey, answer && answer->ok, "its answers to our calls");
      if (!t.ok()) log::warning("trust.update_failed", {{"error", t.error().message()}});
    }
  }
  if (!answer) return asked.error();
  return *answer;
}

Result<SkillAnswer> discover_skills(const Workspace& ws, const SecretKey& key, const Routes& routes, AskRequest request,
                                    const Network& network, const AgentResolver& agent_of) {
  request.kind = std::string(skill::kDiscoverKind);
  request.payload = json::Value::object();
  BWOC_ASSIGN_OR_RETURN(AskResult asked, ask(ws, key, routes, request, network, agent_of));
  return read_answer(std::move(asked), skill::kDiscoverResultKind);
}

}  // namespace bwoc::peer
