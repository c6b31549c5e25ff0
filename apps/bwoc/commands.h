// The options and actions of every bwoc subcommand. main.cc declares the
// command line (the only file that includes CLI11, which is costly to
// compile); the cmd_*.cc files do the work and print.
#ifndef BWOC_APPS_BWOC_COMMANDS_H_
#define BWOC_APPS_BWOC_COMMANDS_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "bwoc/core/routes.h"
#include "cli.h"

namespace bwoc::cli {

struct InitOptions {
  std::string dir = ".";
  std::optional<std::string> name;
  bool keygen = false;
};
int run_init(Context& ctx, const InitOptions& o);

struct TrustOptions {
  bool keygen = false;
  bool force = false;
  bool json = false;
  std::string peer, tier;  // trust set
  std::string grace = "7d", timeout = "15s";  // trust rotate / revoke
};
int run_trust_rotate(Context& ctx, const TrustOptions& o);
int run_trust_revoke(Context& ctx, const TrustOptions& o);
// How a peer's pinned key stands: "pinned", "rotated, old key until …", "revoked: needs a new invite".
int run_trust_keygen(Context& ctx, const TrustOptions& o);
int run_trust_show(Context& ctx, const TrustOptions& o);
int run_trust_list(Context& ctx, const TrustOptions& o);
int run_trust_set(Context& ctx, const TrustOptions& o);

struct GoalOptions {
  std::string peer, objective, grant, id, text;
  std::optional<std::string> expires;
  std::size_t number = 0;
  bool json = false;
};
int run_goal_start(Context& ctx, const GoalOptions& o);
int run_goal_done(Context& ctx, const GoalOptions& o);
int run_goal_list(Context& ctx, const GoalOptions& o);
int run_goal_kr_add(Context& ctx, const GoalOptions& o);
int run_goal_kr_done(Context& ctx, const GoalOptions& o);

struct SkillsOptions {
  std::string name;
  std::string dir;  // skills wrap / add: a SKILL.md's folder
  std::optional<std::string> agent;
  int tier = 1;
  bool json = false;
};
int run_skills_list(Context& ctx, const SkillsOptions& o);
int run_skills_expose(Context& ctx, const SkillsOptions& o);
int run_skills_hide(Context& ctx, const SkillsOptions& o);
int run_skills_preview(Context& ctx, const SkillsOptions& o);
int run_skills_stats(Context& ctx, const SkillsOptions& o);
int run_skills_wrap(Context& ctx, const SkillsOptions& o);
int run_skills_add(Context& ctx, const SkillsOptions& o);

struct CallOptions {
  std::string target;  // PEER or PEER/AGENT
  std::string skill;
  std::optional<std::string> input, input_file, version, from, via;
  std::string timeout = "30s";
  std::string deadline = "2d";  // call: how long the request stands after we stop waiting
  bool json = false;
  bool seal = false;
};
int run_discover(Context& ctx, const CallOptions& o);

struct RequestOptions {
  std::string target;  // PEER or PEER/AGENT
  std::string skill;
  std::optional<std::string> input, input_file, inputs, version, from, key;
  std::string deadline = "2d";
  std::string id;                // request cancel, result
  std::optional<std::string> wait;  // result --wait [TIMEOUT]
  bool json = false;
  bool deliver = false;          // requests --deliver
  std::optional<std::string> via;  // requests --deliver --via
};
int run_request(Context& ctx, const RequestOptions& o);
int run_request_cancel(Context& ctx, const RequestOptions& o);
int run_requests(Context& ctx, const RequestOptions& o);
int run_result(Context& ctx, const RequestOptions& o);
// After `peer` was removed or lowered to UNTRUSTED: its pending requests are
// cancelled (a line on stdout says how many).
void cancel_requests_to(const Workspace& ws, const std::string& peer, const std::string& why);
// The key routes.toml pins for `peer` now, when it declares it.
std::optional<PublicKey> pinned_key_of(const Workspace& ws, const std::string& peer);
// Refuses `peer`'s requests still waiting in our drop folder (node/queued_work.h), with a line.
void refuse_queued_work_of(const Workspace& ws, const std::string& peer, const PublicKey& key, const std::string& why);
int run_call(Context& ctx, const CallOptions& o);

struct AgentOptions {
  std::string name;
  std::string description;
  bool json = false;
};
int run_agent_add(Context& ctx, const AgentOptions& o);
int run_agent_list(Context& ctx, const AgentOptions& o);

struct EnvelopeOptions {
  std::string from, to, aud, kind = "message";
  std::optional<std::string> payload, payload_file, re, id, ts;
  std::string input = "-";
  std::optional<std::string> now;
  std::string via = "path";
  bool explain = false;
  bool seal = false;                    // sign: seal the payload to the audience's X25519 key
  std::optional<std::string> seal_to;   // sign: ... or to this one
};
int run_envelope_sign(Context& ctx, const EnvelopeOptions& o);
int run_envelope_verify(Context& ctx, const EnvelopeOptions& o);

struct InboxOptions {
  std::string agent;
  bool json = false;
  std::size_t limit = 20;
  std::size_t max = 0;
  bool watch = false;
};
int run_inbox_list(Context& ctx, const InboxOptions& o);
int run_inbox_verify(Context& ctx, const InboxOptions& o);
int run_inbox_ingest(Context& ctx, const InboxOptions& o);
int run_inbox_refusals(Context& ctx, const InboxOptions& o);

struct SentOptions {
  std::size_t limit = 20;
  std::optional<std::string> state;
  std::string agent;
  bool json = false;
};
int run_sent(Context& ctx, const SentOptions& o);

struct SendOptions {
  std::string target, from, kind = "message";
  std::string timeout = "30s";
  std::optional<std::string> payload, payload_file, re, via;
  bool json = false;
  bool seal = false;
};
int run_send(Context& ctx, const SendOptions& o);

struct A2aOptions {
  std::string agent;
  std::string bind = "127.0.0.1";
  int port = 8080;
  std::string public_url;
  int threads = 0;
  double rate_per_address = 100, rate_per_key = 50;
  std::size_t max_connections = 2048;
  std::size_t max_body = (1u << 20) + 64 * 1024;
  std::size_t body_budget = 64u << 20;
  std::string header_timeout = "10s", body_timeout = "30s", idle_timeout = "60s", drain_timeout = "10s";
  std::size_t max_tasks = 100'000;
  // a2a send
  std::string url, from, to, kind = "message";
  std::optional<std::string> payload, payload_file;
  bool json = false;
  bool seal = false;
};
int run_a2a_serve(Context& ctx, const A2aOptions& o);
int run_a2a_card(Context& ctx, const A2aOptions& o);
int run_a2a_send(Context& ctx, const A2aOptions& o);

struct MqttOptions {
  std::string agent;
  std::optional<std::string> broker;
  std::vector<std::string> topics;
  std::optional<std::string> ca, cert, key, credentials;
  // publish
  std::optional<std::string> to, payload, payload_file;
  std::string kind = "message";
  std::string wait = "10s";
  bool require_receipt = false;
  // subscribe
  std::string client_id;
  std::size_t max_pending = 1024;
  std::string retry_interval = "30s";
  // spool
  bool retry = false;
  bool json = false;
  bool seal = false;  // publish
};
int run_mqtt_publish(Context& ctx, const MqttOptions& o);
int run_mqtt_subscribe(Context& ctx, const MqttOptions& o);
int run_mqtt_spool(Context& ctx, const MqttOptions& o);

struct ServiceOptions {
  std::string kind;  // mqtt, a2a or ingest
  std::string agent;
  std::string user = "bwoc";
  std::optional<std::string> broker, credentials, ca, cert, key;
  int port = 8080;
  std::string bind = "127.0.0.1";
  std::optional<std::string> binary;
};
int run_service_print(Context& ctx, const ServiceOptions& o);

struct PeerOptions {
  // invite
  bool path = false;
  std::optional<std::string> url, mqtt_broker, mqtt_topic;
  // peer add / remove
  std::string code, key;
  bool json = false;
  // peer list
  std::string timeout = "2s";
  // peer status / learn / feedback
  std::optional<std::string> doc, via;
  std::string agent, from, comment;
  int score = 0;
  std::string ask_timeout = "15s";
  bool seal = false;
};
int run_invite(Context& ctx, const PeerOptions& o);
int run_peer_add(Context& ctx, const PeerOptions& o);
int run_peer_remove(Context& ctx, const PeerOptions& o);
int run_peer_list(Context& ctx, const PeerOptions& o);
int run_peer_status(Context& ctx, const PeerOptions& o);
int run_peer_learn(Context& ctx, const PeerOptions& o);
int run_peer_feedback(Context& ctx, const PeerOptions& o);

struct ShareOptions {
  std::string file, name_arg;
  std::optional<std::string> name;
  std::string description;
  bool json = false;
};
int run_share_add(Context& ctx, const ShareOptions& o);
int run_share_list(Context& ctx, const ShareOptions& o);
int run_share_remove(Context& ctx, const ShareOptions& o);

struct TaskOptions {
  std::string team, title, id, agent;
  std::optional<std::string> team_filter;
  bool json = false;
};
int run_task_add(Context& ctx, const TaskOptions& o);
int run_task_list(Context& ctx, const TaskOptions& o);
int run_task_claim(Context& ctx, const TaskOptions& o);
int run_task_done(Context& ctx, const TaskOptions& o);

struct StatusOptions {
  bool probe = false;
  std::string timeout = "2s";
  std::size_t recent = 10;
  bool json = false;
};
int run_status(Context& ctx, const StatusOptions& o);

struct DashboardOptions {
  int port = 0;
};
int run_dashboard(Context& ctx, const DashboardOptions& o);

struct DemoOptions {
  std::string dir;
  bool keep = false;
};
int run_demo(Context& ctx, const DemoOptions& o);

}  // namespace bwoc::cli

#endif  // BWOC_APPS_BWOC_COMMANDS_H_
