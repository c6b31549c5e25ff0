#include "bwoc/mcp/catalogue.h"

#include <sys/stat.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "bwoc/core/files.h"
#include "bwoc/core/log.h"
#include "bwoc/core/routes.h"
#include "bwoc/node/client.h"
#include "bwoc/skill/manifest.h"
#include "tool_names.h"

namespace bwoc::mcp {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kMaxCacheBytes = 64u << 20;
constexpr std::size_t kMaxSkillsPerPeer = 256;

// What stat() says of a file, to notice that it changed.
struct FileStamp {
  ino_t inode = 0;
  std::int64_t mtime_ns = 0;
  off_t size = -1;
  bool operator==(const FileStamp&) const = default;
};

FileStamp stamp_of(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return {};
  return {st.st_ino, static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec, st.st_size};
}

std::string text_of(const json::Value& v, std::string_view field) {
  const json::Value* f = v.find(field);
  return f && f->is_string() ? f->as_string() : std::string();
}

// A discovery answer's skills, keeping only entries a tool can be made of.
json::Value usable_skills(const json::Value* skills) {
  json::Value out = json::Value::array();
  if (skills == nullptr || !skills->is_array()) return out;
  for (const json::Value& s : skills->items()) {
    if (out.items().size() >= kMaxSkillsPerPeer) break;
    if (!s.is_object() || !skill::is_valid_skill_name(text_of(s, "name"))) continue;
    out.push_back(s);
  }
  return out;
}

struct PeerEntry {
  PublicKey pubkey;
  std::optional<Discovery> known;
  UnixMillis answered = 0;
  bool fresh = false;
  bool in_flight = false;
  std::uint64_t attempts = 0;  // finished since start
  std::string error;
  Clock::time_point due;
};

}  // namespace

struct Catalogue::Shared {
  Workspace ws;
  CatalogueOptions options;

  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  bool wake = false;
  std::shared_ptr<const Routes> routes;
  FileStamp routes_stamp, manifest_stamp;
  std::map<std::string, PeerEntry> peers;
  std::vector<json::Value> local;  // our exposed skills' contracts
  std::shared_ptr<node::Client> client;
  std::string client_error;
  std::function<void()> on_change;
  std::string signature;
  bool cache_dirty = false;
  std::mutex cache_mu;  // one writer of the cache file at a time; taken before mu
  std::size_t in_flight = 0;
  bool first_start = false;  // no cache yet: listing may wait (list_wait) for first answers
  std::thread refresher;

  explicit Shared(Workspace w) : ws(std::move(w)) {}

  std::filesystem::path cache_file() const {
    return ws.state_dir() / "mcp" / ("discovery-" + options.agent + ".json");
  }

  // --- requires mu ---------------------------------------------------------

  void load_routes() {
    FileStamp now = stamp_of(ws.routes_file());
    if (routes && now == routes_stamp) return;
    routes_stamp = now;
    auto loaded = Routes::load(ws.routes_file(), ws.root());
    if (!loaded.ok()) {
      // Keep serving what we had: a half-edited file must not drop every peer.
      log::warning("mcp.routes_invalid", {{"error", loaded.error().message()}});
      if (routes) return;
      loaded = Routes();
    }
    routes = std::make_shared<const Routes>(std::move(loaded).value());
    std::map<std::string, PeerEntry> next;
    for (const PeerRoute& p : routes->peers()) {
      if (p.revoked) continue;  // nothing goes to it: no tools of its
      auto it = peers.find(p.key);
      PeerEntry e;
      if (it != peers.end() && it->second.pubkey == p.pubkey) e = std::move(it->second);
      if (e.pubkey != p.pubkey) {
        e = PeerEntry();
        e.pubkey = p.pubkey;
      }
      e.due = Clock::now();  // ask again: how we reach it may have changed
      next.emplace(p.key, std::move(e));
    }
    peers = std::move(next);
    auto opened = node::Client::open(ws, options.discover_timeout);
    if (opened.ok()) {
      client = std::shared_ptr<node::Client>(std::move(opened).value());
      client_error.clear();
    } else {
      client.reset();
      client_error = opened.error().message();
    }
  }

  void load_local() {
    FileStamp now = stamp_of(ws.manifest_file(options.agent));
    if (now == manifest_stamp && manifest_stamp.size >= 0) return;
    manifest_stamp = now;
    local.clear();
    auto skills = skill::load_skills(ws, options.agent);
    if (!skills.ok()) {
      log::warning("mcp.manifest_invalid", {{"agent", options.agent}, {"error", skills.error().message()}});
      return;
    }
    for (const skill::Skill& s : *skills) {
      if (s.visibility != skill::Visibility::exposed) continue;
      json::Value c = skill::contract_json(s);
      c.set("hash", s.hash);
      local.push_back(std::move(c));
    }
  }

  std::vector<Tool> tools_locked() {
    std::vector<Tool> out;
    for (const json::Value& c : local) {
      out.push_back(Tool{tool_name(kSelf, text_of(c, "name")), std::string(kSelf), options.agent, c, false, ""});
    }
    std::vector<Tool> remote;
    UnixMillis now = now_millis();
    for (const auto& [key, e] : peers) {
      if (!e.known) continue;
      bool stale = !e.fresh || !e.error.empty();
      std::string why;
      if (stale) {
        why = e.answered ? key + " last answered " + format_age(now - e.answered) : key + " has not answered yet";
        why += e.error.empty() ? "; asking again now" : "; now: " + e.error;
      }
      for (const json::Value& c : e.known->skills.items()) {
        remote.push_back(Tool{tool_name(key, text_of(c, "name")), key, e.known->agent, c, stale, why});
      }
    }
    std::sort(remote.begin(), remote.end(), [](const Tool& a, const Tool& b) { return a.name < b.name; });
    // A peer declared as "self" must not shadow our own tools.
    for (Tool& t : remote) {
      bool taken = std::any_of(out.begin(), out.end(), [&](const Tool& o) { return o.name == t.name; });
      if (!taken) out.push_back(std::move(t));
    }
    return out;
  }

  // What a client would list, reduced to what matters for list_changed.
  std::string signature_locked() {
    std::string sig;
    for (const Tool& t : tools_locked()) sig += t.name + " " + text_of(t.contract, "hash") + "\n";
    sig += "peers:";
    for (const auto& [key, e] : peers) sig += " " + key;
    return sig;
  }

  // Notifies the client when the list changed; called after every update.
  void settle(std::unique_lock<std::mutex>& lock) {
    std::string sig = signature_locked();
    if (sig == signature) return;
    signature = std::move(sig);
    auto callback = on_change;
    lock.unlock();
    if (callback) callback();
    lock.lock();
  }

  // --- the cache file ------------------------------------------------------

  void read_cache() {
    std::error_code ec;
    if (!std::filesystem::exists(cache_file(), ec)) return;
    auto text = read_file_bounded(cache_file(), kMaxCacheBytes);
    auto doc = text.ok() ? json::parse(*text, json::ParseLimits{kMaxCacheBytes, 96}) : Result<json::Value>(text.error());
    const json::Value* list = doc.ok() ? doc->find("peers") : nullptr;
    if (list == nullptr || !list->is_object()) {
      log::warning("mcp.cache_unreadable", {{"file", cache_file().string()}});
      return;
    }
    for (const json::Member& m : list->members()) {
      auto it = peers.find(m.name);
      if (it == peers.end()) continue;
      auto key = PublicKey::from_text(text_of(m.value, "pubkey"));
      // Only what the key pinned now said.
      if (!key.ok() || !(*key == it->second.pubkey)) continue;
      Discovery d;
      d.agent = text_of(m.value, "agent");
      d.set_hash = text_of(m.value, "set_hash");
      d.skills = usable_skills(m.value.find("skills"));
      d.via = "cache";
      const json::Value* at = m.value.find("answered");
      it->second.answered = at && at->is_safe_integer() ? static_cast<UnixMillis>(at->as_number()) : 0;
      it->second.known = std::move(d);
    }
  }

  // Takes `lock` (on mu) through cache_mu: the newest state is the last written.
  void write_cache(std::unique_lock<std::mutex>& lock) {
    if (!cache_dirty) return;
    lock.unlock();
    std::lock_guard writing(cache_mu);
    lock.lock();
    if (!cache_dirty) return;
    cache_dirty = false;
    json::Value list = json::Value::object();
    for (const auto& [key, e] : peers) {
      if (!e.known) continue;
      list.set(key, json::Value::object({{"pubkey", e.pubkey.to_text()},
                                         {"agent", e.known->agent},
                                         {"set_hash", e.known->set_hash},
                                         {"answered", e.answered},
                                         {"skills", e.known->skills}}));
    }
    std::string text = json::write(json::Value::object({{"version", 1}, {"peers", std::move(list)}})) + "\n";
    lock.unlock();
    Status st = ensure_directory(cache_file().parent_path(), 0700);
    if (st.ok()) st = write_file_atomic(cache_file(), text, 0600);
    if (!st.ok()) log::warning("mcp.cache_not_written", {{"error", st.error().message()}});
    lock.lock();
  }

  // --- discovery -----------------------------------------------------------

  Discoverer discoverer() {
    if (options.discover) return options.discover;
    return [this](const std::string& peer, std::chrono::milliseconds timeout) -> Result<Discovery> {
      std::shared_ptr<node::Client> c;
      {
        std::lock_guard lock(mu);
        c = client;
        if (!c) return Error(Errc::unavailable, client_error);
      }
      peer::AskRequest r;
      r.peer = peer;
      r.from = options.agent;
      r.timeout = timeout;
      BWOC_ASSIGN_OR_RETURN(peer::SkillAnswer answer, c->discover(std::move(r)));
      if (!answer.ok) return Error(Errc::refused, "it answered: " + answer.error);
      Discovery d;
      d.agent = answer.ask.agent;
      d.skills = usable_skills(answer.payload.find("skills"));
      d.set_hash = text_of(answer.payload, "set_hash");
      d.via = std::string(via_name(answer.ask.via));
      return d;
    };
  }

  static void discover(const std::shared_ptr<Shared>& self, const std::string& peer) {
    auto result = self->discoverer()(peer, self->options.discover_timeout);
    std::unique_lock lock(self->mu);
    --self->in_flight;
    auto it = self->peers.find(peer);
    if (it != self->peers.end()) {
      PeerEntry& e = it->second;
      e.in_flight = false;
      ++e.attempts;
      if (result.ok()) {
        bool changed = !e.known || e.known->set_hash != result->set_hash || e.known->agent != result->agent;
        e.known = std::move(result).value();
        e.answered = now_millis();
        e.fresh = true;
        e.error.clear();
        e.due = Clock::now() + self->options.refresh;
        self->cache_dirty = true;
        if (changed) log::info("mcp.discovered", {{"peer", peer}, {"set_hash", e.known->set_hash}});
      } else {
        e.error = result.error().message();
        e.due = Clock::now() + std::min(self->options.retry, self->options.refresh);
        log::info("mcp.discover_failed", {{"peer", peer}, {"error", e.error}});
      }
    }
    self->wake = true;
    self->cv.notify_all();
  }

  // One pass of the background loop; requires mu.
  void step(const std::shared_ptr<Shared>& self, std::unique_lock<std::mutex>& lock) {
    load_routes();
    load_local();
    if (client || options.discover) {
      Clock::time_point now = Clock::now();
      for (auto& [key, e] : peers) {
        if (in_flight >= std::max<std::size_t>(options.parallel, 1)) break;
        if (e.in_flight || now < e.due) continue;
        e.in_flight = true;
        ++in_flight;
        // Detached, holding the shared state: a peer that takes its whole
        // timeout to fail never holds up the catalogue or its shutdown.
        std::thread([self, peer = key] { discover(self, peer); }).detach();
      }
    }
    settle(lock);
    write_cache(lock);
  }

  Clock::time_point next_due() {
    Clock::time_point next = Clock::now() + options.watch_interval;
    if (in_flight < std::max<std::size_t>(options.parallel, 1)) {
      for (const auto& [key, e] : peers) {
        if (!e.in_flight) next = std::min(next, e.due);
      }
    }
    return next;
  }
};

Catalogue::Catalogue(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}

Result<std::unique_ptr<Catalogue>> Catalogue::open(const Workspace& ws, CatalogueOptions options) {
  if (!ws.has_agent(options.agent)) return Error(Errc::not_found, "no agent \"" + options.agent + "\" in this workspace");
  auto shared = std::make_shared<Shared>(ws);
  shared->options = std::move(options);
  {
    std::unique_lock lock(shared->mu);
    shared->load_routes();
    shared->load_local();
    std::error_code ec;
    shared->first_start = !std::filesystem::exists(shared->cache_file(), ec);
    // Written at the first step, answered or not: the next start lists at once.
    shared->cache_dirty = shared->first_start;
    shared->read_cache();
    shared->signature = shared->signature_locked();
  }
  if (shared->options.background) {
    shared->refresher = std::thread([s = shared.get(), keep = std::weak_ptr<Shared>(shared)] {
      std::unique_lock lock(s->mu);
      while (!s->stopping) {
        if (auto self = keep.lock()) s->step(self, lock);
        s->cv.wait_until(lock, s->next_due(), [s] { return s->stopping || s->wake; });
        s->wake = false;
      }
    });
  }
  return std::unique_ptr<Catalogue>(new Catalogue(std::move(shared)));
}

Catalogue::~Catalogue() { stop(); }

std::size_t Catalogue::stop() {
  {
    std::lock_guard lock(shared_->mu);
    shared_->stopping = true;
    shared_->on_change = nullptr;
    shared_->cv.notify_all();
  }
  if (shared_->refresher.joinable()) shared_->refresher.join();
  std::lock_guard lock(shared_->mu);
  return shared_->in_flight;
}

std::vector<Tool> Catalogue::tools() {
  std::unique_lock lock(shared_->mu);
  Clock::time_point deadline = Clock::now() + shared_->options.list_wait;
  auto waiting_for_first = [&] {
    if (!shared_->first_start || (!shared_->client && !shared_->options.discover)) return false;
    for (const auto& [key, e] : shared_->peers) {
      if (!e.known && e.attempts == 0) return true;
    }
    return false;
  };
  while (waiting_for_first() && !shared_->stopping) {
    if (shared_->cv.wait_until(lock, deadline) == std::cv_status::timeout) break;
  }
  return shared_->tools_locked();
}

std::optional<Tool> Catalogue::find(const std::string& name) {
  std::lock_guard lock(shared_->mu);
  for (Tool& t : shared_->tools_locked()) {
    if (t.name == name) return std::move(t);
  }
  return std::nullopt;
}

std::vector<std::string> Catalogue::owners() {
  std::lock_guard lock(shared_->mu);
  std::vector<std::string> out{std::string(kSelf)};
  for (const auto& [key, e] : shared_->peers) out.push_back(key);
  return out;
}

std::vector<PeerState> Catalogue::peers() {
  std::lock_guard lock(shared_->mu);
  std::vector<PeerState> out;
  for (const auto& [key, e] : shared_->peers) {
    PeerState p;
    p.peer = key;
    if (e.known) {
      p.agent = e.known->agent;
      p.set_hash = e.known->set_hash;
      p.skills = e.known->skills.items().size();
      p.via = e.known->via;
    }
    p.answered = e.answered;
    p.fresh = e.fresh;
    p.in_flight = e.in_flight;
    p.error = e.error;
    out.push_back(std::move(p));
  }
  return out;
}

void Catalogue::refresh_now() {
  std::unique_lock lock(shared_->mu);
  std::map<std::string, std::uint64_t> before;
  for (auto& [key, e] : shared_->peers) {
    before[key] = e.attempts + (e.in_flight ? 1 : 0);
    e.due = Clock::now();
  }
  Clock::time_point deadline = Clock::now() + shared_->options.discover_timeout + std::chrono::seconds(2);
  auto done = [&] {
    for (const auto& [key, e] : shared_->peers) {
      auto b = before.find(key);
      if (b != before.end() && e.attempts <= b->second) return false;
    }
    return true;
  };
  while (!done()) {
    if (shared_->stopping) break;
    if (!shared_->options.background) {
      // No background loop: start what is due from here.
      shared_->step(shared_, lock);
    } else {
      shared_->wake = true;
      shared_->cv.notify_all();
    }
    if (shared_->cv.wait_until(lock, std::min(deadline, Clock::now() + std::chrono::milliseconds(200))) ==
            std::cv_status::timeout &&
        Clock::now() >= deadline) {
      break;
    }
  }
  shared_->settle(lock);
  shared_->write_cache(lock);
}

void Catalogue::refresh_peer(const std::string& peer) {
  std::lock_guard lock(shared_->mu);
  auto it = shared_->peers.find(peer);
  if (it == shared_->peers.end()) return;
  it->second.due = Clock::now();
  shared_->wake = true;
  shared_->cv.notify_all();
}

void Catalogue::on_change(std::function<void()> callback) {
  std::lock_guard lock(shared_->mu);
  shared_->on_change = std::move(callback);
}

const std::string& Catalogue::agent() const { return shared_->options.agent; }

std::shared_ptr<node::Client> Catalogue::client() {
  std::lock_guard lock(shared_->mu);
  return shared_->client;
}

}  // namespace bwoc::mcp
