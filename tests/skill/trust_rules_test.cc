// The tier rules of docs/SKILLS.md, checked on random sequences of goal
// starts, ends and expiries, changes by hand, failed and successful calls,
// against a small model of those rules written here from the document.
//
// Reproducible: sequence N of a run uses mt19937_64(seed + N). A failure
// prints the seed, N and the operations that led to it; run again with
// BWOC_TRUST_SEED=<seed> (and BWOC_TRUST_SEQUENCES=<N+1>) to replay it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "../core/test_util.h"
#include "bwoc/core/files.h"
#include "bwoc/core/trust.h"

namespace bwoc {
namespace {

// The rules, as docs/SKILLS.md states them.
class TierModel {
 public:
  explicit TierModel(std::vector<int> declared) {
    for (int d : declared) peers_.push_back({d, d, 0, 0});
  }

  // A peer's tier: its base, raised to the lift of each of its active goals.
  int tier(std::size_t peer) const {
    int t = peers_[peer].base;
    for (const GoalModel& g : goals_) {
      if (g.peer == peer && g.state == "active") t = std::max(t, g.lift);
    }
    return t;
  }
  int consecutive(std::size_t peer) const { return peers_[peer].consecutive; }
  int total(std::size_t peer) const { return peers_[peer].total; }
  std::vector<std::string> goal_states() const {
    std::vector<std::string> out;
    for (const GoalModel& g : goals_) out.push_back(g.id + "=" + g.state);
    return out;
  }
  std::size_t goal_count() const { return goals_.size(); }

  // Read before anything else, at any time: a goal whose expiry has come ends.
  void expire(UnixMillis now) {
    for (GoalModel& g : goals_) {
      if (g.state == "active" && g.expires && *g.expires <= now) g.state = "expired";
    }
  }
  void start(std::size_t peer, int grant, std::optional<UnixMillis> expires) {
    goals_.push_back({"g" + std::to_string(goals_.size() + 1), peer, grant, "active", expires});
  }
  bool finish(const std::string& id) {
    for (GoalModel& g : goals_) {
      if (g.id != id) continue;
      if (g.state != "active") return false;
      g.state = "done";
      return true;
    }
    return false;
  }
  // By hand: the tier is what the operator says; goals active now lift it no more.
  void set(std::size_t peer, int tier) {
    peers_[peer].base = tier;
    peers_[peer].consecutive = peers_[peer].total = 0;
    for (GoalModel& g : goals_) {
      if (g.peer == peer && g.state == "active") g.lift = 0;
    }
  }
  void success(std::size_t peer) { peers_[peer].consecutive = 0; }
  void failure(std::size_t peer) {
    PeerModel& p = peers_[peer];
    ++p.consecutive;
    ++p.total;
    int now = tier(peer);
    int to = now;
    if (p.total >= kDecayTotal) {
      to = kUntrusted;
    } else if (p.consecutive >= kDecayRun) {
      to = std::max(0, now - 1);
      p.consecutive = 0;
    }
    if (to == now) return;
    // Decay holds whatever ends later: nothing active now lifts above it.
    p.base = std::min(p.base, to);
    for (GoalModel& g : goals_) {
      if (g.peer == peer && g.state == "active") g.lift = std::min(g.lift, to);
    }
  }

 private:
  struct PeerModel {
    int declared, base, consecutive, total;
  };
  struct GoalModel {
    std::string id;
    std::size_t peer;
    int lift;
    std::string state;
    std::optional<UnixMillis> expires;
  };
  std::vector<PeerModel> peers_;
  std::vector<GoalModel> goals_;
};

// A folder in memory when there is one: thousands of sequences of durable
// writes would otherwise spend minutes in fsync.
class ScratchDir {
 public:
  ScratchDir() {
    std::filesystem::path parent = std::filesystem::temp_directory_path();
    if (::access("/dev/shm", W_OK) == 0 && std::filesystem::is_directory("/dev/shm")) parent = "/dev/shm";
    std::string pattern = (parent / "bwoc-trust-rules-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::strtoull(v, nullptr, 10) : fallback;
}

TEST(TrustRules, RandomSequencesFollowTheRulesAndNoGoalEndRaisesATier) {
  ScratchDir dir;
  ASSERT_FALSE(dir.path().empty());
  Workspace self = test::make_workspace(dir.path(), "self", {});
  std::vector<Workspace> peers;
  const std::vector<std::string> names = {"known", "internal", "untrusted"};
  const std::vector<int> declared = {kKnown, kInternal, kUntrusted};
  std::string routes_text;
  for (std::size_t i = 0; i < names.size(); ++i) {
    peers.push_back(test::make_workspace(dir.path(), names[i], {}));
    routes_text += "[[peer]]\nkey = \"" + names[i] + "\"\npubkey = \"" + peers[i].public_key()->to_text() +
                   "\"\npath = \"" + peers[i].root().string() + "\"\n";
    if (i > 0) routes_text += "tier = " + std::to_string(declared[i]) + "\n";
  }
  ASSERT_TRUE(write_file_atomic(self.routes_file(), routes_text).ok());
  auto loaded = Routes::load(self.routes_file(), self.root());
  ASSERT_TRUE(loaded.ok()) << loaded.error().message();
  auto routes = std::make_shared<const Routes>(std::move(loaded).value());

  const std::uint64_t seed = env_or("BWOC_TRUST_SEED", 20'261'130);
  const std::uint64_t sequences = env_or("BWOC_TRUST_SEQUENCES", 2'000);
  constexpr int kSteps = 30;
  std::uint64_t goal_ends = 0, expiries = 0, decays = 0;

  for (std::uint64_t n = 0; n < sequences; ++n) {
    std::mt19937_64 rng(seed + n);
    auto pick = [&](std::uint64_t below) { return static_cast<std::size_t>(rng() % below); };
    std::error_code ec;
    std::filesystem::remove(self.state_dir() / "trust.json", ec);
    std::filesystem::remove(self.state_dir() / "trust-audit.jsonl", ec);
    UnixMillis now = 1'800'000'000'000;
    TrustStore store(self, routes, false);
    store.set_clock([&] { return now; });
    TierModel model(declared);
    std::string history;
    auto where = [&] {
      return "seed " + std::to_string(seed) + ", sequence " + std::to_string(n) + ", after:" + history;
    };

    for (int step = 0; step < kSteps; ++step) {
      std::vector<int> before;
      for (std::size_t p = 0; p < peers.size(); ++p) before.push_back(model.tier(p));
      std::size_t peer = pick(peers.size());
      std::size_t op = pick(100);
      bool only_ends_goals = false;  // this step may only end goals: no tier may rise
      std::optional<int> set_to;

      if (op < 20) {
        int grant = 1 + static_cast<int>(pick(2));
        std::optional<std::int64_t> expires_in;
        if (pick(2) == 0) expires_in = 1'000 * static_cast<std::int64_t>(1 + pick(120));
        history += " start(" + names[peer] + "," + std::to_string(grant) +
                   (expires_in ? "," + std::to_string(*expires_in / 1000) + "s" : std::string()) + ")";
        model.expire(now);
        ASSERT_TRUE(store.start_goal(names[peer], "objective", grant, expires_in).ok()) << where();
        model.start(peer, grant, expires_in ? std::optional<UnixMillis>(now + *expires_in) : std::nullopt);
      } else if (op < 40) {
        std::string id = "g" + std::to_string(1 + pick(model.goal_count() + 1));
        history += " done(" + id + ")";
        model.expire(now);
        bool ended = model.finish(id);
        EXPECT_EQ(store.finish_goal(id).ok(), ended) << where();
        goal_ends += ended;
        only_ends_goals = true;
      } else if (op < 55) {
        now += 1'000 * static_cast<UnixMillis>(pick(90));
        history += " clock+" + std::to_string(now / 1000 % 100'000);
        only_ends_goals = true;
      } else if (op < 63) {
        set_to = static_cast<int>(pick(4));
        history += " set(" + names[peer] + "," + std::to_string(*set_to) + ")";
        model.expire(now);
        ASSERT_TRUE(store.set(names[peer], *set_to).ok()) << where();
        model.set(peer, *set_to);
      } else if (op < 90) {
        history += " fail(" + names[peer] + ")";
        model.expire(now);
        int tier_before = model.tier(peer);
        ASSERT_TRUE(store.record_outcome(*peers[peer].public_key(), false, "test").ok()) << where();
        model.failure(peer);
        decays += model.tier(peer) < tier_before;
      } else {
        history += " ok(" + names[peer] + ")";
        model.expire(now);
        ASSERT_TRUE(store.record_outcome(*peers[peer].public_key(), true, "test").ok()) << where();
        model.success(peer);
      }

      // The store, read as any process would, against the model.
      auto listed = store.list();
      ASSERT_TRUE(listed.ok()) << where();
      model.expire(now);
      for (std::size_t p = 0; p < peers.size(); ++p) {
        const PeerTrust& got = (*listed)[p];
        ASSERT_EQ(got.peer, names[p]);
        ASSERT_EQ(got.tier, model.tier(p)) << names[p] << "'s tier; " << where();
        ASSERT_EQ(got.consecutive_failures, model.consecutive(p)) << where();
        ASSERT_EQ(got.total_failures, model.total(p)) << where();
        // What the issue asks, whatever the model says: ending a goal never
        // raises a tier, and a tier set by hand is the tier.
        if (only_ends_goals) {
          ASSERT_LE(got.tier, before[p]) << names[p] << "; " << where();
        }
      }
      ASSERT_EQ(*store.tier_of(*peers[peer].public_key()), std::optional<int>(model.tier(peer))) << where();
      if (set_to) {
        ASSERT_EQ((*listed)[peer].tier, *set_to) << where();
      }
      auto goals = store.goals();
      ASSERT_TRUE(goals.ok()) << where();
      std::vector<std::string> states;
      for (const Goal& g : *goals) {
        states.push_back(g.id + "=" + g.state);
        expiries += g.state == "expired" && step == kSteps - 1;
      }
      ASSERT_EQ(states, model.goal_states()) << where();
    }
  }
  // The sequences did reach what they are meant to test.
  EXPECT_GT(goal_ends, sequences);
  EXPECT_GT(expiries, sequences / 4);
  EXPECT_GT(decays, sequences / 4);
  std::cout << sequences << " sequences of " << kSteps << " steps: " << goal_ends << " goals done, " << expiries
            << " expired, " << decays << " decays\n";
}

}  // namespace
}  // namespace bwoc
