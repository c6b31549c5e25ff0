// The tool catalogue with a stand-in for the network: listing answers from
// what it knows (cache and memory) without waiting for peers that do not
// answer, stale entries are marked, and changes are noticed.
#include "bwoc/mcp/catalogue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <thread>

#include "../core/test_util.h"

namespace bwoc::mcp {
namespace {

using Clock = std::chrono::steady_clock;

json::Value contract(const std::string& name, const std::string& hash) {
  json::Value schema = json::Value::object({{"type", "object"}});
  return json::Value::object({{"name", name}, {"version", "1.0.0"}, {"description", "d"}, {"when_to_use", ""},
                              {"input_schema", schema}, {"output_schema", schema}, {"min_tier", 1}, {"hash", hash}});
}

// A network of `peers` peers of which the last `down` never answer (each
// attempt blocks until released or 3 s pass, then fails). Its state is
// shared with the discoverer: discoveries run detached and may outlive a test.
class FakeNetwork {
 public:
  FakeNetwork(int peers, int down) : s_(std::make_shared<State>()) {
    s_->peers = peers;
    s_->down = down;
  }
  ~FakeNetwork() { release(); }

  Discoverer discoverer() {
    return [s = s_](const std::string& peer, std::chrono::milliseconds) -> Result<Discovery> {
      int n = std::stoi(peer.substr(1));
      std::unique_lock lock(s->mu);
      if (n >= s->peers - s->down) {
        s->cv.wait_for(lock, std::chrono::seconds(3), [&] { return s->released; });
        return Error(Errc::unavailable, "cannot connect");
      }
      Discovery d;
      d.agent = "agent-x";
      d.skills = json::Value::array({contract("word-count", "h" + std::to_string(s->version))});
      d.set_hash = "set" + std::to_string(s->version);
      d.via = "a2a";
      return d;
    };
  }
  void bump() {
    std::lock_guard lock(s_->mu);
    ++s_->version;
  }
  void release() {
    std::lock_guard lock(s_->mu);
    s_->released = true;
    s_->cv.notify_all();
  }

 private:
  struct State {
    int peers = 0, down = 0;
    std::mutex mu;
    std::condition_variable cv;
    bool released = false;
    int version = 1;
  };
  std::shared_ptr<State> s_;
};

class CatalogueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ws_ = test::make_workspace(dir_.path(), "alpha", {"agent-a"});
    declare(20);
  }
  // `revoked`: the last peers that revoked their keys.
  void declare(int n, int revoked = 0) {
    std::ofstream routes(ws_->routes_file());
    for (int i = 0; i < n; ++i) {
      routes << "[[peer]]\nkey = \"p" << i << "\"\npubkey = \"" << keys_[i].public_key().to_text()
             << "\"\nurl = \"http://127.0.0.1:9\"\n" << (i >= n - revoked ? "revoked = \"2026-11-30T08:00:00.000Z\"\n" : "")
             << "\n";
    }
  }
  CatalogueOptions options(FakeNetwork& net) {
    CatalogueOptions o;
    o.agent = "agent-a";
    o.discover = net.discoverer();
    o.list_wait = std::chrono::seconds(10);
    o.refresh = std::chrono::seconds(60);
    o.watch_interval = std::chrono::milliseconds(20);
    return o;
  }

  test::TempDir dir_;
  std::optional<Workspace> ws_;
  std::vector<SecretKey> keys_ = [] {
    std::vector<SecretKey> k;
    for (int i = 0; i < 20; ++i) k.push_back(SecretKey::generate());
    return k;
  }();
};

TEST_F(CatalogueTest, ListsFromTheCacheAtOnceWhileUnreachablePeersAreAsked) {
  {
    // A first run: 15 peers answer, 5 do not.
    FakeNetwork net(20, 5);
    auto catalogue = Catalogue::open(*ws_, options(net));
    ASSERT_TRUE(catalogue.ok()) << catalogue.error().message();
    net.release();
    (*catalogue)->refresh_now();
    EXPECT_EQ((*catalogue)->tools().size(), 15u);
  }
  // A new run, with the 5 still down and blocking: the list comes from the cache.
  FakeNetwork net(20, 5);
  auto catalogue = Catalogue::open(*ws_, options(net));
  ASSERT_TRUE(catalogue.ok());
  Clock::time_point start = Clock::now();
  std::vector<Tool> tools = (*catalogue)->tools();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  EXPECT_EQ(tools.size(), 15u);
  // No network wait at all: the bound is list_wait (10 s here).
  EXPECT_LT(ms, 1000);
  EXPECT_EQ(tools.front().name, "p0__word-count");
}

TEST_F(CatalogueTest, MarksStaleToolsAndNoticesChangedContracts) {
  FakeNetwork net(2, 0);
  declare(2);
  std::mutex mu;
  std::condition_variable cv;
  int changes = 0;
  CatalogueOptions o = options(net);
  o.refresh = std::chrono::milliseconds(50);
  auto catalogue = Catalogue::open(*ws_, o);
  ASSERT_TRUE(catalogue.ok());
  (*catalogue)->on_change([&] {
    std::lock_guard lock(mu);
    ++changes;
    cv.notify_all();
  });
  auto wait_change = [&](int past) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(10), [&] { return changes > past; });
  };
  ASSERT_EQ((*catalogue)->tools().size(), 2u);
  int before = changes;
  net.bump();  // both peers' contracts change: their set hashes move
  EXPECT_TRUE(wait_change(before));
  auto tool = (*catalogue)->find("p0__word-count");
  ASSERT_TRUE(tool.has_value());
  EXPECT_FALSE(tool->stale);
  // A peer whose key was revoked takes its tools along: nothing is sent to
  // it. (Other changes may be told first: wait for the one awaited.)
  auto tools_become = [&](std::size_t n) {
    Clock::time_point deadline = Clock::now() + std::chrono::seconds(10);
    for (;;) {
      int seen;
      {
        std::lock_guard lock(mu);
        seen = changes;
      }
      if ((*catalogue)->tools().size() == n) return true;
      std::unique_lock lock(mu);
      if (!cv.wait_until(lock, deadline, [&] { return changes > seen; })) return false;
    }
  };
  declare(2, 1);
  EXPECT_TRUE(tools_become(1));
  EXPECT_FALSE((*catalogue)->find("p1__word-count").has_value());
  // So does a peer removed from routes.toml.
  declare(0);
  EXPECT_TRUE(tools_become(0));
}

TEST_F(CatalogueTest, APeerThatStopsAnsweringKeepsItsToolsMarkedStale) {
  declare(1);
  auto up = std::make_shared<std::atomic<bool>>(true);
  CatalogueOptions o;
  o.agent = "agent-a";
  o.refresh = std::chrono::milliseconds(30);
  o.retry = std::chrono::milliseconds(30);
  o.watch_interval = std::chrono::milliseconds(20);
  o.discover = [up](const std::string&, std::chrono::milliseconds) -> Result<Discovery> {
    if (!*up) {
      return Error(Errc::unavailable, "cannot connect");
    }
    Discovery d;
    d.agent = "agent-x";
    d.skills = json::Value::array({contract("echo", "h1")});
    d.set_hash = "s1";
    return d;
  };
  auto catalogue = Catalogue::open(*ws_, o);
  ASSERT_TRUE(catalogue.ok());
  ASSERT_EQ((*catalogue)->tools().size(), 1u);
  *up = false;
  (*catalogue)->refresh_now();
  auto tool = (*catalogue)->find("p0__echo");
  ASSERT_TRUE(tool.has_value());
  EXPECT_TRUE(tool->stale);
  EXPECT_NE(tool->stale_why.find("cannot connect"), std::string::npos);
  EXPECT_NE(json::write(tool_json(*tool)).find("[Stale: "), std::string::npos);
}

TEST(ToolJson, WrapsSchemasWhoseRootIsNotAnObject) {
  Tool t;
  t.name = "beta__upper";
  t.owner = "beta";
  t.agent = "agent-b";
  t.contract = contract("upper", "h");
  t.contract.set("input_schema", json::Value::object({{"type", "string"}}));
  json::Value j = tool_json(t);
  EXPECT_EQ(j.find("inputSchema")->find("type")->as_string(), "object");
  EXPECT_EQ(j.find("inputSchema")->find("properties")->find("input")->find("type")->as_string(), "string");
  EXPECT_EQ(j.find("outputSchema")->find("type")->as_string(), "object");
  EXPECT_EQ(j.find("outputSchema")->find("$schema")->as_string(), "http://json-schema.org/draft-07/schema#");
  EXPECT_TRUE(wraps_input(t.contract));
  EXPECT_FALSE(wraps_output(t.contract));
}

}  // namespace
}  // namespace bwoc::mcp
