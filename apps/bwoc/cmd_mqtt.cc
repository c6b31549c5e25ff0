// bwoc mqtt: publish signed envelopes to a broker, feed an agent's inbox
// from one, and look after the spool of envelopes still without a receipt.
#include <algorithm>
#include <iostream>
#include <map>

#include "bwoc/core/routes.h"
#include "bwoc/mqtt/publisher.h"
#include "bwoc/mqtt/spool.h"
#include "bwoc/mqtt/subscriber.h"
#include "bwoc/node/network.h"
#include "bwoc/node/node.h"
#include "bwoc/peer/send.h"
#include "bwoc/node/courier.h"
#include "commands.h"
#include "progress.h"

namespace bwoc::cli {

namespace {

mqtt::BrokerOverrides overrides_of(const MqttOptions& o) {
  mqtt::BrokerOverrides b;
  if (o.ca) b.ca_file = *o.ca;
  if (o.cert) b.cert_file = *o.cert;
  if (o.key) b.key_file = *o.key;
  if (o.credentials) b.credentials_file = *o.credentials;
  return b;
}

std::vector<std::string> split_levels(const std::string& topic) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    std::size_t slash = topic.find('/', start);
    out.push_back(topic.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) return out;
    start = slash + 1;
  }
}

struct Target {
  PeerRoute route;  // a declared peer's, or this workspace's own ("self")
  std::string agent;
  std::string topic;
};

// Whom an envelope is for and where it goes: from --to PEER/AGENT and the
// peer's mqtt route, or from a topic of the form bwoc/<workspace>/<agent>/<slot>.
Result<Target> resolve_target(const Workspace& ws, const Routes& routes, const MqttOptions& o) {
  Target t;
  if (o.to) {
    BWOC_ASSIGN_OR_RETURN(auto pa, peer::split_peer_agent(*o.to));
    t.route.key = pa.first;
    t.agent = pa.second;
  } else {
    if (o.topics.empty()) return Error(Errc::invalid_argument, "give --to PEER/AGENT, or a --topic bwoc/<workspace>/<agent>/<slot>");
    std::vector<std::string> levels = split_levels(o.topics.front());
    if (levels.size() != 4 || levels[0] != "bwoc") {
      return Error(Errc::invalid_argument, "cannot tell from the topic \"" + o.topics.front() +
                                               "\" whom the envelope is for: give --to PEER/AGENT");
    }
    t.route.key = levels[1];
    t.agent = levels[2];
  }
  std::string broker;
  if (t.route.key == ws.name() || t.route.key == "self") {
    BWOC_ASSIGN_OR_RETURN(t.route.pubkey, ws.public_key());
    t.route.key = "self";
    if (!ws.has_agent(t.agent)) return Error(Errc::not_found, "no agent \"" + t.agent + "\" in this workspace");
  } else {
    const PeerRoute* route = routes.find(t.route.key);
    if (route == nullptr) {
      return Error(Errc::not_found, "no peer \"" + t.route.key + "\" in routes.toml: declare it with its pinned pubkey first");
    }
    t.route = *route;
    if (route->mqtt) {
      broker = route->mqtt->broker;
      t.topic = mqtt::agent_topic(route->mqtt->topic, t.agent, "inbox");
    }
  }
  if (!o.topics.empty()) t.topic = o.topics.front();
  if (o.broker) broker = *o.broker;
  if (broker.empty()) return Error(Errc::invalid_argument, "no broker: give --broker mqtt://HOST:PORT or declare the peer with mqtt = { broker = ... }");
  if (t.topic.empty()) return Error(Errc::invalid_argument, "no topic: give --topic");
  if (!mqtt::is_valid_topic_name(t.topic)) {
    return Error(Errc::invalid_argument, "cannot publish to \"" + t.topic + "\": wildcards are for subscribing");
  }
  // Only MQTT, to this broker and topic.
  t.route.path.reset();
  t.route.url.reset();
  t.route.mqtt = MqttRoute{broker, t.route.mqtt ? t.route.mqtt->topic : "bwoc/" + ws.name()};
  return t;
}

}  // namespace

int run_mqtt_publish(Context& ctx, const MqttOptions& o) {
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  std::string from = agent_name(o.agent);
  if (!ws->has_agent(from)) return fail(ctx, Error(Errc::not_found, "no agent \"" + from + "\" here to publish as"));
  auto wait = millis(o.wait, "--wait");
  if (!wait.ok()) return fail(ctx, wait.error());
  auto routes = Routes::load(ws->routes_file(), ws->root());
  if (!routes.ok()) return fail(ctx, routes.error());
  auto target = resolve_target(*ws, *routes, o);
  if (!target.ok()) return fail(ctx, target.error());
  auto payload = read_payload(o.payload, o.payload_file);
  if (!payload.ok()) return fail(ctx, payload.error());
  auto key = ws->load_secret_key();
  if (!key.ok()) return fail(ctx, key.error());
  peer::SendRequest req;
  req.agent = target->agent;
  req.from = from;
  req.kind = o.kind;
  req.payload = std::move(payload).value();
  req.via = Via::mqtt;
  if (o.seal) req.seal = peer::SealMode::always;
  req.timeout = *wait;
  mqtt::MqttTransportOptions mo;
  mo.receipt_timeout = *wait;
  mo.overrides = overrides_of(o);
  mo.exact_topic = target->topic;
  peer::Network network = node::empty_network(*ws);
  network.add(std::make_unique<mqtt::MqttTransport>(*ws, mo));
  auto sent = peer::send_to(*ws, *key, target->route, req, network);
  if (!sent.ok()) return fail(ctx, sent.error().context("not published to " + target->topic));
  const std::string& id = sent->envelope.envelope.id;
  bool confirmed = sent->report.confirmed;
  const std::string& broker = target->route.mqtt->broker;
  if (o.json) {
    json::Value out = json::Value::object(
        {{"id", id}, {"topic", target->topic}, {"broker", broker}, {"confirmed", confirmed}, {"spooled", !confirmed}});
    if (sent->report.reply) out.set("receipt", *json::parse(*sent->report.reply));
    print_json(out);
  } else if (confirmed) {
    std::cout << "published " << id << " to " << target->topic << " on " << broker << ": receipt verified\n";
  } else {
    std::cout << "published " << id << " to " << target->topic << " on " << broker << "; no receipt within "
              << o.wait << ": kept in the spool (`bwoc mqtt spool`) and resent until one comes\n";
  }
  if (!confirmed && o.require_receipt) {
    return fail(ctx, Error(Errc::timeout, "no receipt for " + id + " within " + o.wait + " (it stays in the spool)"));
  }
  return 0;
}

int run_mqtt_subscribe(Context& ctx, const MqttOptions& o) {
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  mqtt::SubscribeOptions so;
  so.agent = agent_name(o.agent);
  if (!o.broker) return usage(ctx, "--broker is required");
  so.broker_url = *o.broker;
  so.topics = o.topics;
  so.overrides = overrides_of(o);
  so.client_id = o.client_id;
  if (o.max_pending == 0) return usage(ctx, "--max-pending must be at least 1");
  so.max_pending = o.max_pending;
  auto retry = millis(o.retry_interval, "--retry-interval");
  if (!retry.ok()) return fail(ctx, retry.error());
  so.retry_interval = std::max(std::chrono::seconds(1), std::chrono::duration_cast<std::chrono::seconds>(*retry));
  InboundOptions io;
  io.agent = so.agent;
  io.wait_when_busy = true;  // the broker holds the rest while skills run
  service::block_stop_signals();
  auto inbound = node::open_inbound(*ws, io);
  if (!inbound.ok()) return fail(ctx, inbound.error());
  auto sub = mqtt::Subscriber::start(*ws, so, **inbound);
  if (!sub.ok()) return fail(ctx, sub.error());
  std::string topics;
  for (const std::string& t : (*sub)->topics()) topics += (topics.empty() ? "" : " ") + t;
  // Requests of ours go out while the service runs (node/courier.h).
  node::CourierOptions courier_options;
  courier_options.pump = node::drop_folder_pump(*ws);  // answers that come back by path
  auto courier = node::CourierThread::start(*ws, courier_options);
  service::run(*ws, **sub, std::chrono::seconds(60), [&] {
    std::cout << "bwoc mqtt subscribe: " << ws->name() << "/" << so.agent << " subscribed to " << topics << " on "
              << so.broker_url << std::endl;
  });
  return 0;
}

namespace {

// Publisher::wait in slices when a terminal shows it, so that the count of
// receipts moves as they arrive; in one piece otherwise.
Result<std::vector<std::string>> wait_for_receipts(mqtt::Publisher& publisher, std::chrono::milliseconds wait,
                                                   std::size_t sent, Progress& progress) {
  if (!progress.shown()) return publisher.wait(wait);
  constexpr std::chrono::milliseconds kSlice{500};
  auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    auto pending = publisher.wait(std::clamp(left, std::chrono::milliseconds(1), kSlice));
    if (!pending.ok() || pending->empty() || left <= kSlice) return pending;
    progress.count(sent - std::min(sent, pending->size()), sent);
  }
}

}  // namespace

int run_mqtt_spool(Context& ctx, const MqttOptions& o) {
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  auto spool = mqtt::Spool::open(*ws);
  if (!spool.ok()) return fail(ctx, spool.error());
  auto entries = spool->list();
  if (!entries.ok()) return fail(ctx, entries.error());
  std::string only_from = o.agent.empty() ? std::string() : agent_name(o.agent);
  if (!o.retry) {
    UnixMillis now = now_millis();
    if (o.json) {
      json::Value arr = json::Value::array();
      for (const auto& e : *entries) {
        if (!only_from.empty() && e.from != only_from) continue;
        arr.push_back(json::Value::object({{"id", e.id}, {"from", e.from}, {"to", e.to}, {"broker", e.broker},
                                           {"topic", e.topic}, {"created", format_timestamp(e.created)}}));
      }
      print_json(arr);
      return 0;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& e : *entries) {
      if (!only_from.empty() && e.from != only_from) continue;
      rows.push_back({e.id, e.from, e.to, e.broker + " " + e.topic, std::to_string((now - e.created) / 1000) + "s"});
    }
    if (rows.empty()) {
      std::cout << "the spool is empty: every envelope published over MQTT has its receipt\n";
      return 0;
    }
    print_table({"ID", "FROM", "TO", "WHERE", "AGE"}, rows);
    return 0;
  }
  auto wait = millis(o.wait, "--wait");
  if (!wait.ok()) return fail(ctx, wait.error());
  std::map<std::string, std::size_t> brokers;
  for (const auto& e : *entries) {
    if (only_from.empty() || e.from == only_from) ++brokers[e.broker];
  }
  std::size_t resent = 0, still = 0, given_up = 0;
  std::optional<Error> first_error;
  for (const auto& [broker, count] : brokers) {
    mqtt::PublisherOptions po;
    po.overrides = overrides_of(o);
    auto publisher = mqtt::Publisher::open(*ws, broker, po);
    if (!publisher.ok()) {
      still += count;
      if (!first_error) first_error = publisher.error();
      continue;
    }
    auto n = (*publisher)->retry(only_from, &given_up);
    if (!n.ok()) {
      if (!first_error) first_error = n.error();
      still += count;
      continue;
    }
    resent += *n;
    Progress progress(*n == 0 ? "" : "waiting for receipts through " + broker);
    auto pending = wait_for_receipts(**publisher, *wait, *n, progress);
    if (!pending.ok()) {
      if (!first_error) first_error = pending.error();
      still += *n;
    } else {
      still += pending->size();
    }
  }
  if (o.json) {
    print_json(json::Value::object({{"resent", resent},
                                    {"confirmed", resent >= still ? resent - still : 0},
                                    {"pending", still},
                                    {"given_up", given_up}}));
  } else {
    std::cout << "resent " << resent << ", confirmed " << (resent >= still ? resent - still : 0) << ", still pending "
              << still;
    if (given_up > 0) std::cout << ", given up " << given_up << " (the log says why: mqtt.spool_gave_up)";
    std::cout << "\n";
  }
  if (first_error) return fail(ctx, *first_error);
  return 0;
}

}  // namespace bwoc::cli
