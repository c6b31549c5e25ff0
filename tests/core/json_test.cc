#include "bwoc/core/json.h"

#include <gtest/gtest.h>

#include <string>

namespace bwoc {
namespace {

bool refused(std::string_view text, std::string_view why = {}) {
  auto v = json::parse(text);
  if (v.ok()) return false;
  return why.empty() || v.error().message().find(why) != std::string::npos;
}

TEST(Json, ParsesEveryKindOfValue) {
  auto v = json::parse(R"( {"n":null,"t":true,"f":false,"i":-12,"d":0.25,"s":"x","a":[1,[]],"o":{}} )");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->find("n")->is_null());
  EXPECT_TRUE(v->find("t")->as_bool());
  EXPECT_FALSE(v->find("f")->as_bool());
  EXPECT_EQ(v->find("i")->as_number(), -12);
  EXPECT_EQ(v->find("d")->as_number(), 0.25);
  EXPECT_EQ(v->find("s")->as_string(), "x");
  EXPECT_EQ(v->find("a")->items().size(), 2u);
  EXPECT_TRUE(v->find("o")->members().empty());
  EXPECT_EQ(v->find("missing"), nullptr);
}

TEST(Json, RefusesDuplicateNamesEvenWhenSpelledDifferently) {
  EXPECT_TRUE(refused(R"({"a":1,"a":2})", "duplicate member name"));
  EXPECT_TRUE(refused(R"({"a":1,"\u0061":2})", "duplicate member name"));
  EXPECT_TRUE(refused(R"({"x":{"k":1,"k":1}})", "duplicate member name"));
  // Many members take the sorted path.
  std::string big = "{";
  for (int i = 0; i < 40; ++i) big += "\"m" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  big += "\"m17\":0}";
  EXPECT_TRUE(refused(big, "duplicate member name"));
}

TEST(Json, RefusesInvalidUtf8AndLoneSurrogates) {
  EXPECT_TRUE(refused("\"\xC3\"", "invalid UTF-8"));
  EXPECT_TRUE(refused("\"\xC0\xAF\"", "invalid UTF-8"));          // overlong '/'
  EXPECT_TRUE(refused("\"\xED\xA0\x80\"", "invalid UTF-8"));      // UTF-8 encoded surrogate
  EXPECT_TRUE(refused("\"\xF4\x90\x80\x80\"", "invalid UTF-8"));  // above U+10FFFF
  EXPECT_TRUE(refused("\"\xFF\"", "invalid UTF-8"));
  EXPECT_TRUE(refused(R"("\ud800")", "lone high surrogate"));
  EXPECT_TRUE(refused(R"("\udc00")", "lone low surrogate"));
  EXPECT_TRUE(refused(R"("\ud800\u0041")", "lone high surrogate"));
  auto pair = json::parse(R"("\ud83d\ude00")");
  ASSERT_TRUE(pair.ok());
  EXPECT_EQ(pair->as_string(), "\xF0\x9F\x98\x80");
}

TEST(Json, RefusesIntegerLiteralsBeyondTwoToThe53) {
  EXPECT_TRUE(json::parse("9007199254740991").ok());
  EXPECT_TRUE(json::parse("-9007199254740991").ok());
  EXPECT_TRUE(refused("9007199254740992", "2^53"));
  EXPECT_TRUE(refused("-9007199254740992", "2^53"));
  EXPECT_TRUE(refused("123456789012345678901234567890", "2^53"));
  // With a fraction or exponent it is a double, as JCS says.
  EXPECT_TRUE(json::parse("9007199254740992.0").ok());
  EXPECT_TRUE(json::parse("1E21").ok());
}

TEST(Json, AcceptsUnderflowAsECMAScriptDoes) {
  auto v = json::parse("1e-400");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->as_number(), 0.0);
}

TEST(Json, RefusesWhatJsonDoesNotAllow) {
  EXPECT_TRUE(refused(""));
  EXPECT_TRUE(refused("{"));
  EXPECT_TRUE(refused("[1,]"));
  EXPECT_TRUE(refused("{\"a\":1,}"));
  EXPECT_TRUE(refused("01", "leading zero"));
  EXPECT_TRUE(refused("1."));
  EXPECT_TRUE(refused(".5"));
  EXPECT_TRUE(refused("+1"));
  EXPECT_TRUE(refused("1e"));
  EXPECT_TRUE(refused("\"tab\there\"", "control character"));
  EXPECT_TRUE(refused(R"("\x")", "invalid escape"));
  EXPECT_TRUE(refused("\xEF\xBB\xBF{}"));  // byte-order mark
  EXPECT_TRUE(refused("{} {}", "after the JSON value"));
  EXPECT_TRUE(refused("tru"));
  EXPECT_TRUE(refused("nul"));
  EXPECT_TRUE(refused("'a'"));
  EXPECT_TRUE(refused("[1 2]"));
}

TEST(Json, BoundsNestingDepth) {
  std::string deep(64, '[');
  deep += std::string(64, ']');
  EXPECT_TRUE(json::parse(deep).ok());
  std::string deeper(65, '[');
  deeper += std::string(65, ']');
  EXPECT_TRUE(refused(deeper, "nesting deeper than 64"));
  // A hostile depth fails fast instead of exhausting the stack.
  std::string hostile(500000, '[');
  EXPECT_TRUE(refused(hostile, "nesting deeper"));
}

TEST(Json, WritesWhatItReadsBack) {
  const char* text = R"({"z":[1,2.5,"\u00e9\n"],"a":{"b":null,"c":true}})";
  auto v = json::parse(text);
  ASSERT_TRUE(v.ok());
  std::string written = json::write(*v);
  EXPECT_EQ(written, "{\"z\":[1,2.5,\"\xC3\xA9\\n\"],\"a\":{\"b\":null,\"c\":true}}");
  auto again = json::parse(written);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *v);
}

TEST(Json, BoundsSizeBeforeParsing) {
  std::string big = "\"" + std::string(2000, 'x') + "\"";
  auto v = json::parse(big, json::ParseLimits{1000, 64});
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().message().find("over the limit of 1000"), std::string::npos);
}

}  // namespace
}  // namespace bwoc
