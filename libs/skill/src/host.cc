#include "bwoc/skill/host.h"

#include <sys/stat.h>

#include <mutex>
#include <semaphore>

#include "bwoc/core/encoding.h"
#include "bwoc/core/files.h"
#include "bwoc/core/log.h"
#include "bwoc/core/trust.h"
#include "bwoc/skill/metering.h"
#include "bwoc/skill/runner.h"
#include "answer_log.h"

namespace bwoc::skill {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kBusyWait = std::chrono::seconds(2);

json::Value error_payload(std::string_view message) { return json::Value::object({{"error", std::string(message)}}); }

struct Answer {
  std::string kind;
  json::Value payload;
  std::string outcome;  // for metering
  std::string skill, version;
};

}  // namespace

bool is_skill_request(std::string_view kind) { return kind == kDiscoverKind || kind == kCallKind; }

struct SkillHost::Impl {
  explicit Impl(Workspace w) : ws(std::move(w)) {}
  Workspace ws;
  std::string agent;
  HostOptions options;
  std::shared_ptr<const Routes> loaded_routes;
  std::unique_ptr<AnswerLog> answers;
  std::unique_ptr<std::counting_semaphore<1024>> runs;

  std::mutex mu;  // guards the cached skills
  std::shared_ptr<const std::vector<Skill>> skills;
  timespec manifest_mtime{};
  ino_t manifest_inode = 0;

  std::shared_ptr<const Routes> routes() { return options.routes ? options.routes() : loaded_routes; }

  // The manifest as it is now: reloaded when it changed, so `bwoc skills
  // expose` takes effect on a running node.
  Result<std::shared_ptr<const std::vector<Skill>>> current() {
    struct stat st {};
    if (::stat(ws.manifest_file(agent).c_str(), &st) != 0) return os_error("cannot stat", ws.manifest_file(agent), errno);
    std::lock_guard lock(mu);
    if (skills && st.st_ino == manifest_inode && st.st_mtim.tv_sec == manifest_mtime.tv_sec &&
        st.st_mtim.tv_nsec == manifest_mtime.tv_nsec) {
      return skills;
    }
    auto loaded = load_skills(ws, agent);
    if (!loaded.ok()) {
      // A broken manifest offers nothing until it is fixed.
      log::error("skill.manifest_invalid", {{"agent", agent}, {"error", loaded.error().message()}});
      skills = std::make_shared<const std::vector<Skill>>();
    } else {
      skills = std::make_shared<const std::vector<Skill>>(std::move(loaded).value());
    }
    manifest_mtime = st.st_mtim;
    manifest_inode = st.st_ino;
    return skills;
  }

  Answer discover(int tier, const std::vector<Skill>& all) {
    json::Value list = json::Value::array();
    std::vector<const Skill*> seen;
    for (const Skill& s : all) {
      if (s.visibility != Visibility::exposed || tier < s.min_tier) continue;
      json::Value c = contract_json(s);
      c.set("hash", s.hash);
      list.push_back(std::move(c));
      seen.push_back(&s);
    }
    return {std::string(kDiscoverResultKind),
            json::Value::object({{"agent", agent}, {"skills", std::move(list)}, {"set_hash", set_hash(seen)}}),
            "ok", "", ""};
  }

  static const Skill* named_in(const Envelope& request, const std::vector<Skill>& all) {
    const json::Value* name = request.payload().find("skill");
    std::string skill_name = name && name->is_string() ? name->as_string().substr(0, 64) : "";
    const Skill* skill = nullptr;
    for (const Skill& s : all) {
      if (s.name == skill_name) skill = &s;
    }
    return skill;
  }
  static bool callable(const Skill* skill, int tier) {
    return skill != nullptr && skill->visibility == Visibility::exposed && tier >= skill->min_tier;
  }

  Answer call(const Envelope& request, const std::string& peer, int tier, const std::vector<Skill>& all,
              std::stop_token stop, UnixMillis not_after) {
    const json::Value& p = request.payload();
    const Skill* skill = named_in(request, all);
    // Metered under a skill's own name, never under one a caller made up:
    // the caller would write rows of its choosing into this workspace's
    // stats, as many as it likes.
    auto unknown = [&] {
      return Answer{std::string(kErrorKind), error_payload(kUnknownSkill), "unknown_skill",
                    skill != nullptr ? skill->name : std::string(kNoSuchSkillMetered), ""};
    };
    // One test for all three: missing, hidden, above the caller's tier.
    if (!callable(skill, tier)) return unknown();
    Answer out{std::string(kErrorKind), json::Value(), "", skill->name, skill->version};
    if (const json::Value* v = p.find("version"); v && !(v->is_string() && v->as_string() == skill->version)) {
      out.payload = json::Value::object({{"error", "Version mismatch"}, {"available", skill->version}});
      out.outcome = "version_mismatch";
      return out;
    }
    const json::Value* input = p.find("input");
    json::Value null_input;
    if (Status st = skill->input.validate(input ? *input : null_input); !st.ok()) {
      out.payload = json::Value::object({{"error", "Invalid input"}, {"detail", st.error().message()}});
      out.outcome = "invalid_input";
      return out;
    }
    // Work with a deadline waits for a turn only while it could still end in time.
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(kBusyWait);
    auto time_left = [&] { return std::chrono::milliseconds(not_after - now_millis()); };
    if (not_after != 0) wait = std::min(wait, time_left() - skill->timeout);
    if (!runs->try_acquire_for(std::max(wait, std::chrono::milliseconds(0)))) {
      out.payload = error_payload("Busy: try again later");
      out.outcome = "busy";
      return out;
    }
    RunSpec spec;
    spec.argv = skill->run;
    spec.readable = ws.agent_dir(agent);
    spec.scratch = ws.state_dir() / "skills" / agent / "runs";
    spec.input = json::write(input ? *input : null_input);
    spec.timeout = skill->timeout;
    if (not_after != 0) spec.timeout = std::max(std::min(spec.timeout, time_left()), std::chrono::milliseconds(1));
    spec.max_output_bytes = skill->max_output_bytes;
    spec.network = skill->network;
    spec.stop = std::move(stop);
    auto run = skill->instructions.empty() ? run_sandboxed(spec) : run_instructed(ws, *skill, spec.input, options.chat);
    runs->release();
    auto failed = [&](std::string_view outcome, std::string_view message, std::string detail) {
      log::warning("skill.failed", {{"agent", agent}, {"skill", skill->name}, {"peer", peer}, {"why", std::move(detail)}});
      out.payload = error_payload(message);
      out.outcome = std::string(outcome);
      return out;
    };
    if (!run.ok()) return failed("failed", "Skill failed", run.error().message());
    if (run->end == RunOutcome::End::canceled) {
      // The caller asked for it: nobody's fault, and nobody is told (its task is canceled).
      log::info("skill.canceled", {{"agent", agent}, {"skill", skill->name}, {"peer", peer}});
      out.payload = error_payload("Skill canceled");
      out.outcome = "canceled";
      return out;
    }
    if (!run->stderr_tail.empty()) {
      log::info("skill.stderr", {{"agent", agent}, {"skill", skill->name}, {"stderr", run->stderr_tail.substr(0, 2000)}});
    }
    if (run->end == RunOutcome::End::timed_out) return failed("timed_out", "Skill timed out", describe(*run));
    if (!run->succeeded()) return failed("failed", "Skill failed", describe(*run));
    auto output = json::parse(run->output);
    if (!output.ok()) return failed("failed", "Skill failed", "its output is not JSON: " + output.error().message());
    if (Status st = skill->output.validate(*output); !st.ok()) {
      return failed("failed", "Skill failed", "its output does not match output_schema: " + st.error().message());
    }
    out.kind = std::string(kResultKind);
    out.payload = json::Value::object({{"skill", skill->name}, {"version", skill->version}, {"output", std::move(output).value()}});
    out.outcome = "ok";
    return out;
  }
};

SkillHost::SkillHost(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SkillHost::~SkillHost() = default;

const std::string& SkillHost::agent() const { return impl_->agent; }

Result<std::unique_ptr<SkillHost>> SkillHost::open(const Workspace& ws, std::string agent, HostOptions options) {
  if (!ws.has_agent(agent)) return Error(Errc::not_found, "no agent \"" + agent + "\" in this workspace");
  auto impl = std::make_unique<Impl>(ws);
  impl->agent = std::move(agent);
  impl->options = std::move(options);
  impl->runs = std::make_unique<std::counting_semaphore<1024>>(
      static_cast<std::ptrdiff_t>(std::clamp<std::size_t>(impl->options.max_concurrent_runs, 1, 1024)));
  if (!impl->options.routes) {
    BWOC_ASSIGN_OR_RETURN(Routes routes, Routes::load(ws.routes_file(), ws.root()));
    impl->loaded_routes = std::make_shared<const Routes>(std::move(routes));
  }
  BWOC_ASSIGN_OR_RETURN(impl->answers,
                        AnswerLog::open(ws.state_dir() / "skills" / impl->agent / "answers.log"));
  return std::unique_ptr<SkillHost>(new SkillHost(std::move(impl)));
}

Result<json::Value> SkillHost::discovery(int tier) {
  BWOC_ASSIGN_OR_RETURN(auto skills, impl_->current());
  return impl_->discover(tier, *skills).payload;
}

std::optional<std::chrono::milliseconds> SkillHost::longest_run(const Envelope& request, int tier) {
  auto skills = impl_->current();
  if (!skills.ok()) return std::nullopt;
  const Skill* skill = Impl::named_in(request, **skills);
  if (!Impl::callable(skill, tier)) return std::nullopt;
  return skill->timeout;
}

std::optional<std::string> SkillHost::earlier_answer(const PublicKey& key, std::string_view id) {
  return impl_->answers->find(key, id);
}

Result<std::string> SkillHost::respond(const Envelope& request, const std::string& peer, int tier, bool repeat,
                                       const AnswerSigner& sign, std::stop_token stop, UnixMillis not_after) {
  if (auto earlier = earlier_answer(request.key, request.id)) return *earlier;
  if (repeat) {
    // A repeat whose first answer is not kept (still running, or lost): never
    // run twice, and never counted, so replays cannot demote anyone.
    return sign(kErrorKind, error_payload("Already received: send a new request for a new answer"));
  }
  Clock::time_point start = Clock::now();
  BWOC_ASSIGN_OR_RETURN(auto skills, impl_->current());
  Answer answer;
  if (request.kind == kDiscoverKind) {
    answer = impl_->discover(std::max(tier, static_cast<int>(kUntrusted)), *skills);
  } else if (request.kind == kCallKind) {
    // An undeclared key never gets here (check 4); without a tier it sees nothing.
    answer = impl_->call(request, peer, tier, *skills, std::move(stop), not_after);
  } else {
    return Error(Errc::invalid_argument, "not a skill request: " + request.kind);
  }
  BWOC_ASSIGN_OR_RETURN(std::string text, sign(answer.kind, answer.payload));
  if (request.kind != kCallKind) return text;
  // Kept for repeats, not synced: losing it in a crash only means a repeat
  // is told to send a new request.
  if (Status st = impl_->answers->append(request.key, request.id, text); !st.ok()) {
    log::warning("skill.answer_not_kept", {{"agent", impl_->agent}, {"error", st.error().message()}});
  }
  CallRecord record;
  record.ts = now_millis();
  record.side = "provider";
  record.peer = peer;
  record.agent = impl_->agent;
  record.skill = answer.skill;
  record.version = answer.version;
  record.ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  const json::Value* input = request.payload().find("input");
  record.bytes_in = input ? json::write(*input).size() : 0;
  record.bytes_out = text.size();
  record.outcome = answer.outcome;
  if (Status st = record_call(impl_->ws, record); !st.ok()) {
    log::warning("skill.metering_failed", {{"error", st.error().message()}});
  }
  if (peer != "self" && (is_policy_refusal(answer.outcome) || answer.outcome == "ok")) {
    TrustStore trust(impl_->ws, impl_->routes());
    auto decayed = trust.record_outcome(request.key, answer.outcome == "ok", "calls to " + impl_->agent);
    if (!decayed.ok()) log::warning("trust.update_failed", {{"error", decayed.error().message()}});
  }
  return text;
}

}  // namespace bwoc::skill
