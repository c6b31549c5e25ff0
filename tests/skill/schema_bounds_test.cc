// The worst input we could build for each draft-7 keyword valijson evaluates,
// each checked against a bound on the work validation counts (not on time:
// the outcome must not depend on how fast the machine is). Every input fits
// the 1 MiB an envelope may carry. The limits given raise the CPU-time budget
// to 30 s, far above any of these runs (tens to hundreds of milliseconds), so
// the counted work decides; a keyword that went back to costing more than its
// count would still be stopped by the CPU budget and fail. One test checks the
// CPU-time budget itself.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "bwoc/skill/schema.h"

namespace bwoc::skill {
namespace {

json::Value parse(const std::string& text) {
  auto v = json::parse(text, json::ParseLimits{4u << 20, 200});
  EXPECT_TRUE(v.ok()) << (v.ok() ? "" : v.error().message());
  return v.ok() ? std::move(v).value() : json::Value();
}

Schema compile(const std::string& text) {
  auto s = Schema::compile(parse(text));
  EXPECT_TRUE(s.ok()) << text << ": " << (s.ok() ? "" : s.error().message());
  return s.ok() ? std::move(s).value() : Schema::compile(parse("{}")).value();
}

ValidationLimits work_only() {
  ValidationLimits limits;
  limits.max_cpu = std::chrono::seconds(30);  // far above any of these: the work decides
  return limits;
}

struct Verdict {
  bool valid;
  std::string message;
  std::uint64_t work;
};

Verdict check(const Schema& schema, const json::Value& input, const ValidationLimits& limits = work_only()) {
  std::uint64_t work = 0;
  Status st = schema.validate(input, limits, &work);
  return {st.ok(), st.ok() ? "" : st.error().message(), work};
}

std::string repeat(const std::string& item, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    if (i) out += ',';
    out += item;
  }
  return out;
}

std::string nested_arrays(int depth, const std::string& inside) {
  return std::string(depth, '[') + inside + std::string(depth, ']');
}

constexpr char kTooCostly[] = "input: too costly to validate";

TEST(SchemaBounds, UniqueItemsIsLinearNotPairwise) {
  Schema s = compile(R"({"uniqueItems":true})");
  std::string ints;
  for (int i = 0; i < 150'000; ++i) ints += (i ? "," : "") + std::to_string(i);
  Verdict v = check(s, parse("[" + ints + "]"));  // 1 MiB of distinct numbers: 11 billion pairs
  EXPECT_TRUE(v.valid) << v.message;
  EXPECT_LE(v.work, 10u * 150'000);
  v = check(s, parse("[" + ints + ",149999.0]"));
  EXPECT_FALSE(v.valid);
  EXPECT_LE(v.work, 10u * 150'000);

  std::string objects;
  for (int i = 0; i < 20'000; ++i) objects += (i ? "," : "") + std::string(R"({"a":[1,{"b":)") + std::to_string(i) + "}]}";
  v = check(s, parse("[" + objects + "]"));
  EXPECT_TRUE(v.valid) << v.message;
  EXPECT_LE(v.work, 20u * 20'000);

  // What counts as the same item: valijson's strict equality, numbers by value.
  for (const char* dup : {"[1,1.0]", R"([{"a":1,"b":[2]},{"b":[2.0],"a":1}])", R"(["x","x"])", "[null,null]",
                          "[[0],[-0]]"}) {
    EXPECT_FALSE(check(s, parse(dup)).valid) << dup;
  }
  for (const char* distinct : {"[0,false]", "[1,true]", R"(["1",1])", "[[1],[true]]", R"([{"a":1},{"a":1,"b":1}])",
                               "[0.1,0.10000000000000002]", R"([{"ab":"c"},{"a":"bc"}])"}) {
    EXPECT_TRUE(check(s, parse(distinct)).valid) << distinct;
  }
}

TEST(SchemaBounds, EnumAndConstCompareOnlyValuesNoLargerThanTheirLiterals) {
  std::string literals;
  for (int i = 0; i < 5'000; ++i) literals += (i ? ",\"v" : "\"v") + std::to_string(i) + "\"";
  Schema s = compile(R"({"items":{"enum":[)" + literals + "]}}");
  // 1,000 strings of 1 KiB, each larger than every literal: no comparison at all.
  Verdict v = check(s, parse("[" + repeat("\"" + std::string(1'000, 'v') + "\"", 1'000) + "]"));
  EXPECT_FALSE(v.valid);
  EXPECT_LE(v.work, 100u * 1'000);
  // Small values are compared with each literal (the schema's own size).
  EXPECT_TRUE(check(s, parse(R"(["v4999","v0"])")).valid);
  EXPECT_FALSE(check(s, parse(R"(["v5000"])")).valid);

  // A large const: one comparison, as long as the value.
  std::string members;
  for (int i = 0; i < 5'000; ++i) members += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":[1,\"x\"]";
  Schema c = compile(R"({"const":{)" + members + "}}");
  EXPECT_TRUE(check(c, parse("{" + members + "}")).valid);
  v = check(c, parse("{" + members + R"(,"extra":1})"));
  EXPECT_FALSE(v.valid);
  EXPECT_LE(v.work, 50'000u);
  EXPECT_TRUE(check(compile(R"({"enum":[{"a":[1,2]},"x"]})"), parse(R"({"a":[1,2.0]})")).valid);
}

TEST(SchemaBounds, ContainsItemsAndAdditionalItemsAreLinear) {
  const std::size_t n = 200'000;
  std::string ones = "[" + repeat("1", n) + "]";
  Verdict v = check(compile(R"({"contains":{"const":"never"}})"), parse(ones));
  EXPECT_FALSE(v.valid);
  EXPECT_LE(v.work, 10 * n);
  v = check(compile(R"({"items":[{"type":"integer"},{"minimum":0}],"additionalItems":{"type":"integer","maximum":1}})"),
            parse(ones));
  EXPECT_TRUE(v.valid) << v.message;
  EXPECT_LE(v.work, 10 * n);
  // contains inside items: each inner array is searched once.
  v = check(compile(R"({"items":{"contains":{"const":2}}})"), parse("[" + repeat("[1,1,1,1,2]", n / 6) + "]"));
  EXPECT_TRUE(v.valid) << v.message;
  EXPECT_LE(v.work, 10 * n);
}

TEST(SchemaBounds, RefsAndDependenciesThatComeBackToTheSameValueAreRefusedAtLoad) {
  for (const char* loop : {
           R"({"$ref":"#"})",
           R"({"dependencies":{"a":{"$ref":"#"}}})",
           R"({"definitions":{"a":{"$ref":"#/definitions/b"},"b":{"allOf":[{"$ref":"#/definitions/a"}]}},"$ref":"#/definitions/a"})",
           R"({"properties":{"x":{"not":{"anyOf":[{"$ref":"#/properties/x"}]}}}})",
           R"({"definitions":{"a~b/c":{"if":{"$ref":"#/definitions/a~0b~1c"}}},"$ref":"#/definitions/a%7E0b~1c"})",
       }) {
    auto s = Schema::compile(parse(loop));
    ASSERT_FALSE(s.ok()) << loop;
    EXPECT_NE(s.error().message().find("loops back"), std::string::npos) << s.error().message();
  }
  // Recursion that steps into the value is fine, and bounded by the value.
  Schema tree = compile(R"({"type":"object","properties":{"next":{"$ref":"#"}},"dependencies":{"a":["b"]}})");
  std::string chain = "{}";
  for (int i = 0; i < 60; ++i) chain = R"({"next":)" + chain + "}";
  Verdict v = check(tree, parse(chain));
  EXPECT_TRUE(v.valid) << v.message;
  EXPECT_LE(v.work, 10'000u);
}

// anyOf whose first branch walks the whole array before it fails, and whose
// second walks it again: without a budget, 2^depth applications.
TEST(SchemaBounds, NestedCombinatorsAndRecursionStopAtTheWorkBudget) {
  Schema s = compile(
      R"({"anyOf":[{"allOf":[{"items":{"$ref":"#"}},{"contains":{"const":"never"}}]},{"items":{"$ref":"#"}}]})");
  EXPECT_TRUE(check(s, parse(nested_arrays(8, "0"))).valid);
  ValidationLimits limits = work_only();
  limits.max_work = 1'000'000;
  Verdict v = check(s, parse(nested_arrays(60, "0")), limits);
  EXPECT_FALSE(v.valid);
  EXPECT_EQ(v.message, kTooCostly);
  EXPECT_EQ(v.work, limits.max_work);
  // The same with the default budget: stopped, not left to run 2^60 times.
  ValidationLimits defaults = work_only();
  v = check(s, parse(nested_arrays(60, "0")), defaults);
  EXPECT_EQ(v.message, kTooCostly);
  EXPECT_EQ(v.work, defaults.max_work);

  // oneOf evaluates every branch; not/not/oneOf seven times, about as deep as a
  // schema may nest, stay linear in the input.
  std::string deep = R"({"type":"integer"})";
  for (int i = 0; i < 7; ++i) deep = R"({"not":{"not":{"oneOf":[)" + deep + R"(,{"type":"string"}]}}})";
  v = check(compile(R"({"items":)" + deep + "}"), parse("[" + repeat("1", 50'000) + "]"));
  EXPECT_TRUE(v.valid) << v.message;
  EXPECT_LE(v.work, 200u * 50'000);
}

TEST(SchemaBounds, RecursionIsBoundedInDepth) {
  // Four subschemas deep for every level of the value.
  Schema s = compile(R"({"allOf":[{"allOf":[{"allOf":[{"items":{"$ref":"#"}}]}]}]})");
  Verdict v = check(s, parse(nested_arrays(60, "1")));
  EXPECT_TRUE(v.valid) << v.message;
  ValidationLimits shallow = work_only();
  shallow.max_depth = 100;
  v = check(s, parse(nested_arrays(60, "1")), shallow);
  EXPECT_EQ(v.message, kTooCostly);
  EXPECT_LE(v.work, 10'000u);
}

TEST(SchemaBounds, DeepValuesCostTheirPathOnce) {
  // 300,000 numbers 60 arrays deep: valijson copies the path for each.
  Verdict v = check(compile(R"({"items":{"$ref":"#"}})"), parse(nested_arrays(60, repeat("1", 300'000))));
  EXPECT_TRUE(v.valid) << v.message;
  EXPECT_LE(v.work, 30u * 300'000);
}

TEST(SchemaBounds, LongPropertyNamesAreCutInPaths) {
  // 50 levels of 8 KB names above 100,000 numbers: whole names in the path
  // made each number cost 400 KB of copying.
  std::string deep;
  for (int i = 0; i < 50; ++i) deep += "{\"" + std::string(8'000, 'k') + "\":";
  std::string input = deep + "[" + repeat("1", 100'000) + "]" + std::string(50, '}');
  Schema s = compile(R"({"additionalProperties":{"$ref":"#"},"items":{"type":"integer"}})");
  Verdict v = check(s, parse(input));
  EXPECT_TRUE(v.valid) << v.message;
  EXPECT_LE(v.work, 100u * 100'000);
  // An error names the place with the name cut short.
  v = check(compile(R"({"additionalProperties":{"type":"integer"}})"),
            parse("{\"" + std::string(100'000, 'k') + "\":\"x\"}"));
  ASSERT_FALSE(v.valid);
  EXPECT_EQ(v.message.rfind("input." + std::string(64, 'k') + "...: ", 0), 0u) << v.message.substr(0, 100);
  v = check(compile(R"({"properties":{},"additionalProperties":false})"),
            parse("{\"" + std::string(100'000, 'k') + "\":1}"));
  EXPECT_LT(v.message.size(), 300u);
}

TEST(SchemaBounds, MultipleOfHandlesHugeAndTinyNumbersExactly) {
  Verdict v = check(compile(R"({"items":{"multipleOf":1e-308}})"), parse("[" + repeat("1e308", 150'000) + "]"));
  EXPECT_TRUE(v.valid) << v.message;
  EXPECT_LE(v.work, 40u * 150'000);
  Schema two = compile(R"({"multipleOf":2})");
  EXPECT_FALSE(check(two, parse("4.5")).valid);  // valijson cast 4.5 to 4
  EXPECT_TRUE(check(two, parse("4.0")).valid);
  EXPECT_TRUE(check(two, parse("1e300")).valid);  // beyond int64, still even
  EXPECT_FALSE(check(two, parse("-9007199254740991")).valid);
  EXPECT_TRUE(check(compile(R"({"multipleOf":3})"), parse("3e20")).valid);  // valijson's cast said no
  for (const char* bad : {R"({"multipleOf":0})", R"({"multipleOf":-1})", R"({"multipleOf":"2"})",
                          R"({"properties":{"a":{"multipleOf":-0.5}}})"}) {
    EXPECT_FALSE(Schema::compile(parse(bad)).ok()) << bad;
  }
  // A property named like a keyword is only a name.
  EXPECT_TRUE(Schema::compile(parse(R"({"properties":{"multipleOf":{"type":"string"},"patternProperties":{}}})")).ok());
}

TEST(SchemaBounds, PatternIsChargedItsWorstCaseBeforeItRuns) {
  // RE2's fallback on this one costs about 5 ns per byte and instruction:
  // seconds on a megabyte, and RE2 cannot be stopped once it runs.
  Schema s = compile(R"({"pattern":"a[ab]{1000}c"})");
  std::mt19937 rng(7);
  std::string text;
  for (int i = 0; i < (1 << 20) - 16; ++i) text += "ab"[rng() & 1];
  Verdict v = check(s, json::Value(text));
  EXPECT_EQ(v.message, kTooCostly);
  EXPECT_LE(v.work, 100'000u);
  // The same pattern on a short text runs and decides.
  EXPECT_TRUE(check(s, json::Value("a" + std::string(1000, 'b') + "c")).valid);
  EXPECT_FALSE(check(s, json::Value("a" + std::string(999, 'b') + "c")).valid);
  // A small pattern on the megabyte runs.
  v = check(compile(R"x({"pattern":"^(a|b)+$"})x"), json::Value(text));
  EXPECT_TRUE(v.valid) << v.message;
  EXPECT_LE(v.work, 10'000'000u);
  // Property names go through the same charge.
  json::Value names = json::Value::object();
  names.set(text, 1);
  EXPECT_EQ(check(compile(R"({"propertyNames":{"pattern":"a[ab]{1000}c"}})"), names).message, kTooCostly);
}

TEST(SchemaBounds, LengthsCountEveryCodePointOfHugeStrings) {
  // valijson counted up to the first NUL.
  EXPECT_FALSE(check(compile(R"({"maxLength":10})"), json::Value(std::string("a\0", 2) + std::string(1000, 'x'))).valid);
  EXPECT_TRUE(check(compile(R"({"maxLength":3})"), json::Value("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80")).valid);
  std::string sixteen;
  for (int i = 0; i < 16; ++i) sixteen += (i ? "," : "") + std::string(R"({"minLength":2000000})");
  Verdict v = check(compile(R"({"anyOf":[)" + sixteen + "]}"), json::Value(std::string((1 << 20) - 16, 'x')));
  EXPECT_FALSE(v.valid);
  EXPECT_LE(v.work, 16u * (1 << 20) / 32);
  json::Value names = json::Value::object();
  names.set(std::string(1 << 19, 'n'), 1);
  v = check(compile(R"({"propertyNames":{"maxLength":10,"minLength":1}})"), names);
  EXPECT_FALSE(v.valid);
  EXPECT_LE(v.work, 100'000u);
}

TEST(SchemaBounds, FormatsAndObjectKeywordsStayBounded) {
  Verdict v = check(compile(R"({"items":{"format":"date-time"}})"),
                    parse("[" + repeat("\"" + std::string(1'000, '1') + "\"", 1'000) + "]"));
  EXPECT_FALSE(v.valid);
  EXPECT_LE(v.work, 100u * 1'000);
  // required, dependencies, properties, min/maxProperties: lookups per name
  // of the schema, whatever the size of the object.
  std::string members;
  for (int i = 0; i < 50'000; ++i) members += (i ? ",\"m" : "\"m") + std::to_string(i) + "\":" + std::to_string(i);
  v = check(compile(R"({"required":["m1","m49999"],"dependencies":{"m2":["m3"],"m4":{"required":["m5"]}},)"
                    R"("properties":{"m6":{"type":"integer"}},"minProperties":2,"maxProperties":60000,)"
                    R"("propertyNames":{"maxLength":6}})"),
            parse("{" + members + "}"));
  EXPECT_TRUE(v.valid) << v.message;
  EXPECT_LE(v.work, 20u * 50'000);
}

TEST(SchemaBounds, ValidationStopsAtItsCpuTimeBudget) {
  Schema s = compile(
      R"({"anyOf":[{"allOf":[{"items":{"$ref":"#"}},{"contains":{"const":"never"}}]},{"items":{"$ref":"#"}}]})");
  ValidationLimits limits;
  limits.max_work = UINT64_MAX / 2;
  limits.max_cpu = std::chrono::milliseconds(20);
  Verdict v = check(s, parse(nested_arrays(60, "0")), limits);
  EXPECT_EQ(v.message, kTooCostly);
  EXPECT_LT(v.work, limits.max_work);
}

}  // namespace
}  // namespace bwoc::skill
