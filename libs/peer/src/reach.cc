#include "bwoc/peer/reach.h"

#include <future>
#include <map>

#include "bwoc/core/files.h"
#include "bwoc/core/json.h"
#include "bwoc/core/log.h"

namespace bwoc::peer {

namespace {

std::filesystem::path seen_file(const Workspace& ws) { return ws.state_dir() / "peers-seen.json"; }

}  // namespace

std::map<std::string, UnixMillis> load_last_seen(const Workspace& ws) {
  std::map<std::string, UnixMillis> out;
  auto text = read_file_bounded(seen_file(ws), 1 << 20);
  if (!text.ok()) return out;
  auto doc = json::parse(*text);
  if (!doc.ok() || !doc->is_object()) return out;
  for (const auto& m : doc->members()) {
    // A hand-edited or damaged file may hold any number; only whole
    // milliseconds a cast can carry are times.
    if (m.value.is_safe_integer() && m.value.as_number() >= 0) out[m.name] = static_cast<UnixMillis>(m.value.as_number());
  }
  return out;
}

namespace {

std::string target_of(const PeerRoute& p, Via via) {
  switch (via) {
    case Via::path:
      return p.path ? p.path->string() : "";
    case Via::a2a:
      return p.url.value_or("");
    case Via::mqtt:
      return p.mqtt ? p.mqtt->broker + " " + p.mqtt->topic : "";
  }
  return "";
}

}  // namespace

std::string_view state_name(Reach::State state) {
  switch (state) {
    case Reach::State::reachable:
      return "reachable";
    case Reach::State::unreachable:
      return "unreachable";
    case Reach::State::unknown:
      break;
  }
  return "unknown";
}

Status probe_path(const PeerRoute& peer, std::chrono::milliseconds) {
  if (!peer.path) return Error(Errc::unavailable, "no path");
  auto ws = Workspace::open_peer(*peer.path);
  if (!ws.ok()) return Error(Errc::unavailable, "no workspace at " + peer.path->string());
  auto key = ws->public_key();
  if (!key.ok()) return Error(Errc::unavailable, "the workspace at " + peer.path->string() + " has no key");
  if (!(*key == peer.pubkey)) {
    return Error(Errc::refused, "the workspace at " + peer.path->string() + " has another key than the pinned one");
  }
  return ok_status();
}

std::vector<Reach> probe_peers(const Workspace& ws, const Routes& routes, const Probers& probers,
                               std::chrono::milliseconds timeout) {
  std::vector<Reach> out;
  std::vector<std::future<Status>> probes;
  for (const PeerRoute& p : routes.peers()) {
    Reach r;
    r.key = p.key;
    r.name = p.name;
    std::vector<Via> vias = p.transports();
    r.via = vias.empty() ? Via::path : vias.front();
    r.target = target_of(p, r.via);
    const Prober* prober = r.via == Via::path ? &probers.path : r.via == Via::a2a ? &probers.url : &probers.mqtt;
    if (!*prober) {
      r.detail = "this build of bwoc has no " + std::string(via_name(r.via)) + " transport";
      probes.emplace_back();
    } else {
      // One thread a peer: probes mostly wait, and all wait at once.
      probes.push_back(std::async(std::launch::async, [prober, p, timeout] { return (*prober)(p, timeout); }));
    }
    out.push_back(std::move(r));
  }
  UnixMillis now = now_millis();
  std::map<std::string, UnixMillis> seen = load_last_seen(ws);
  bool changed = false;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (probes[i].valid()) {
      Status st = probes[i].get();
      out[i].state = st.ok() ? Reach::State::reachable : Reach::State::unreachable;
      if (!st.ok()) out[i].detail = st.error().message();
    }
    if (out[i].state == Reach::State::reachable) {
      seen[out[i].key] = now;
      changed = true;
    }
    if (auto it = seen.find(out[i].key); it != seen.end()) out[i].last_seen = it->second;
  }
  if (changed) {
    json::Value doc = json::Value::object();
    for (const auto& [k, t] : seen) {
      if (routes.find(k) != nullptr) doc.set(k, static_cast<double>(t));
    }
    if (Status st = write_file_atomic(seen_file(ws), json::write(doc) + "\n", 0600); !st.ok()) {
      log::warning("peer.seen_not_saved", {{"error", st.error().message()}});
    }
  }
  return out;
}

}  // namespace bwoc::peer
