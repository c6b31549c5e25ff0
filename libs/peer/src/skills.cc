#include "bwoc/peer/skills.h"

#include <memory>

#include "bwoc/core/inbound.h"
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

// What a provider's signed error says, as a metering outcome.
std::string outcome_of(const SkillAnswer& a) {
  if (a.ok) return "ok";
  const std::string& e = a.error;
  auto is = [&](std::string_view prefix) { return e.rfind(prefix, 0) == 0; };
  if (is(skill::kUnknownSkill)) return "unknown_skill";
  if (is("Invalid input")) return "invalid_input";
  if (is("Version mismatch")) return "version_mismatch";
  if (is(kNotPermitted)) return "not_permitted";
  if (is("Skill timed out")) return "timed_out";
  if (is("Skill failed")) return "failed";
  if (is("Busy")) return "busy";
  return "error";
}

}  // namespace

Result<SkillAnswer> call_skill(const Workspace& ws, const SecretKey& key, const Routes& routes, AskRequest request,
                               const std::string& skill, json::Value input, const std::optional<std::string>& version,
                               const Network& network, const AgentResolver& agent_of) {
  request.kind = std::string(skill::kCallKind);
  // Members the caller set already (a request's idem and deadline) stay.
  json::Value extra = std::move(request.payload);
  request.payload = json::Value::object({{"skill", skill}, {"input", std::move(input)}});
  if (version) request.payload.set("version", *version);
  if (extra.is_object()) {
    for (json::Member& m : extra.members()) request.payload.set(std::move(m.name), std::move(m.value));
  }
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
  if (asked.ok()) {
    record.bytes_out = asked->text.size();
    answer = read_answer(std::move(asked).value(), skill::kResultKind);
    answer->outcome = outcome_of(*answer);
    record.outcome = answer->outcome;
    if (answer->ok) {
      const json::Value* v = answer->payload.find("version");
      if (v && v->is_string()) record.version = v->as_string();
    }
  } else {
    Errc code = asked.error().code();
    record.outcome = code == Errc::timeout ? "no_answer" : code == Errc::refused ? "invalid_answer" : "unreachable";
  }
  if (peer == nullptr) {
    if (!answer) return asked.error();
    return *answer;
  }
  if (Status st = skill::record_call(ws, record); !st.ok()) {
    log::warning("skill.metering_failed", {{"error", st.error().message()}});
  }
  // Only what the provider signed counts for or against it.
  bool provider_failed = record.outcome == "failed" || record.outcome == "timed_out";
  if (record.outcome == "ok" || provider_failed) {
    auto routes_copy = std::make_shared<const Routes>(routes);
    TrustStore trust(ws, routes_copy, false);
    auto t = trust.record_outcome(peer->pubkey, record.outcome == "ok", "its answers to our calls");
    if (!t.ok()) log::warning("trust.update_failed", {{"error", t.error().message()}});
  }
  if (!answer) return asked.error();
  if (skill::is_policy_refusal(record.outcome)) {
    auto run = skill::refused_in_a_row(ws, request.peer);
    if (run.ok() && *run >= static_cast<std::size_t>(kDecayRun)) {
      answer->refusals_note = "your last " + std::to_string(*run) + " calls to " + request.peer +
                              " were refused; " + request.peer + " may have lowered your tier";
    }
  }
  return *answer;
}

Result<SkillAnswer> discover_skills(const Workspace& ws, const SecretKey& key, const Routes& routes, AskRequest request,
                                    const Network& network, const AgentResolver& agent_of) {
  request.kind = std::string(skill::kDiscoverKind);
  request.payload = json::Value::object();
  BWOC_ASSIGN_OR_RETURN(AskResult asked, ask(ws, key, routes, request, network, agent_of));
  SkillAnswer answer = read_answer(std::move(asked), skill::kDiscoverResultKind);
  answer.outcome = outcome_of(answer);
  return answer;
}

}  // namespace bwoc::peer
