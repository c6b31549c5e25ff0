// The inbound layer as every transport sees it: a kind registered once is
// answered over path, A2A and MQTT, the same answer each time.
#include "bwoc/core/inbound.h"

#include <gtest/gtest.h>

#include "../core/test_util.h"
#include "bwoc/a2a/server.h"
#include "bwoc/core/files.h"
#include "bwoc/core/trust.h"
#include "bwoc/mqtt/local_broker.h"
#include "bwoc/mqtt/subscriber.h"
#include "bwoc/node/client.h"
#include "bwoc/node/node.h"
#include "bwoc/node/path_service.h"
#include "bwoc/node/network.h"

namespace bwoc {
namespace {

constexpr std::string_view kEchoKind = "test.echo";

// What the test kind means: read-only, for KNOWN peers, answered with the
// payload it was sent and the tier it was sent with.
void add_echo_kind(Inbound& inbound) {
  KindHandler echo;
  echo.stored = false;
  echo.min_tier = kKnown;
  Inbound* node = &inbound;
  echo.act = [node](const InboundRequest& r) -> Result<std::optional<std::string>> {
    BWOC_ASSIGN_OR_RETURN(std::string answer,
                          node->sign_answer(r.envelope, "test.echo.result",
                                            json::Value::object({{"echo", r.envelope.payload()}, {"tier", r.tier}})));
    return std::optional<std::string>(std::move(answer));
  };
  inbound.add_kind(std::string(kEchoKind), std::move(echo));
}

class InboundOverEveryTransport : public ::testing::Test {
 protected:
  void SetUp() override {
    alpha_.emplace(test::make_workspace(dir_.path(), "alpha"));
    beta_.emplace(test::make_workspace(dir_.path(), "beta"));
    auto broker = mqtt::LocalBroker::start(dir_.path() / "broker");
    ASSERT_TRUE(broker.ok()) << broker.error().message();
    broker_ = std::move(broker).value();

    // beta serves agent-b over A2A and MQTT, and ingests its drop folder:
    // three transports, each with its own inbound layer, as three services would.
    InboundOptions served;
    served.agent = "agent-b";
    served.routes_recheck_ms = 0;  // the tests change routes.toml as they go
    for (auto* slot : {&a2a_node_, &mqtt_node_}) {
      auto inbound = Inbound::open(*beta_, served);
      ASSERT_TRUE(inbound.ok()) << inbound.error().message();
      *slot = std::move(inbound).value();
      add_echo_kind(**slot);
    }
    InboundOptions every_agent;
    every_agent.routes_recheck_ms = 0;
    auto all = Inbound::open(*beta_, every_agent);
    ASSERT_TRUE(all.ok());
    path_node_ = std::move(all).value();
    add_echo_kind(*path_node_);

    a2a::ServeOptions serve;
    serve.agent = "agent-b";
    serve.port = 0;
    serve.threads = 1;
    auto server = a2a::Server::start(*beta_, serve, *a2a_node_);
    ASSERT_TRUE(server.ok()) << server.error().message();
    server_ = std::move(server).value();

    // alpha reaches beta three ways; beta answers alpha by path.
    PeerRoute beta_route;
    beta_route.key = "beta";
    beta_route.name = "beta";
    beta_route.pubkey = *beta_->public_key();
    beta_route.path = beta_->root();
    beta_route.url = server_->base_url();
    beta_route.mqtt = MqttRoute{broker_->url(), "bwoc/beta"};
    ASSERT_TRUE(write_file_atomic(alpha_->routes_file(), format_peer(beta_route)).ok());
    test::declare_peers(*beta_, {&*alpha_});

    mqtt::SubscribeOptions subscribe;
    subscribe.agent = "agent-b";
    subscribe.broker_url = broker_->url();
    auto sub = mqtt::Subscriber::start(*beta_, subscribe, *mqtt_node_);
    ASSERT_TRUE(sub.ok()) << sub.error().message();
    subscriber_ = std::move(sub).value();

    path_network_ = node::make_network(*beta_);
    auto ingest = node::PathService::start(*path_node_, path_network_);
    ASSERT_TRUE(ingest.ok());
    ingest_ = std::move(ingest).value();
  }

  void TearDown() override {
    if (ingest_) ingest_->stop();
    if (subscriber_) subscriber_->stop();
    if (server_) server_->stop();
  }

  Result<peer::AskResult> echo(Via via, json::Value payload) {
    BWOC_ASSIGN_OR_RETURN(auto client, node::Client::open(*alpha_, std::chrono::seconds(20)));
    peer::AskRequest request;
    request.peer = "beta";
    request.agent = "agent-b";
    request.kind = std::string(kEchoKind);
    request.payload = std::move(payload);
    request.via = via;
    return client->ask(request);
  }

  test::TempDir dir_;
  std::optional<Workspace> alpha_, beta_;
  std::unique_ptr<mqtt::LocalBroker> broker_;
  std::unique_ptr<Inbound> a2a_node_, mqtt_node_, path_node_;
  std::unique_ptr<a2a::Server> server_;
  std::unique_ptr<mqtt::Subscriber> subscriber_;
  peer::Network path_network_;
  std::unique_ptr<node::PathService> ingest_;
};

TEST_F(InboundOverEveryTransport, AKindRegisteredOnceIsAnsweredOverPathA2aAndMqtt) {
  json::Value payload = json::Value::object({{"n", 7}, {"text", "same everywhere"}});
  std::vector<std::string> answers;
  for (Via via : {Via::path, Via::a2a, Via::mqtt}) {
    auto asked = echo(via, payload);
    ASSERT_TRUE(asked.ok()) << via_name(via) << ": " << asked.error().message();
    EXPECT_EQ(asked->via, via);
    EXPECT_EQ(asked->answer.kind, "test.echo.result");
    EXPECT_EQ(*asked->answer.re, asked->request_id);
    EXPECT_EQ(asked->answer.key, *beta_->public_key());
    answers.push_back(json::write(asked->answer.payload()));
  }
  EXPECT_EQ(answers[0], R"({"echo":{"n":7,"text":"same everywhere"},"tier":1})");
  EXPECT_EQ(answers[1], answers[0]);
  EXPECT_EQ(answers[2], answers[0]);
  // A read is answered, never stored.
  EXPECT_EQ(test::count_lines(beta_->inbox_file("agent-b")), 0u);
}

TEST_F(InboundOverEveryTransport, BelowTheKindsTierEveryTransportAnswersNotPermitted) {
  ASSERT_TRUE(write_file_atomic(beta_->routes_file(), format_peer([&] {
                                  PeerRoute alpha;
                                  alpha.key = "alpha";
                                  alpha.name = "alpha";
                                  alpha.pubkey = *alpha_->public_key();
                                  alpha.path = alpha_->root();
                                  return alpha;
                                }()) + "tier = 0\n")
                  .ok());
  for (Via via : {Via::path, Via::a2a, Via::mqtt}) {
    auto asked = echo(via, json::Value::object());
    ASSERT_TRUE(asked.ok()) << via_name(via) << ": " << asked.error().message();
    EXPECT_EQ(asked->answer.kind, "error");
    EXPECT_EQ(json::write(asked->answer.payload()), R"({"error":"Not permitted"})");
  }
}

}  // namespace
}  // namespace bwoc
