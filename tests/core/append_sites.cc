#include "append_sites.h"

#include <map>
#include <memory>

#include "answer_log.h"
#include "bwoc/core/envelope.h"
#include "bwoc/core/inbox.h"
#include "bwoc/core/json.h"
#include "bwoc/core/receiver.h"
#include "bwoc/core/refusal_log.h"
#include "bwoc/core/replay_guard.h"
#include "bwoc/core/trust.h"
#include "bwoc/skill/metering.h"
#include "test_util.h"
#ifdef BWOC_TEST_TASK_STORE
#include "task_store.h"
#endif

namespace bwoc::test {

namespace fs = std::filesystem;

namespace {

bool is_json_object(std::string_view line) {
  auto v = json::parse(line);
  return v.ok() && v->is_object();
}

Workspace open_ws(const fs::path& root, const char* name = "alpha") {
  return std::move(Workspace::open(root / name)).value();
}

void make_alpha(const fs::path& root) { make_workspace(root, "alpha"); }

void make_pair(const fs::path& root) {
  Workspace alpha = make_workspace(root, "alpha");
  Workspace beta = make_workspace(root, "beta");
  declare_peers(alpha, {&beta});
  declare_peers(beta, {&alpha});
}

fs::path state_torn(const fs::path& root) { return open_ws(root).state_dir() / "torn"; }

std::string id_of(int n) {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%032x", n + 1);
  return buf;
}

int number_of(std::string_view id) { return std::stoi(std::string(id), nullptr, 16) - 1; }

Status not_stored(const std::string& why) { return Error(Errc::io_error, why); }

AppendSite refusal_log() {
  AppendSite site;
  site.name = "refusal log";
  site.setup = make_alpha;
  site.file = [](const fs::path& root) { return open_ws(root).refusal_log_file(); };
  site.append = [](const fs::path& root, int n) {
    RefusalRecord r;
    r.at = 1'800'000'000'000;
    r.reason = "malformed";
    r.source = "record-" + std::to_string(n);
    r.detail = std::string(40, 'x');
    RefusalLog(open_ws(root).refusal_log_file()).append(r);
    return ok_status();
  };
  site.read = [](const fs::path& root) {
    std::set<int> got;
    auto log = read_refusal_log(open_ws(root).refusal_log_file(), 0);
    if (log.ok()) {
      for (const RefusalRecord& r : *log) got.insert(std::stoi(r.source.substr(7)));
    }
    return got;
  };
  site.line_ok = is_json_object;
  site.torn_dir = state_torn;
  site.reports_failure = false;
  return site;
}

AppendSite trust_audit() {
  auto store = [](const fs::path& root) {
    Workspace ws = open_ws(root);
    auto routes = std::make_shared<const Routes>(Routes::load(ws.routes_file(), ws.root()).value());
    return TrustStore(ws, routes, false);
  };
  AppendSite site;
  site.name = "trust audit";
  site.setup = make_pair;
  site.file = [store](const fs::path& root) { return store(root).audit_file(); };
  site.append = [store](const fs::path& root, int n) -> Status {
    auto set = store(root).set("beta", n % 2 == 0 ? kInternal : kKnown, "record " + std::to_string(n));
    if (!set.ok()) return set.error();
    return ok_status();
  };
  site.read = [store](const fs::path& root) {
    std::set<int> got;
    for (const std::string& line : lines_of(read_file(store(root).audit_file()))) {
      auto v = json::parse(line);
      if (!v.ok() || !v->is_object()) continue;
      const json::Value* why = v->find("why");
      if (why && why->is_string()) got.insert(std::stoi(why->as_string().substr(7)));
    }
    return got;
  };
  site.line_ok = is_json_object;
  site.torn_dir = state_torn;
  return site;
}

AppendSite metering() {
  AppendSite site;
  site.name = "skill-call metering";
  site.setup = make_alpha;
  site.file = [](const fs::path& root) { return open_ws(root).state_dir() / "skill-calls.jsonl"; };
  site.append = [](const fs::path& root, int n) {
    skill::CallRecord r;
    r.ts = 1'800'000'000'000;
    r.side = "provider";
    r.peer = "beta";
    r.agent = "agent-a";
    r.skill = "skill-" + std::to_string(n);
    r.outcome = "ok";
    return skill::record_call(open_ws(root), r);
  };
  site.read = [](const fs::path& root) {
    std::set<int> got;
    auto stats = skill::call_stats(open_ws(root));
    if (stats.ok()) {
      for (const skill::CallStats& s : stats->by_skill) got.insert(std::stoi(s.key.substr(s.key.find("skill-") + 6)));
    }
    return got;
  };
  site.line_ok = is_json_object;
  site.torn_dir = state_torn;
  return site;
}

AppendSite skill_answers() {
  auto file = [](const fs::path& root) { return open_ws(root).state_dir() / "skills" / "agent-a" / "answers.log"; };
  auto answer = [](int n) { return R"({"answer":)" + std::to_string(n) + "}"; };
  AppendSite site;
  site.name = "skill answers";
  site.setup = make_alpha;
  site.file = file;
  site.append = [=](const fs::path& root, int n) -> Status {
    BWOC_ASSIGN_OR_RETURN(auto log, skill::AnswerLog::open(file(root)));
    return log->append(vector_sender().public_key(), id_of(n), answer(n));
  };
  site.read = [=](const fs::path& root) {
    std::set<int> got;
    auto log = skill::AnswerLog::open(file(root));
    if (!log.ok()) return got;
    for (int n = 0; n < 2000; ++n) {
      if (auto a = (*log)->find(vector_sender().public_key(), id_of(n)); a && *a == answer(n)) got.insert(n);
    }
    return got;
  };
  site.line_ok = [](std::string_view line) { return line.size() > 40 && line.back() == '}'; };
  site.torn_dir = [=](const fs::path& root) { return file(root).parent_path() / "torn"; };
  return site;
}

#ifdef BWOC_TEST_TASK_STORE
AppendSite a2a_tasks() {
  auto dir = [](const fs::path& root) { return open_ws(root).state_dir() / "a2a" / "agent-a"; };
  auto receipt = [](int n) { return R"({"receipt":)" + std::to_string(n) + "}"; };
  AppendSite site;
  site.name = "A2A task store";
  site.setup = make_alpha;
  site.file = [=](const fs::path& root) { return dir(root) / "tasks-00000001.jsonl"; };
  site.append = [=](const fs::path& root, int n) -> Status {
    BWOC_ASSIGN_OR_RETURN(auto store, a2a::TaskStore::open(dir(root), {}));
    a2a::TaskRecord t{id_of(n),          "context",   "ed25519:owner", id_of(100'000 + n),
                      1'800'000'000'000, "completed", receipt(n)};
    BWOC_RETURN_IF_ERROR(store->put(t));
    return store->sync();
  };
  site.read = [=](const fs::path& root) {
    std::set<int> got;
    auto store = a2a::TaskStore::open(dir(root), {});
    if (!store.ok()) return got;
    for (int n = 0; n < 2000; ++n) {
      if (auto t = (*store)->get(id_of(n)); t && t->receipt == receipt(n)) got.insert(n);
    }
    return got;
  };
  site.line_ok = is_json_object;
  site.torn_dir = [=](const fs::path& root) { return dir(root) / "torn"; };
  site.keeps_failed_records = true;
  return site;
}
#endif

AppendSite seen_log() {
  const UnixMillis ts = 1'800'000'000'000;
  AppendSite site;
  site.name = "seen-id log";
  site.setup = make_alpha;
  site.file = [](const fs::path& root) { return open_ws(root).state_dir() / "seen.log"; };
  site.append = [=](const fs::path& root, int n) -> Status {
    BWOC_ASSIGN_OR_RETURN(SeenLog log, SeenLog::open(open_ws(root).state_dir()));
    SeenIndex index;
    std::map<std::string, InboxMark> marks;
    UnixMillis horizon = 0;
    BWOC_RETURN_IF_ERROR(log.catch_up(index, marks, horizon));
    return log.append({SeenEntry{vector_sender().public_key(), id_of(n), ts, ts, 7, "agent-b"}}, {}, 0);
  };
  site.read = [=](const fs::path& root) {
    std::set<int> got;
    auto log = SeenLog::open(open_ws(root).state_dir());
    SeenIndex index;
    std::map<std::string, InboxMark> marks;
    UnixMillis horizon = 0;
    if (!log.ok() || !log->catch_up(index, marks, horizon).ok()) return got;
    for (int n = 0; n < 2000; ++n) {
      if (index.find(vector_sender().public_key(), id_of(n))) got.insert(n);
    }
    return got;
  };
  site.line_ok = [](std::string_view line) { return line.size() > 100 && line.substr(0, 2) == "s "; };
  site.torn_dir = state_torn;
  return site;
}

AppendSite inbox() {
  auto beta = [](const fs::path& root) { return open_ws(root, "beta"); };
  // Envelope n, signed once so that every copy of a workspace sees the same bytes.
  auto texts = std::make_shared<std::map<int, std::string>>();
  auto text_of = [=](const fs::path& root, int n) {
    if (!texts->count(n)) {
      EnvelopeDraft d = draft_to(*beta(root).public_key());
      d.id = id_of(n);
      (*texts)[n] = *sign_envelope(d, open_ws(root).load_secret_key().value());
    }
    return (*texts)[n];
  };
  AppendSite site;
  site.name = "inbox";
  site.setup = make_pair;
  site.file = [=](const fs::path& root) { return beta(root).inbox_file("agent-b"); };
  site.append = [=](const fs::path& root, int n) -> Status {
    BWOC_ASSIGN_OR_RETURN(auto rx, Receiver::open(beta(root)));
    Delivery d = rx->receive_sync(text_of(root, n), Via::path, "t");
    if (d.outcome == Delivery::Outcome::accepted) return ok_status();
    return not_stored(std::string(outcome_name(d.outcome)) + (d.error ? ": " + d.error->message() : ""));
  };
  site.read = [=](const fs::path& root) {
    std::set<int> got;
    (void)scan_inbox(beta(root).inbox_file("agent-b"), 0, [&](const InboxLine& line) {
      auto env = parse_envelope(line.envelope);
      if (env.ok()) got.insert(number_of(env.value().id));
    });
    return got;
  };
  site.line_ok = [](std::string_view line) { return parse_inbox_line(line).ok(); };
  site.torn_dir = [=](const fs::path& root) { return beta(root).state_dir() / "torn"; };
  return site;
}

}  // namespace

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

void PrintTo(const AppendSite& site, std::ostream* out) { *out << site.name; }

std::vector<AppendSite> append_sites() {
  std::vector<AppendSite> sites{refusal_log(), trust_audit(), metering(), skill_answers(), seen_log(), inbox()};
#ifdef BWOC_TEST_TASK_STORE
  sites.push_back(a2a_tasks());
#endif
  return sites;
}

}  // namespace bwoc::test
