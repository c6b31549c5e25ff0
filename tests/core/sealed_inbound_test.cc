// The inbound layer and sealed payloads, key rotation and revocation: what
// a kind's action sees, what the inbox keeps, what is refused and why, and
// how long a rotated key is honoured (an injected clock, no sleeps).
#include <gtest/gtest.h>

#include <atomic>

#include "bwoc/core/files.h"
#include "bwoc/core/inbound.h"
#include "bwoc/core/key_kinds.h"
#include "bwoc/core/key_ring.h"
#include "bwoc/core/refusal_log.h"
#include "bwoc/core/routes_edit.h"
#include "bwoc/core/seal.h"
#include "test_util.h"

namespace bwoc {
namespace {

constexpr std::string_view kNoteKind = "test.note";
constexpr std::string_view kReadKind = "test.read";

class SealedInbound : public test::TwoWorkspaces {
 protected:
  void SetUp() override {
    TwoWorkspaces::SetUp();
    // beta pins alpha with its X25519 key, as `peer add` writes it.
    declare_alpha();
    InboundOptions options;
    options.clock = [this] { return now_.load(); };
    options.routes_recheck_ms = 3'600'000;  // so that only routes_changed() makes a change seen at once
    auto inbound = Inbound::open(*beta_, options);
    ASSERT_TRUE(inbound.ok()) << inbound.error().message();
    beta_node_ = std::move(inbound).value();
    KindHandler note;
    note.act = [this](const InboundRequest& r) -> Result<std::optional<std::string>> {
      seen_ = json::write(r.envelope.payload());
      return std::optional<std::string>();
    };
    beta_node_->add_kind(std::string(kNoteKind), std::move(note));
    KindHandler read;
    read.stored = false;
    Inbound* node = beta_node_.get();
    read.act = [node](const InboundRequest& r) -> Result<std::optional<std::string>> {
      BWOC_ASSIGN_OR_RETURN(std::string answer, node->sign_answer(r.envelope, "test.read.result",
                                                                  json::Value::object({{"secret", "the answer"}})));
      return std::optional<std::string>(std::move(answer));
    };
    beta_node_->add_kind(std::string(kReadKind), std::move(read));
    add_key_kinds(*beta_node_);
  }

  void declare_alpha(std::string extra = "") {
    const Identity& id = alpha_->identity();
    test::declare_peers(*beta_, {&*alpha_},
                        "seal_key = \"" + id.seal_key->to_text() + "\"\nseal_key_sig = \"" +
                            id.seal_key_sig->to_base64() + "\"\n" + extra);
  }

  // An envelope from alpha to beta/agent-b, sealed to `to` (beta's key by default).
  std::string sealed(std::string_view kind, json::Value payload, std::optional<SealPublicKey> to = std::nullopt,
                     const SecretKey* signer = nullptr) {
    EnvelopeDraft d = test::draft_to(*beta_->public_key());
    d.kind = std::string(kind);
    d.payload = std::move(payload);
    d.ts = now_.load();
    const SecretKey& key = signer ? *signer : *alpha_key_;
    EXPECT_TRUE(seal_draft(d, key.public_key(), to ? *to : *beta_->seal_key(), alpha_->seal_key().value()).ok());
    return sign_envelope(d, key).value();
  }

  std::string plain(std::string_view kind, json::Value payload, const SecretKey* signer = nullptr) {
    EnvelopeDraft d = test::draft_to(*beta_->public_key());
    d.kind = std::string(kind);
    d.payload = std::move(payload);
    d.ts = now_.load();
    return sign_envelope(d, signer ? *signer : *alpha_key_).value();
  }

  // What alpha reads in an answer sealed back to it.
  json::Value opened_by_alpha(const std::string& answer) {
    auto env = parse_envelope(answer);
    EXPECT_TRUE(env.ok());
    EXPECT_TRUE(env.value().sealed);
    SealSecretKey secret = alpha_->load_seal_secret().value();
    const SealSecretKey* secrets[] = {&secret};
    auto payload = open_payload(env.value(), secrets);
    EXPECT_TRUE(payload.ok());
    return payload.ok() ? *payload : json::Value();
  }

  // A key.rotate from `from` to `to`, signed by `from`, as beta answers it.
  InboundResult rotate(const SecretKey& from, const SecretKey& to, std::int64_t grace_ms) {
    json::Value payload = rotation_payload(from.public_key(), to, std::nullopt, std::nullopt, grace_ms);
    return beta_node_->receive_sync(plain(kKeyRotateKind, payload, &from), Via::path, "test");
  }

  std::string last_refusal() {
    auto records = read_refusal_log(beta_->refusal_log_file(), 1);
    return records.ok() && !records->empty() ? records->back().reason : "";
  }

  std::atomic<UnixMillis> now_{now_millis()};
  std::unique_ptr<Inbound> beta_node_;
  std::string seen_;
};

TEST_F(SealedInbound, TheActionSeesTheOpenedPayloadAndTheInboxKeepsItSealed) {
  std::string text = sealed(kNoteKind, json::Value::object({{"note", "for beta only"}}));
  EXPECT_EQ(text.find("for beta only"), std::string::npos);
  InboundResult r = beta_node_->receive_sync(text, Via::path, "test");
  ASSERT_EQ(r.disposition, InboundResult::Disposition::stored);
  EXPECT_EQ(seen_, R"({"note":"for beta only"})");
  std::string inbox = test::read_file(beta_->inbox_file("agent-b"));
  EXPECT_EQ(inbox.find("for beta only"), std::string::npos);
  EXPECT_NE(inbox.find(text), std::string::npos);  // exactly as it came
  // The receipt is sealed back to alpha, and a repeat gets the same bytes.
  auto receipt = beta_node_->receipt(r.delivery);
  ASSERT_TRUE(receipt.ok());
  EXPECT_EQ(json::write(opened_by_alpha(*receipt)), R"({"agent":"agent-b","status":"accepted"})");
  InboundResult again = beta_node_->receive_sync(text, Via::a2a, "test");
  EXPECT_EQ(again.delivery.outcome, Delivery::Outcome::duplicate);
  EXPECT_EQ(*beta_node_->receipt(again.delivery), *receipt);
}

TEST_F(SealedInbound, AnAnswerToASealedRequestIsSealedBack) {
  InboundResult r = beta_node_->receive_sync(sealed(kReadKind, json::Value::object()), Via::a2a, "test");
  ASSERT_EQ(r.disposition, InboundResult::Disposition::answered);
  EXPECT_EQ(r.answer.find("the answer"), std::string::npos);
  EXPECT_EQ(json::write(opened_by_alpha(r.answer)), R"({"secret":"the answer"})");
  // In clear, answered in clear.
  InboundResult clear = beta_node_->receive_sync(plain(kReadKind, json::Value::object()), Via::a2a, "test");
  EXPECT_FALSE(parse_envelope(clear.answer).value().sealed);
}

TEST_F(SealedInbound, WhatDoesNotOpenIsRefusedWithItsOwnReasonAndNeverStored) {
  SealSecretKey stranger = SealSecretKey::generate();
  InboundResult r = beta_node_->receive_sync(sealed(kNoteKind, json::Value::object(), stranger.public_key()),
                                             Via::mqtt, "test");
  EXPECT_EQ(r.disposition, InboundResult::Disposition::not_accepted);
  ASSERT_TRUE(r.delivery.refusal.has_value());
  EXPECT_EQ(r.delivery.refusal->reason, Reason::bad_seal);
  EXPECT_EQ(last_refusal(), "bad_seal");
  EXPECT_TRUE(seen_.empty());
  EXPECT_EQ(test::count_lines(beta_->inbox_file("agent-b")), 0u);
}

TEST_F(SealedInbound, APeerThatMustSealIsRefusedWhenItDoesNot) {
  declare_alpha("seal = \"required\"\n");
  beta_node_->routes_changed();
  InboundResult r = beta_node_->receive_sync(plain(kNoteKind, json::Value::object()), Via::path, "test");
  ASSERT_TRUE(r.delivery.refusal.has_value());
  EXPECT_EQ(r.delivery.refusal->reason, Reason::unsealed);
  EXPECT_EQ(last_refusal(), "unsealed");
  EXPECT_EQ(test::count_lines(beta_->inbox_file("agent-b")), 0u);
  EXPECT_EQ(beta_node_->receive_sync(sealed(kNoteKind, json::Value::object()), Via::path, "test").disposition,
            InboundResult::Disposition::stored);
}

TEST_F(SealedInbound, ARotationRepinsAndHonoursTheOldKeyForItsGracePeriodOnly) {
  SecretKey next = SecretKey::generate();
  SealSecretKey next_seal = SealSecretKey::generate();
  std::string before = test::read_file(beta_->routes_file());
  // Signed by the old key, with the new key's statement: both agree.
  json::Value payload = rotation_payload(alpha_key_->public_key(), next, next_seal.public_key(),
                                         sign_seal_key(next, next_seal.public_key()), 3'600'000);
  std::string old_late = plain(kNoteKind, json::Value::object({{"n", 1}}));  // signed now, sent later
  InboundResult r = beta_node_->receive_sync(plain(kKeyRotateKind, payload), Via::mqtt, "test");
  ASSERT_EQ(r.disposition, InboundResult::Disposition::answered) << disposition_name(r.disposition);
  EXPECT_EQ(parse_envelope(r.answer).value().kind, "key.rotate.result");
  auto routes = beta_node_->routes();
  const PeerRoute* alpha = routes->find("alpha");
  ASSERT_NE(alpha, nullptr);
  EXPECT_EQ(alpha->pubkey, next.public_key());
  EXPECT_EQ(*alpha->previous_pubkey, alpha_key_->public_key());
  EXPECT_EQ(*alpha->seal_key, next_seal.public_key());
  std::string after = test::read_file(beta_->routes_file());
  EXPECT_NE(after.find("# key " + alpha_key_->public_key().fingerprint() + " rotated to"), std::string::npos);
  EXPECT_NE(after.find("path = \"" + alpha_->root().string() + "\""), std::string::npos);
  // The new key is accepted, and the old one through the grace period ...
  EXPECT_EQ(beta_node_->receive_sync(plain(kNoteKind, json::Value::object({{"n", 2}}), &next), Via::path, "t").disposition,
            InboundResult::Disposition::stored);
  now_ += 3'000'000;
  EXPECT_EQ(beta_node_->receive_sync(old_late, Via::path, "t").disposition, InboundResult::Disposition::stored);
  // ... and not a moment after.
  now_ += 700'000;
  InboundResult late = beta_node_->receive_sync(plain(kNoteKind, json::Value::object({{"n", 3}})), Via::path, "t");
  ASSERT_TRUE(late.delivery.refusal.has_value());
  EXPECT_EQ(late.delivery.refusal->reason, Reason::unknown_sender);
}

TEST_F(SealedInbound, AForgedRotationChangesNothing) {
  std::string before = test::read_file(beta_->routes_file());
  SecretKey next = SecretKey::generate();
  // Signed by the pinned key only: the new key's signature is someone else's.
  json::Value forged = rotation_payload(alpha_key_->public_key(), next, std::nullopt, std::nullopt, 60'000);
  forged.set("new_key_sig", SecretKey::generate().sign("anything").to_base64());
  InboundResult r = beta_node_->receive_sync(plain(kKeyRotateKind, forged), Via::path, "test");
  ASSERT_EQ(r.disposition, InboundResult::Disposition::answered);
  EXPECT_EQ(parse_envelope(r.answer).value().kind, "error");
  // Signed by a key beta does not pin, with a valid statement of its own.
  SecretKey stranger = SecretKey::generate();
  json::Value theirs = rotation_payload(stranger.public_key(), next, std::nullopt, std::nullopt, 60'000);
  InboundResult s = beta_node_->receive_sync(plain(kKeyRotateKind, theirs, &stranger), Via::path, "test");
  ASSERT_TRUE(s.delivery.refusal.has_value());
  EXPECT_EQ(s.delivery.refusal->reason, Reason::unknown_sender);
  EXPECT_EQ(test::read_file(beta_->routes_file()), before);
  EXPECT_EQ(test::count_lines(beta_->inbox_file("agent-b")), 0u);
}

TEST_F(SealedInbound, RoutesEditsKeepEveryOtherByte) {
  Workspace gamma = test::make_workspace(dir_.path(), "gamma");
  std::string head = "# my peers\n\n# alpha: the incident team\n";
  std::string alpha_table = "[[peer]]\nkey = \"alpha\"\npubkey = \"" + alpha_key_->public_key().to_text() +
                            "\"\npath = \"" + alpha_->root().string() + "\"   # same disk\ntier = 2\n";
  std::string gamma_table = "\n# gamma: keep this comment\n[[peer]]\nkey = \"gamma\"\npubkey = \"" +
                            gamma.public_key()->to_text() + "\"\npath = \"" + gamma.root().string() + "\"\n";
  ASSERT_TRUE(write_file_atomic(beta_->routes_file(), head + alpha_table + gamma_table).ok());
  SecretKey next = SecretKey::generate();
  ASSERT_TRUE(repin_peer(*beta_, "alpha", next.public_key(), std::nullopt, std::nullopt, now_ + 1000, now_).ok());
  std::string after = test::read_file(beta_->routes_file());
  EXPECT_EQ(after.substr(0, head.size()), head);
  EXPECT_EQ(after.substr(after.size() - gamma_table.size()), gamma_table);
  EXPECT_NE(after.find("path = \"" + alpha_->root().string() + "\"   # same disk\ntier = 2\n"), std::string::npos);
  EXPECT_NE(after.find("pubkey = \"" + next.public_key().to_text() + "\""), std::string::npos);
  EXPECT_NE(after.find("previous_pubkey = \"" + alpha_key_->public_key().to_text() + "\""), std::string::npos);
  // A repeat changes nothing; a revocation of gamma touches gamma's table only.
  ASSERT_TRUE(repin_peer(*beta_, "alpha", next.public_key(), std::nullopt, std::nullopt, now_ + 1000, now_).ok());
  EXPECT_EQ(test::read_file(beta_->routes_file()), after);
  ASSERT_TRUE(revoke_peer_key(*beta_, "gamma", *gamma.public_key(), now_).ok());
  std::string revoked = test::read_file(beta_->routes_file());
  std::size_t gamma_at = after.find("\n# gamma: keep this comment");
  EXPECT_EQ(revoked.substr(0, gamma_at), after.substr(0, gamma_at));
  EXPECT_NE(revoked.find("revoked = \""), std::string::npos);
  EXPECT_NE(revoked.find("# gamma: keep this comment"), std::string::npos);
}

TEST_F(SealedInbound, ARevokedKeyIsRefusedAtOnce) {
  std::string earlier = plain(kNoteKind, json::Value::object());
  InboundResult r = beta_node_->receive_sync(plain(kKeyRevokeKind, revocation_payload(alpha_key_->public_key())),
                                             Via::mqtt, "test");
  ASSERT_EQ(r.disposition, InboundResult::Disposition::answered);
  EXPECT_EQ(parse_envelope(r.answer).value().kind, "key.revoke.result");
  EXPECT_TRUE(beta_node_->routes()->find("alpha")->revoked.has_value());
  // Within the routes' recheck interval: routes_changed() made it at once.
  InboundResult after = beta_node_->receive_sync(earlier, Via::path, "test");
  ASSERT_TRUE(after.delivery.refusal.has_value());
  EXPECT_EQ(after.delivery.refusal->reason, Reason::unknown_sender);
  EXPECT_NE(test::read_file(beta_->routes_file()).find("revoked = "), std::string::npos);
}

TEST_F(SealedInbound, RevokingTheKeyThatSignedARotationRevokesTheKeyItRotatedTo) {
  // Whoever holds a copy of alpha's leaked key rotates beta to a key of his own ...
  SecretKey theirs = SecretKey::generate();
  ASSERT_EQ(rotate(*alpha_key_, theirs, 3'600'000).disposition, InboundResult::Disposition::answered);
  ASSERT_EQ(beta_node_->routes()->find("alpha")->pubkey, theirs.public_key());
  // ... then alpha revokes the key that leaked, which beta still honours as the previous one.
  InboundResult r = beta_node_->receive_sync(plain(kKeyRevokeKind, revocation_payload(alpha_key_->public_key())),
                                             Via::path, "test");
  ASSERT_EQ(r.disposition, InboundResult::Disposition::answered);
  EXPECT_EQ(parse_envelope(r.answer).value().kind, "key.revoke.result");
  EXPECT_TRUE(beta_node_->routes()->find("alpha")->revoked.has_value());
  for (const SecretKey* key : {&theirs, &*alpha_key_}) {
    InboundResult after = beta_node_->receive_sync(plain(kNoteKind, json::Value::object(), key), Via::path, "test");
    ASSERT_TRUE(after.delivery.refusal.has_value());
    EXPECT_EQ(after.delivery.refusal->reason, Reason::unknown_sender);
  }
  EXPECT_EQ(seen_, "");
}

TEST_F(SealedInbound, NoSecondRotationWhileTheKeyItReplacedMayStillRevokeIt) {
  // A rotation made with a leaked key ...
  SecretKey theirs = SecretKey::generate();
  ASSERT_EQ(rotate(*alpha_key_, theirs, 3'600'000).disposition, InboundResult::Disposition::answered);
  // ... cannot be followed by another one that would leave the leaked key nothing to revoke.
  InboundResult r = rotate(theirs, SecretKey::generate(), 3'600'000);
  ASSERT_EQ(r.disposition, InboundResult::Disposition::answered);
  EXPECT_EQ(parse_envelope(r.answer).value().kind, "error");
  EXPECT_EQ(beta_node_->routes()->find("alpha")->pubkey, theirs.public_key());
  // The owner's revocation still reaches, and revokes both.
  ASSERT_EQ(beta_node_->receive_sync(plain(kKeyRevokeKind, revocation_payload(alpha_key_->public_key())), Via::path,
                                     "test").disposition,
            InboundResult::Disposition::answered);
  EXPECT_TRUE(beta_node_->routes()->find("alpha")->revoked.has_value());
}

TEST_F(SealedInbound, ASecondRotationIsTakenOnceTheFirstGracePeriodIsOver) {
  SecretKey next = SecretKey::generate();
  ASSERT_EQ(rotate(*alpha_key_, next, 60'000).disposition, InboundResult::Disposition::answered);
  now_ += 61'000;
  SecretKey after = SecretKey::generate();
  InboundResult r = rotate(next, after, 60'000);
  ASSERT_EQ(r.disposition, InboundResult::Disposition::answered);
  EXPECT_EQ(parse_envelope(r.answer).value().kind, "key.rotate.result");
  EXPECT_EQ(beta_node_->routes()->find("alpha")->pubkey, after.public_key());
}

}  // namespace
}  // namespace bwoc
