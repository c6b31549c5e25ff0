#include "bwoc/core/envelope.h"

#include <gtest/gtest.h>

#include <string>

#include "bwoc/core/encoding.h"
#include "test_util.h"

namespace bwoc {
namespace {

// shared/spec/envelope-v1.md §6.
constexpr const char* kVectorJcs =
    "{\"aud\":\"ed25519:PUAXw+hDiVqStwqnTRt+vJyYLM8uxJaMwM1V8Sr0Zgw=\",\"from\":\"agent-guanyin\","
    "\"id\":\"00112233445566778899aabbccddeeff\","
    "\"key\":\"ed25519:11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\",\"kind\":\"feedback\","
    "\"payload\":{\"comment\":\"Excellent root-cause analysis.\",\"ctl\":\"\\u0001\\t\\\"\\\\\",\"score\":4,"
    "\"\xE2\x82\xAC\":\"\xE2\x80\xA8\",\"\xF0\x9F\x98\x80\":[1e+21,0.000001,-0.5,1.5e-7]},"
    "\"to\":\"agent-wenchang\",\"ts\":\"2026-11-22T08:00:00.123Z\",\"v\":1}";

constexpr const char* kVectorSignedHex =
    "62776f632d656e76656c6f70652d76310a7b22617564223a22656432353531393a50554158772b6844695671537477716e5452"
    "742b764a79594c4d3875784a614d774d3156385372305a67773d222c2266726f6d223a226167656e742d6775616e79696e222c"
    "226964223a223030313132323333343435353636373738383939616162626363646465656666222c226b6579223a2265643235"
    "3531393a3131715941594b7843726656532f3754795751484f6737686376506170694d6c727749616150634855526f3d222c22"
    "6b696e64223a22666565646261636b222c227061796c6f6164223a7b22636f6d6d656e74223a22457863656c6c656e7420726f"
    "6f742d636175736520616e616c797369732e222c2263746c223a225c75303030315c745c225c5c222c2273636f7265223a342c"
    "22e282ac223a22e280a8222c22f09f9880223a5b31652b32312c302e3030303030312c2d302e352c312e35652d375d7d2c2274"
    "6f223a226167656e742d77656e6368616e67222c227473223a22323032362d31312d32325430383a30303a30302e3132335a22"
    "2c2276223a317d";

constexpr const char* kVectorSig =
    "dK6VABedExe+mibcMJT3CX+AAjx2ay3201yaSpbwWKiKsx3oc4Pmk6KELLqFMy7O/Va0jQjYNLtmzfI0RR7UCQ==";

// The vector with "sig", written out of canonical order and with white space,
// as another implementation might send it.
std::string vector_envelope_text() {
  std::string text = kVectorJcs;
  text.pop_back();  // '}'
  text += ",\n  \"sig\": \"";
  text += kVectorSig;
  text += "\" }";
  return text;
}

TEST(Envelope, SpecVectorSignedBytesAreExact) {
  auto env = parse_envelope(vector_envelope_text());
  ASSERT_TRUE(env.ok()) << env.refusal().detail;
  std::string signed_bytes;
  env.value().append_signed_bytes(signed_bytes);
  EXPECT_EQ(hex_encode(as_bytes(signed_bytes)), kVectorSignedHex);
  EXPECT_EQ(signed_bytes, std::string("bwoc-envelope-v1\n") + kVectorJcs);
}

TEST(Envelope, SpecVectorSignatureVerifies) {
  auto env = parse_envelope(vector_envelope_text());
  ASSERT_TRUE(env.ok());
  std::string scratch;
  EXPECT_TRUE(verify_signature(env.value(), scratch));
  EXPECT_EQ(env.value().key, test::vector_sender().public_key());
  EXPECT_EQ(env.value().aud, test::vector_audience().public_key());
}

TEST(Envelope, SpecVectorIsReproducedBySigning) {
  auto payload = json::parse(
      R"({"comment":"Excellent root-cause analysis.","ctl":"\u0001\t\"\\","score":4,)"
      "\"\xE2\x82\xAC\":\"\xE2\x80\xA8\",\"\xF0\x9F\x98\x80\":[1e21,1e-6,-0.5,1.5e-7]}");
  ASSERT_TRUE(payload.ok());
  EnvelopeDraft draft;
  draft.kind = "feedback";
  draft.from = "agent-guanyin";
  draft.to = "agent-wenchang";
  draft.aud = test::vector_audience().public_key();
  draft.payload = *payload;
  draft.id = "00112233445566778899aabbccddeeff";
  draft.ts = *parse_timestamp("2026-11-22T08:00:00.123Z");
  auto text = sign_envelope(draft, test::vector_sender());
  ASSERT_TRUE(text.ok());
  auto env = parse_envelope(*text);
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env.value().sig.to_base64(), kVectorSig);
  std::string expected = kVectorJcs;
  expected.insert(expected.find(",\"to\":"), std::string(",\"sig\":\"") + kVectorSig + "\"");
  EXPECT_EQ(*text, expected);
}

TEST(Envelope, TamperingWithAnySignedMemberBreaksTheSignature) {
  const std::string original = vector_envelope_text();
  const std::pair<std::string, std::string> edits[] = {
      {"\"score\":4", "\"score\":5"},
      {"\"kind\":\"feedback\"", "\"kind\":\"feedbacks\""},
      {"agent-wenchang", "agent-wenchanh"},
      {"08:00:00.123Z", "08:00:00.124Z"},
      {"\"v\":1", "\"v\":1,\"extra\":true"},
  };
  for (const auto& [from, to] : edits) {
    std::string text = original;
    auto pos = text.find(from);
    ASSERT_NE(pos, std::string::npos) << from;
    text.replace(pos, from.size(), to);
    auto env = parse_envelope(text);
    ASSERT_TRUE(env.ok()) << env.refusal().detail;
    std::string scratch;
    EXPECT_FALSE(verify_signature(env.value(), scratch)) << "edit " << from << " -> " << to;
  }
}

TEST(Envelope, UnnamedMembersAreSignedAndKept) {
  EnvelopeDraft draft = test::draft_to(test::vector_audience().public_key());
  draft.extra.push_back({"x-trace", json::Value::string("abc")});
  auto text = sign_envelope(draft, test::vector_sender());
  ASSERT_TRUE(text.ok());
  auto env = parse_envelope(*text);
  ASSERT_TRUE(env.ok());
  ASSERT_NE(env.value().doc.find("x-trace"), nullptr);
  std::string scratch;
  EXPECT_TRUE(verify_signature(env.value(), scratch));
}

Reason refusal_of(std::string_view text) {
  auto env = parse_envelope(text);
  EXPECT_FALSE(env.ok()) << text;
  return env.ok() ? Reason::replayed : env.refusal().reason;
}

// Replaces one member of a valid envelope's text (no re-signing: checks 1–3 come first).
std::string with_member(const std::string& name, const std::string& json_value) {
  auto doc = json::parse(vector_envelope_text());
  json::Value v = *doc;
  if (json_value.empty()) {
    auto& m = v.members();
    m.erase(std::remove_if(m.begin(), m.end(), [&](const json::Member& x) { return x.name == name; }), m.end());
  } else {
    v.set(name, *json::parse(json_value));
  }
  return json::write(v);
}

TEST(Envelope, ChecksOneToThreeRefuseWithTheirReasonCodes) {
  EXPECT_EQ(refusal_of("not json"), Reason::malformed);
  EXPECT_EQ(refusal_of("[1,2]"), Reason::malformed);
  EXPECT_EQ(refusal_of(R"({"v":1,"v":1})"), Reason::malformed);
  EXPECT_EQ(refusal_of(with_member("v", "")), Reason::malformed);
  EXPECT_EQ(refusal_of(with_member("v", "3")), Reason::unsupported_version);
  // 2 is a sealed envelope (seal.h), which carries `sealed`, not `payload`.
  EXPECT_EQ(refusal_of(with_member("v", "2")), Reason::malformed);
  EXPECT_EQ(refusal_of(with_member("v", "\"1\"")), Reason::unsupported_version);
  EXPECT_EQ(refusal_of(with_member("id", "\"00112233445566778899AABBCCDDEEFF\"")), Reason::malformed);
  EXPECT_EQ(refusal_of(with_member("id", "\"0011\"")), Reason::malformed);
  EXPECT_EQ(refusal_of(with_member("kind", "\"Feedback\"")), Reason::malformed);
  EXPECT_EQ(refusal_of(with_member("from", "\"-agent\"")), Reason::malformed);
  EXPECT_EQ(refusal_of(with_member("to", "\"\"")), Reason::malformed);
  EXPECT_EQ(refusal_of(with_member("ts", "\"2026-11-22T08:00:00Z\"")), Reason::malformed);
  EXPECT_EQ(refusal_of(with_member("ts", "\"2026-02-30T08:00:00.000Z\"")), Reason::malformed);
  EXPECT_EQ(refusal_of(with_member("key", "\"ed25519:AAAA\"")), Reason::malformed);
  EXPECT_EQ(refusal_of(with_member("key", "\"ed25519:11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURp=\"")),
            Reason::malformed);  // non-zero padding bits
  EXPECT_EQ(refusal_of(with_member("aud", "\"PUAXw+hDiVqStwqnTRt+vJyYLM8uxJaMwM1V8Sr0Zgw=\"")), Reason::malformed);
  EXPECT_EQ(refusal_of(with_member("payload", "")), Reason::malformed);
  EXPECT_EQ(refusal_of(with_member("re", "null")), Reason::malformed);
  EXPECT_EQ(refusal_of(with_member("sig", "\"dK6V\"")), Reason::malformed);
  EXPECT_EQ(refusal_of(with_member("sig", "")), Reason::malformed);
}

TEST(Envelope, RefusesOversizeAndDeepEnvelopes) {
  std::string big = "{\"pad\":\"" + std::string(kMaxEnvelopeBytes, 'x') + "\"}";
  EXPECT_EQ(refusal_of(big), Reason::malformed);
  // The envelope object is depth 1, so its payload may nest 63 levels.
  std::string deep = with_member("payload", std::string(64, '[') + std::string(64, ']'));
  EXPECT_EQ(refusal_of(deep), Reason::malformed);
  std::string ok_depth = with_member("payload", std::string(63, '[') + std::string(63, ']'));
  EXPECT_TRUE(parse_envelope(ok_depth).ok());
}

// JCS writes 3e17 as the integer literal 300000000000000000, which receivers
// refuse (beyond 2^53-1): the signer must refuse it rather than emit it.
TEST(Envelope, SignRefusesNumbersWhoseCanonicalFormReceiversRefuse) {
  EnvelopeDraft draft = test::draft_to(test::vector_audience().public_key());
  draft.payload = *json::parse(R"({"n":[1,3e17]})");
  auto text = sign_envelope(draft, test::vector_sender());
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.error().message().find("300000000000000000"), std::string::npos);
  draft.payload = *json::parse(R"({"n":[9007199254740991,1e21,0.5]})");
  EXPECT_TRUE(sign_envelope(draft, test::vector_sender()).ok());
}

TEST(Envelope, SignRefusesInvalidDrafts) {
  EnvelopeDraft draft = test::draft_to(test::vector_audience().public_key());
  draft.kind = "Bad Kind";
  EXPECT_FALSE(sign_envelope(draft, test::vector_sender()).ok());
  draft = test::draft_to(test::vector_audience().public_key());
  draft.to = "../etc";
  EXPECT_FALSE(sign_envelope(draft, test::vector_sender()).ok());
  draft = test::draft_to(test::vector_audience().public_key());
  draft.extra.push_back({"sig", json::Value::string("x")});
  EXPECT_FALSE(sign_envelope(draft, test::vector_sender()).ok());
}

}  // namespace
}  // namespace bwoc
