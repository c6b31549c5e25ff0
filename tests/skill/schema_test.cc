// Schema checks: the official JSON Schema test suite (draft 7, Debian's
// json-schema-test-suite), and the bounds that keep a caller's input from
// driving the validator into unbounded work.
#include "bwoc/skill/schema.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

namespace bwoc::skill {
namespace {

const std::filesystem::path kSuite = "/usr/share/json-schema-test-suite/tests/draft7";

json::Value parse_or_die(const std::string& text) {
  auto v = json::parse(text);
  EXPECT_TRUE(v.ok()) << (v.ok() ? "" : v.error().message());
  return v.ok() ? std::move(v).value() : json::Value();
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Keywords bwoc refuses on purpose (unbounded regexes, documents elsewhere),
// and the suite's cases that need them.
bool refused_on_purpose(const std::string& file) {
  return file == "patternProperties.json" || file == "refRemote.json";
}

TEST(SchemaSuite, Draft7KeywordsAgreeWithTheOfficialSuite) {
  if (!std::filesystem::exists(kSuite)) GTEST_SKIP() << "json-schema-test-suite is not installed";
  int cases = 0, agreed = 0, schemas_refused = 0;
  std::set<std::string> disagreeing_files, refused;
  for (const auto& entry : std::filesystem::directory_iterator(kSuite)) {
    if (entry.path().extension() != ".json") continue;
    std::string file = entry.path().filename().string();
    if (refused_on_purpose(file)) continue;
    json::Value groups = parse_or_die(slurp(entry.path()));
    for (const json::Value& group : groups.items()) {
      auto schema = Schema::compile(*group.find("schema"));
      if (!schema.ok()) {
        ++schemas_refused;
        refused.insert(file + ": " + group.find("description")->as_string() + " (" + schema.error().message() + ")");
        continue;
      }
      for (const json::Value& test : group.find("tests")->items()) {
        ++cases;
        bool expected = test.find("valid")->as_bool();
        bool got = schema->validate(*test.find("data")).ok();
        if (got == expected) {
          ++agreed;
        } else {
          disagreeing_files.insert(file + ": " + group.find("description")->as_string() + " / " +
                                   test.find("description")->as_string());
        }
      }
    }
  }
  std::string report;
  for (const std::string& f : disagreeing_files) report += "\n  " + f;
  RecordProperty("cases", cases);
  RecordProperty("agreed", agreed);
  EXPECT_GE(cases, 350);
  std::cout << "draft 7 suite: " << agreed << " of " << cases << " cases agree; " << schemas_refused
            << " schemas refused on purpose" << report << "\n";
  EXPECT_EQ(cases, agreed) << "disagreements:" << report;
  // Only schemas that use what bwoc refuses on purpose (patternProperties,
  // references to other documents).
  for (const std::string& r : refused) {
    EXPECT_TRUE(r.find("patternProperties") != std::string::npos || r.find("references inside") != std::string::npos)
        << r;
  }
}

TEST(Schema, ReportsWhereTheInputFails) {
  auto s = Schema::compile(parse_or_die(
      R"({"type":"object","properties":{"items":{"type":"array","items":{"type":"object","properties":{"n":{"type":"integer"}}}}}})"));
  ASSERT_TRUE(s.ok());
  Status st = s->validate(parse_or_die(R"({"items":[{"n":1},{"n":"two"}]})"));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message().rfind("input.items[1].n: ", 0), 0u) << st.error().message();
  EXPECT_TRUE(s->validate(parse_or_die(R"({"items":[{"n":1}]})")).ok());
}

TEST(Schema, IntegersAreIntegersWhateverTheirSpelling) {
  auto s = Schema::compile(parse_or_die(R"({"type":"integer"})"));
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->validate(parse_or_die("3")).ok());
  EXPECT_TRUE(s->validate(parse_or_die("3.0")).ok());
  EXPECT_FALSE(s->validate(parse_or_die("3.5")).ok());
}

TEST(Schema, RefusesWhatWouldRunUnbounded) {
  for (const char* bad : {R"x({"patternProperties":{"^a":{}}})x", R"x({"properties":{"x":{"pattern":"(a)\\1"}}})x",
                          R"x({"pattern":"(?=a)"})x", R"x({"$ref":"http://example.com/s.json"})x",
                          R"x({"propertyNames":{"format":"date"}})x", R"x("just a string")x",
                          R"x({"properties":{"c":{"$ref":"#/definitions/missing"}}})x"}) {
    EXPECT_FALSE(Schema::compile(parse_or_die(bad)).ok()) << bad;
  }
  EXPECT_TRUE(Schema::compile(parse_or_die(R"({"definitions":{"a":{"type":"string"}},"$ref":"#/definitions/a"})")).ok());
}

// The classic catastrophic pattern: std::regex backtracks exponentially (or
// overflows its stack on long input); RE2 stays linear.
TEST(Schema, PatternsStayLinearOnHostileInput) {
  auto s = Schema::compile(parse_or_die(R"x({"type":"string","pattern":"^(a+)+$"})x"));
  ASSERT_TRUE(s.ok());
  std::string hostile(200'000, 'a');
  hostile += "!";
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(s->validate(json::Value(hostile)).ok());
  EXPECT_TRUE(s->validate(json::Value(std::string(200'000, 'a'))).ok());
  // Backtracking would take longer than the universe has; linear is well
  // under a second, so a bound for the slowest machine still tells them apart.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
}

TEST(Schema, FormatsCheckedWithStdRegexAreBoundedFirst) {
  auto s = Schema::compile(parse_or_die(R"({"type":"string","format":"date"})"));
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->validate(json::Value("2026-11-22")).ok());
  EXPECT_FALSE(s->validate(json::Value("2026-13-22")).ok());
  // A megabyte of digits would recurse once per byte in std::regex.
  EXPECT_FALSE(s->validate(json::Value(std::string(1 << 20, '1') + "-01-01")).ok());
}

TEST(Schema, PropertyNamePatternsUseTheSameEngine) {
  auto s = Schema::compile(parse_or_die(R"x({"propertyNames":{"pattern":"^(a|aa)+$"}})x"));
  ASSERT_TRUE(s.ok());
  json::Value obj = json::Value::object();
  obj.set(std::string(100'000, 'a') + "b", 1);
  EXPECT_FALSE(s->validate(obj).ok());
}

}  // namespace
}  // namespace bwoc::skill
