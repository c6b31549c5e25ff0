// Every append-only file the workspace keeps, cut at every byte offset of its
// last record (what a crash or a full disk leaves): the next append must not
// glue onto the fragment, every complete record must read back, and the cut
// bytes must be kept for the operator.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <set>
#include <string>

#include "answer_log.h"
#include "bwoc/core/inbox.h"
#include "bwoc/core/json.h"
#include "bwoc/core/receiver.h"
#include "bwoc/core/refusal_log.h"
#include "bwoc/core/trust.h"
#include "bwoc/skill/metering.h"
#include "test_util.h"
#ifdef BWOC_TEST_TASK_STORE
#include "task_store.h"
#endif

namespace bwoc {
namespace {

namespace fs = std::filesystem;

// One append site: where its file is, how a fresh process appends record n,
// and which records a fresh process reads back.
struct Site {
  std::function<fs::path(const fs::path& root)> file;
  std::function<void(const fs::path& root, int n)> append;
  std::function<std::set<int>(const fs::path& root)> read;
  std::function<bool(std::string_view line)> line_ok;
  std::function<fs::path(const fs::path& root)> torn_dir;
};

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

// Builds records 0, 1 and 2 in a template workspace (made by `setup`), then,
// for every cut of the last record, works on a fresh copy: cut, append 3 in
// a new process, read back.
void expect_every_cut_repaired(const std::function<void(const fs::path& root)>& setup, const Site& site) {
  test::TempDir dir;
  const fs::path tpl = dir.path() / "template";
  fs::create_directories(tpl);
  setup(tpl);
  for (int n = 0; n < 3; ++n) site.append(tpl, n);
  const std::string whole = test::read_file(site.file(tpl));
  ASSERT_FALSE(whole.empty());
  ASSERT_EQ(whole.back(), '\n');
  const std::size_t last_start = whole.rfind('\n', whole.size() - 2) + 1;
  std::size_t checked = 0;
  for (std::size_t cut = last_start; cut < whole.size(); ++cut) {
    const fs::path root = dir.path() / ("cut-" + std::to_string(cut));
    fs::copy(tpl, root, fs::copy_options::recursive);
    fs::resize_file(site.file(root), cut);
    site.append(root, 3);
    EXPECT_EQ(site.read(root), (std::set<int>{0, 1, 3})) << "cut at " << cut << " of " << whole.size();
    std::string text = test::read_file(site.file(root));
    ASSERT_FALSE(text.empty());
    EXPECT_EQ(text.back(), '\n') << cut;
    for (const std::string& line : lines_of(text)) EXPECT_TRUE(site.line_ok(line)) << "cut at " << cut << ": " << line;
    std::error_code ec;
    EXPECT_EQ(fs::exists(site.torn_dir(root), ec) && !fs::is_empty(site.torn_dir(root), ec), cut > last_start)
        << "the cut bytes are kept for the operator; cut at " << cut;
    fs::remove_all(root, ec);
    ++checked;
  }
  EXPECT_EQ(checked, whole.size() - last_start);
}

bool is_json_object(std::string_view line) {
  auto v = json::parse(line);
  return v.ok() && v->is_object();
}

Workspace open_ws(const fs::path& root) { return std::move(Workspace::open(root / "alpha")).value(); }

void make_alpha(const fs::path& root) { test::make_workspace(root, "alpha"); }

TEST(AppendSites, RefusalLog) {
  Site site;
  site.file = [](const fs::path& root) { return open_ws(root).refusal_log_file(); };
  site.append = [](const fs::path& root, int n) {
    RefusalRecord r;
    r.at = 1'800'000'000'000;
    r.reason = "malformed";
    r.source = "record-" + std::to_string(n);
    r.detail = std::string(40, 'x');
    RefusalLog(open_ws(root).refusal_log_file()).append(r);
  };
  site.read = [](const fs::path& root) {
    std::set<int> got;
    auto log = read_refusal_log(open_ws(root).refusal_log_file(), 0);
    EXPECT_TRUE(log.ok());
    if (log.ok()) {
      for (const RefusalRecord& r : *log) got.insert(std::stoi(r.source.substr(7)));
    }
    return got;
  };
  site.line_ok = is_json_object;
  site.torn_dir = [](const fs::path& root) { return open_ws(root).state_dir() / "torn"; };
  expect_every_cut_repaired(make_alpha, site);
}

TEST(AppendSites, TrustAudit) {
  auto setup = [](const fs::path& root) {
    Workspace alpha = test::make_workspace(root, "alpha");
    Workspace beta = test::make_workspace(root, "beta");
    test::declare_peers(alpha, {&beta});
  };
  auto store = [](const fs::path& root) {
    Workspace ws = open_ws(root);
    auto routes = std::make_shared<const Routes>(Routes::load(ws.routes_file(), ws.root()).value());
    return TrustStore(ws, routes, false);
  };
  Site site;
  site.file = [&](const fs::path& root) { return store(root).audit_file(); };
  site.append = [&](const fs::path& root, int n) {
    ASSERT_TRUE(store(root).set("beta", n % 2 == 0 ? kInternal : kKnown, "record " + std::to_string(n)).ok());
  };
  site.read = [&](const fs::path& root) {
    std::set<int> got;
    for (const std::string& line : lines_of(test::read_file(store(root).audit_file()))) {
      auto v = json::parse(line);
      if (!v.ok() || !v->is_object()) continue;
      const json::Value* why = v->find("why");
      if (why && why->is_string()) got.insert(std::stoi(why->as_string().substr(7)));
    }
    return got;
  };
  site.line_ok = is_json_object;
  site.torn_dir = [](const fs::path& root) { return open_ws(root).state_dir() / "torn"; };
  expect_every_cut_repaired(setup, site);
}

TEST(AppendSites, SkillCallMetering) {
  Site site;
  site.file = [](const fs::path& root) { return open_ws(root).state_dir() / "skill-calls.jsonl"; };
  site.append = [](const fs::path& root, int n) {
    skill::CallRecord r;
    r.ts = 1'800'000'000'000;
    r.side = "provider";
    r.peer = "beta";
    r.agent = "agent-a";
    r.skill = "skill-" + std::to_string(n);
    r.outcome = "ok";
    ASSERT_TRUE(skill::record_call(open_ws(root), r).ok());
  };
  site.read = [](const fs::path& root) {
    std::set<int> got;
    auto stats = skill::call_stats(open_ws(root));
    EXPECT_TRUE(stats.ok());
    if (stats.ok()) {
      for (const skill::CallStats& s : stats->by_skill) got.insert(std::stoi(s.key.substr(s.key.find("skill-") + 6)));
    }
    return got;
  };
  site.line_ok = is_json_object;
  site.torn_dir = [](const fs::path& root) { return open_ws(root).state_dir() / "torn"; };
  expect_every_cut_repaired(make_alpha, site);
}

std::string id_of(int n) {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%032x", n + 1);
  return buf;
}

TEST(AppendSites, SkillAnswers) {
  const PublicKey& key = test::vector_sender().public_key();
  auto file = [](const fs::path& root) { return root / "skills" / "agent-a" / "answers.log"; };
  Site site;
  site.file = file;
  site.append = [&](const fs::path& root, int n) {
    auto log = skill::AnswerLog::open(file(root));
    ASSERT_TRUE(log.ok());
    ASSERT_TRUE((*log)->append(key, id_of(n), R"({"answer":)" + std::to_string(n) + "}").ok());
  };
  site.read = [&](const fs::path& root) {
    std::set<int> got;
    auto log = skill::AnswerLog::open(file(root));
    for (int n = 0; n < 4; ++n) {
      if (auto a = (*log)->find(key, id_of(n)); a && *a == R"({"answer":)" + std::to_string(n) + "}") got.insert(n);
    }
    return got;
  };
  site.line_ok = [](std::string_view line) { return line.size() > 40 && line.back() == '}'; };
  site.torn_dir = [&](const fs::path& root) { return file(root).parent_path() / "torn"; };
  expect_every_cut_repaired([](const fs::path&) {}, site);
}

#ifdef BWOC_TEST_TASK_STORE
TEST(AppendSites, A2aTaskStore) {
  auto dir = [](const fs::path& root) { return root / "a2a" / "agent-a"; };
  Site site;
  site.file = [&](const fs::path& root) { return dir(root) / "tasks-00000001.jsonl"; };
  site.append = [&](const fs::path& root, int n) {
    auto store = a2a::TaskStore::open(dir(root), {});
    ASSERT_TRUE(store.ok());
    a2a::TaskRecord t{id_of(n), "context", "ed25519:owner", id_of(100 + n), 1'800'000'000'000, "completed",
                      R"({"receipt":)" + std::to_string(n) + "}"};
    ASSERT_TRUE((*store)->put(t).ok());
    ASSERT_TRUE((*store)->flush().ok());
  };
  site.read = [&](const fs::path& root) {
    std::set<int> got;
    auto store = a2a::TaskStore::open(dir(root), {});
    for (int n = 0; n < 4; ++n) {
      if (auto t = (*store)->get(id_of(n)); t && t->receipt == R"({"receipt":)" + std::to_string(n) + "}") got.insert(n);
    }
    return got;
  };
  site.line_ok = is_json_object;
  site.torn_dir = [&](const fs::path& root) { return dir(root) / "torn"; };
  expect_every_cut_repaired([](const fs::path&) {}, site);
}
#endif

TEST(AppendSites, Inbox) {
  auto setup = [](const fs::path& root) {
    Workspace alpha = test::make_workspace(root, "alpha");
    Workspace beta = test::make_workspace(root, "beta");
    test::declare_peers(alpha, {&beta});
    test::declare_peers(beta, {&alpha});
  };
  auto beta = [](const fs::path& root) { return std::move(Workspace::open(root / "beta")).value(); };
  // Envelope n, signed once so that every copy carries the same bytes.
  std::map<int, std::string> texts;
  auto text_of = [&](const fs::path& root, int n) -> const std::string& {
    if (!texts.count(n)) {
      Workspace alpha = open_ws(root);
      EnvelopeDraft d = test::draft_to(*beta(root).public_key());
      d.id = id_of(n);
      texts[n] = *sign_envelope(d, alpha.load_secret_key().value());
    }
    return texts[n];
  };
  Site site;
  site.file = [&](const fs::path& root) { return beta(root).inbox_file("agent-b"); };
  site.append = [&](const fs::path& root, int n) {
    auto rx = Receiver::open(beta(root));
    ASSERT_TRUE(rx.ok());
    EXPECT_EQ((*rx)->receive_sync(text_of(root, n), Via::path, "t").outcome, Delivery::Outcome::accepted) << n;
  };
  site.read = [&](const fs::path& root) {
    std::set<int> got;
    auto scan = scan_inbox(beta(root).inbox_file("agent-b"), 0, [&](const InboxLine& line) {
      auto env = parse_envelope(line.envelope);
      if (env.ok()) got.insert(std::stoi(env.value().id, nullptr, 16) - 1);
    });
    EXPECT_TRUE(scan.ok());
    return got;
  };
  site.line_ok = [](std::string_view line) { return parse_inbox_line(line).ok(); };
  site.torn_dir = [&](const fs::path& root) { return beta(root).state_dir() / "torn"; };
  expect_every_cut_repaired(setup, site);
}

}  // namespace
}  // namespace bwoc
