#include "bwoc/node/views.h"

namespace bwoc::node {

json::Value inbox_entry_json(const InboxEntry& e) {
  return json::Value::object({{"line", e.line},
                              {"received", e.received},
                              {"via", via_name(e.via)},
                              {"id", e.id},
                              {"kind", e.kind},
                              {"from", e.from},
                              {"peer", e.peer},
                              {"key", e.sender_key},
                              {"to", e.to},
                              {"ts", e.ts},
                              {"re", e.re},
                              {"sealed", e.sealed},
                              {"payload", e.payload}});
}

json::Value trust_list_json(const std::vector<PeerTrust>& peers, const Routes& routes, UnixMillis now) {
  json::Value out = json::Value::array();
  for (const PeerTrust& p : peers) {
    json::Value v = peer_trust_json(p);
    const PeerRoute* route = routes.find(p.peer);
    v.set("key_state", route ? key_state(*route, now) : std::string("pinned"));
    out.push_back(std::move(v));
  }
  return out;
}

json::Value inbox_verification_json(std::string_view agent, const InboxVerification& v) {
  json::Value problems = json::Value::array();
  for (const auto& p : v.problems) {
    problems.push_back(json::Value::object({{"line", p.line}, {"id", p.id}, {"problem", p.problem}}));
  }
  return json::Value::object({{"agent", agent},
                              {"lines", v.lines},
                              {"verified", v.verified},
                              {"unpinned", v.unpinned},
                              {"problems", std::move(problems)}});
}

json::Value refusal_json(const RefusalRecord& r) {
  json::Value j = json::Value::object({{"at", format_timestamp(r.at)},
                                       {"via", via_name(r.via)},
                                       {"reason", r.reason},
                                       {"detail", r.detail},
                                       {"source", r.source},
                                       {"bytes", r.bytes}});
  if (r.peer) j.set("peer", *r.peer);
  if (r.key) j.set("key", *r.key);
  if (r.id) j.set("id", *r.id);
  if (r.kind) j.set("kind", *r.kind);
  if (r.from) j.set("from", *r.from);
  if (r.to) j.set("to", *r.to);
  return j;
}

json::Value skill_listing_json(std::string_view agent, const skill::Skill& s) {
  json::Value c = skill::contract_json(s);
  c.set("agent", std::string(agent));
  c.set("visibility", std::string(skill::visibility_name(s.visibility)));
  c.set("hash", s.hash);
  return c;
}

}  // namespace bwoc::node
