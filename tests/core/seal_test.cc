// Sealed payloads: the format's test vector, what opens and what does not,
// and the signed statement that publishes an X25519 key.
#include "bwoc/core/seal.h"

#include <gtest/gtest.h>

#include "bwoc/core/jcs.h"
#include "test_util.h"

namespace bwoc {
namespace {

std::array<std::uint8_t, 32> bytes32(std::string_view hex) {
  auto raw = hex_decode_lower(hex);
  std::array<std::uint8_t, 32> out{};
  std::copy(raw->begin(), raw->end(), out.begin());
  return out;
}

json::Value fixture() {
  auto doc = json::parse(test::read_file(std::filesystem::path(BWOC_FIXTURES_DIR) / "sealed-vector.json"));
  EXPECT_TRUE(doc.ok());
  return std::move(doc).value();
}

std::string text_of(const json::Value& v, std::string_view name) { return v.find(name)->as_string(); }

// RFC 7748 6.1: Bob is the recipient, Alice the ephemeral key.
SealSecretKey recipient() { return SealSecretKey::from_bytes(bytes32(text_of(fixture(), "recipient_x25519_secret"))); }

// The envelope of the vector, before it is sealed.
EnvelopeDraft vector_draft() {
  EnvelopeDraft d;
  d.kind = "message";
  d.from = "agent-guanyin";
  d.to = "agent-wenchang";
  d.aud = test::vector_audience().public_key();
  d.id = "00112233445566778899aabbccddeeff";
  d.ts = *parse_timestamp("2026-11-22T08:00:00.123Z");
  d.payload = *json::parse(text_of(fixture(), "plaintext"));
  return d;
}

SealSeed vector_seed() {
  SealSeed seed;
  seed.ephemeral_secret = bytes32(text_of(fixture(), "ephemeral_x25519_secret"));
  auto nonce = hex_decode_lower(text_of(fixture(), "nonce"));
  std::copy(nonce->begin(), nonce->end(), seed.nonce.begin());
  return seed;
}

Envelope sealed_envelope(EnvelopeDraft d, const SealPublicKey& to) {
  EXPECT_TRUE(seal_draft(d, test::vector_sender().public_key(), to, std::nullopt).ok());
  auto signed_envelope = sign(d, test::vector_sender());
  EXPECT_TRUE(signed_envelope.ok());
  return std::move(signed_envelope).value().envelope;
}

Result<json::Value> open_with(const Envelope& env, const SealSecretKey& secret) {
  const SealSecretKey* secrets[] = {&secret};
  return open_payload(env, secrets);
}

TEST(SealVector, SealsToTheExactBytesOfTheVector) {
  json::Value f = fixture();
  SealSecretKey reply = SealSecretKey::from_bytes(bytes32(text_of(f, "ephemeral_x25519_secret")));
  EnvelopeDraft d = vector_draft();
  EXPECT_EQ(sealed_associated_data(*d.id, d.kind, d.from, d.to, test::vector_sender().public_key(), d.aud),
            text_of(f, "associated_data"));
  EXPECT_EQ(jcs::canonicalize(d.payload), text_of(f, "plaintext"));
  ASSERT_TRUE(seal_draft(d, test::vector_sender().public_key(), recipient().public_key(), reply.public_key(),
                         vector_seed())
                  .ok());
  auto text = sign_envelope(d, test::vector_sender());
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, jcs::canonicalize(*f.find("envelope")));
  // Written out here too, so that the fixture cannot drift along with the code.
  EXPECT_EQ(d.sealed->find("ct")->as_string(),
            "Y4zhiGycqxWxd37PfFcyX7ATsVhOOQSNM2NCyXBDgOWxLw5OTjrrE/46/WRDjjkt3FVFER2fXm5fXvUD9GUT");
}

TEST(SealVector, OpensWithTheRecipientsKeyAfterTheSignatureVerifies) {
  json::Value f = fixture();
  auto env = parse_envelope(json::write(*f.find("envelope")));
  ASSERT_TRUE(env.ok());
  EXPECT_TRUE(env.value().sealed);
  std::string scratch;
  EXPECT_TRUE(verify_signature(env.value(), scratch));
  auto payload = open_with(env.value(), recipient());
  ASSERT_TRUE(payload.ok()) << payload.error().message();
  EXPECT_EQ(jcs::canonicalize(*payload), text_of(f, "plaintext"));
  EXPECT_EQ(reply_key_of(env.value())->to_text(), "x25519:hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=");
}

TEST(Seal, OpensForTheRecipientOnly) {
  SealSecretKey mine = SealSecretKey::generate();
  SealSecretKey other = SealSecretKey::generate();
  Envelope env = sealed_envelope(test::draft_to(test::vector_audience().public_key()), mine.public_key());
  EXPECT_TRUE(open_with(env, mine).ok());
  auto wrong = open_with(env, other);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message().find("does not hold"), std::string::npos);
  // Nothing of the payload is in the envelope's text.
  EXPECT_EQ(json::write(env.doc).find("hello"), std::string::npos);
}

// The associated data binds the ciphertext to the envelope: lifted into
// another envelope (re-signed by whoever lifts it) it does not open.
TEST(Seal, DoesNotOpenInAnotherEnvelope) {
  SealSecretKey mine = SealSecretKey::generate();
  Envelope original = sealed_envelope(test::draft_to(test::vector_audience().public_key()), mine.public_key());
  ASSERT_TRUE(open_with(original, mine).ok());
  for (auto change : std::vector<std::function<void(Envelope&)>>{
           [](Envelope& e) { e.id = "ffffffffffffffffffffffffffffffff"; },
           [](Envelope& e) { e.kind = "skill.call"; },
           [](Envelope& e) { e.from = "agent-x"; },
           [](Envelope& e) { e.to = "agent-x"; },
           [](Envelope& e) { e.key = test::vector_audience().public_key(); },
           [](Envelope& e) { e.aud = test::vector_sender().public_key(); },
       }) {
    Envelope lifted = original;
    change(lifted);
    EXPECT_FALSE(open_with(lifted, mine).ok());
  }
}

TEST(Seal, RefusesAlteredOrMalformedSealedMembers) {
  SealSecretKey mine = SealSecretKey::generate();
  Envelope env = sealed_envelope(test::draft_to(test::vector_audience().public_key()), mine.public_key());
  const json::Value good = *env.doc.find("sealed");
  auto with = [&](std::string_view member, json::Value value) {
    json::Value s = good;
    s.set(std::string(member), std::move(value));
    return s;
  };
  std::string ct = good.find("ct")->as_string();
  ct[0] = ct[0] == 'A' ? 'B' : 'A';
  std::vector<json::Value> bad = {
      json::Value::array(),
      with("alg", "x25519-aes"),
      with("rcpt", "ed25519:" + good.find("rcpt")->as_string().substr(7)),
      with("epk", "x25519:AAAA"),
      with("nonce", "AAAA"),
      with("ct", "AAAA"),
      with("ct", ct),
      with("reply", 5),
      // A point of small order: no shared secret at all.
      with("epk", "x25519:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
  };
  for (const json::Value& s : bad) {
    Envelope e = env;
    e.doc.set("sealed", s);
    EXPECT_FALSE(open_with(e, mine).ok()) << json::write(s);
  }
}

TEST(Seal, EnvelopeCarriesPayloadOrSealedNeverBoth) {
  SealSecretKey mine = SealSecretKey::generate();
  Envelope env = sealed_envelope(test::draft_to(test::vector_audience().public_key()), mine.public_key());
  EXPECT_TRUE(env.payload().is_null());  // not opened yet
  json::Value both = env.doc;
  both.set("payload", json::Value::object());
  EXPECT_EQ(parse_envelope(json::write(both)).refusal().reason, Reason::malformed);
  // Version 1 carries a payload; `sealed` is version 2's.
  json::Value v1 = env.doc;
  v1.set("v", 1);
  EXPECT_EQ(parse_envelope(json::write(v1)).refusal().reason, Reason::malformed);
  EXPECT_EQ(env.doc.find("v")->as_number(), 2);
  std::string bytes;
  env.append_signed_bytes(bytes);
  EXPECT_EQ(bytes.rfind("bwoc-envelope-v2\n", 0), 0u);
  json::Value not_object = env.doc;
  not_object.set("sealed", "x");
  EXPECT_EQ(parse_envelope(json::write(not_object)).refusal().reason, Reason::malformed);
  // The signature covers the sealed form: changing it is bad_signature, before anything opens.
  json::Value tampered = env.doc;
  json::Value s = *tampered.find("sealed");
  s.set("nonce", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
  tampered.set("sealed", s);
  auto parsed = parse_envelope(json::write(tampered));
  ASSERT_TRUE(parsed.ok());
  std::string scratch;
  EXPECT_FALSE(verify_signature(parsed.value(), scratch));
}

TEST(SealKey, StatementVerifiesWithTheSignerOnly) {
  SealSecretKey seal = SealSecretKey::generate();
  Signature sig = sign_seal_key(test::vector_sender(), seal.public_key());
  EXPECT_TRUE(verify_seal_key(test::vector_sender().public_key(), seal.public_key(), sig));
  EXPECT_FALSE(verify_seal_key(test::vector_audience().public_key(), seal.public_key(), sig));
  EXPECT_FALSE(verify_seal_key(test::vector_sender().public_key(), SealSecretKey::generate().public_key(), sig));
  auto text = SealPublicKey::from_text(seal.public_key().to_text());
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, seal.public_key());
  EXPECT_FALSE(SealPublicKey::from_text("ed25519:" + seal.public_key().to_text().substr(7)).ok());
}

TEST(SealKey, WorkspaceKeygenMakesASignedX25519Pair) {
  test::TempDir dir;
  Workspace ws = test::make_workspace(dir.path(), "alpha");
  auto seal = ws.seal_key();
  ASSERT_TRUE(seal.ok());
  ASSERT_TRUE(ws.identity().seal_key_sig.has_value());
  EXPECT_TRUE(verify_seal_key(*ws.public_key(), *seal, *ws.identity().seal_key_sig));
  auto secret = ws.load_seal_secret();
  ASSERT_TRUE(secret.ok());
  EXPECT_EQ(secret->public_key(), *seal);
  EXPECT_EQ(std::filesystem::status(ws.seal_key_file()).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

}  // namespace
}  // namespace bwoc
