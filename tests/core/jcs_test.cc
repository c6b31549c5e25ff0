#include "bwoc/core/jcs.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>

#include "bwoc/core/json.h"

namespace bwoc {
namespace {

std::string canonical(std::string_view text) {
  auto v = json::parse(text);
  EXPECT_TRUE(v.ok()) << (v.ok() ? "" : v.error().message());
  return v.ok() ? jcs::canonicalize(*v) : std::string();
}

std::string number_text(double d) {
  std::string out;
  jcs::append_number(d, out);
  return out;
}

// RFC 8785 Appendix B: IEEE 754 bit patterns and the text JCS writes for them.
TEST(Jcs, WritesEveryFiniteNumberOfRfc8785AppendixB) {
  struct Row {
    std::uint64_t bits;
    const char* text;
  };
  const Row rows[] = {
      {0x0000000000000000, "0"},
      {0x8000000000000000, "0"},
      {0x0000000000000001, "5e-324"},
      {0x8000000000000001, "-5e-324"},
      {0x7fefffffffffffff, "1.7976931348623157e+308"},
      {0xffefffffffffffff, "-1.7976931348623157e+308"},
      {0x4340000000000000, "9007199254740992"},
      {0xc340000000000000, "-9007199254740992"},
      {0x4430000000000000, "295147905179352830000"},
      {0x44b52d02c7e14af5, "9.999999999999997e+22"},
      {0x44b52d02c7e14af6, "1e+23"},
      {0x44b52d02c7e14af7, "1.0000000000000001e+23"},
      {0x444b1ae4d6e2ef4e, "999999999999999700000"},
      {0x444b1ae4d6e2ef4f, "999999999999999900000"},
      {0x444b1ae4d6e2ef50, "1e+21"},
      {0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
      {0x3eb0c6f7a0b5ed8d, "0.000001"},
      {0x41b3de4355555553, "333333333.3333332"},
      {0x41b3de4355555554, "333333333.33333325"},
      {0x41b3de4355555555, "333333333.3333333"},
      {0x41b3de4355555556, "333333333.3333334"},
      {0x41b3de4355555557, "333333333.33333343"},
      {0xbecbf647612f3696, "-0.0000033333333333333333"},
      {0x43143ff3c1cb0959, "1424953923781206.2"},
  };
  for (const Row& row : rows) {
    double d = std::bit_cast<double>(row.bits);
    EXPECT_EQ(number_text(d), row.text) << std::hex << row.bits;
  }
}

// RFC 8785 Appendix B's NaN and Infinity rows are errors: the parser refuses
// every spelling that would produce them.
TEST(Jcs, ParserRefusesWhatWouldBeInfinity) {
  EXPECT_FALSE(json::parse("1e400").ok());
  EXPECT_FALSE(json::parse("-1e400").ok());
  EXPECT_FALSE(json::parse("NaN").ok());
  EXPECT_FALSE(json::parse("Infinity").ok());
}

// RFC 8785 §3.2.2: the example input and its canonical output.
TEST(Jcs, CanonicalizesTheRfc8785Example) {
  const char* input = R"({
    "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
    "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
    "literals": [null, true, false]
  })";
  EXPECT_EQ(canonical(input),
            "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
            "\"string\":\"\xE2\x82\xAC$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
}

// RFC 8785 §3.2.3: the sorting example, ordered by UTF-16 code units.
TEST(Jcs, SortsMembersByUtf16CodeUnitsAsRfc8785Shows) {
  const char* input = R"({
    "\u20ac": "Euro Sign",
    "\r": "Carriage Return",
    "\ufb33": "Hebrew Letter Dalet With Dagesh",
    "1": "One",
    "\ud83d\ude00": "Emoji: Grinning Face",
    "\u0080": "Control",
    "\u00f6": "Latin Small Letter O With Diaeresis"
  })";
  EXPECT_EQ(canonical(input),
            "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xC2\x80\":\"Control\","
            "\"\xC3\xB6\":\"Latin Small Letter O With Diaeresis\",\"\xE2\x82\xAC\":\"Euro Sign\","
            "\"\xF0\x9F\x98\x80\":\"Emoji: Grinning Face\","
            "\"\xEF\xAC\xB3\":\"Hebrew Letter Dalet With Dagesh\"}");
}

TEST(Jcs, EscapesOnlyWhatRfc8785Escapes) {
  EXPECT_EQ(canonical(R"("\u0001\u001f\b\f\n\r\t\"\\\/\u007f\u2028")"),
            "\"\\u0001\\u001f\\b\\f\\n\\r\\t\\\"\\\\/\x7F\xE2\x80\xA8\"");
}

// The string writer scans eight bytes at a time: every byte that needs an
// escape must be found wherever it falls in a word, and bytes of 0x80 and
// above (UTF-8) must never be taken for one.
TEST(Jcs, EscapesEveryByteThatNeedsItAtEveryPositionOfAWord) {
  auto escaped_bytewise = [](std::string_view s) {
    std::string out = "\"";
    for (unsigned char c : s) {
      if (c == '"') out += "\\\"";
      else if (c == '\\') out += "\\\\";
      else if (c == '\n') out += "\\n";
      else if (c == '\b') out += "\\b";
      else if (c == '\f') out += "\\f";
      else if (c == '\r') out += "\\r";
      else if (c == '\t') out += "\\t";
      else if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      } else {
        out += static_cast<char>(c);
      }
    }
    return out + "\"";
  };
  const std::string specials = std::string("\"\\\x00\x01\x1f\n\t", 7);
  const std::string plain = "ab\x7f \xc3\xa9~!";  // includes 0x7f and a UTF-8 pair, neither escaped
  for (std::size_t length = 0; length <= 24; ++length) {
    for (std::size_t at = 0; at < std::max<std::size_t>(length, 1); ++at) {
      for (char special : specials) {
        std::string s;
        for (std::size_t i = 0; i < length; ++i) s += plain[i % plain.size()];
        if (length > 0) s[at] = special;
        std::string out;
        jcs::append_string(s, out);
        ASSERT_EQ(out, escaped_bytewise(s)) << "length " << length << ", special at " << at;
      }
    }
  }
}

TEST(Jcs, WritesSpecExamplesOfNumbers) {
  EXPECT_EQ(canonical("[1.0, 1e-6, 1e21, -0, -0.0, 1E21, 0.5e1, 100]"), "[1,0.000001,1e+21,0,0,1e+21,5,100]");
}

// Property: canonical text parses back to the same value and canonicalizes to
// itself, for random doubles across the whole range. The one exception is the
// spec's: an integral double in [2^53, 1e21) is written as an integer literal
// beyond 2^53-1, which the strict parser refuses (and the signer never emits).
TEST(Jcs, NumberTextRoundTripsForRandomDoubles) {
  std::mt19937_64 rng(20261122);
  int unsafe_integers = 0;
  for (int i = 0; i < 200000; ++i) {
    double d = std::bit_cast<double>(rng());
    if (!std::isfinite(d)) continue;
    std::string text = number_text(d);
    auto back = json::parse(text);
    double a = std::fabs(d);
    if (a >= 9007199254740992.0 && a < 1e21) {
      EXPECT_FALSE(back.ok()) << text;
      EXPECT_EQ(text.find_first_of(".e"), std::string::npos) << text;
      ++unsafe_integers;
      continue;
    }
    ASSERT_TRUE(back.ok()) << text;
    if (d == 0) {
      EXPECT_EQ(back->as_number(), 0.0);
    } else {
      EXPECT_EQ(std::bit_cast<std::uint64_t>(back->as_number()), std::bit_cast<std::uint64_t>(d)) << text;
    }
    EXPECT_EQ(number_text(back->as_number()), text);
  }
  EXPECT_GT(unsafe_integers, 0);  // the generator does reach that range
}

// Property: member order in the input never changes the canonical text.
TEST(Jcs, MemberOrderDoesNotChangeCanonicalText) {
  std::mt19937 rng(7);
  const std::vector<std::string> names = {"a", "b", "aa", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\xEF\xAC\xB3",
                                          "Z", "_", "10", "1", "\xC3\xB6"};
  json::Value reference = json::Value::object();
  for (std::size_t i = 0; i < names.size(); ++i) reference.set(names[i], json::Value::number(double(i)));
  const std::string expected = jcs::canonicalize(reference);
  for (int round = 0; round < 200; ++round) {
    std::vector<std::string> shuffled = names;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    json::Value v = json::Value::object();
    for (const std::string& n : shuffled) {
      auto pos = std::find(names.begin(), names.end(), n) - names.begin();
      v.set(n, json::Value::number(double(pos)));
    }
    EXPECT_EQ(jcs::canonicalize(v), expected);
  }
}

TEST(Jcs, Utf16OrderPutsSupplementaryCharactersBeforeHighBmp) {
  EXPECT_TRUE(jcs::utf16_less("\xF0\x9F\x98\x80", "\xEF\xAC\xB3"));   // U+1F600 < U+FB33
  EXPECT_FALSE(jcs::utf16_less("\xEF\xAC\xB3", "\xF0\x9F\x98\x80"));
  EXPECT_TRUE(jcs::utf16_less("\xE2\x82\xAC", "\xF0\x9F\x98\x80"));   // U+20AC < U+1F600
  EXPECT_TRUE(jcs::utf16_less("a", "ab"));
  EXPECT_FALSE(jcs::utf16_less("ab", "ab"));
  EXPECT_TRUE(jcs::utf16_less("\xF0\x90\x80\x80", "\xF0\x9F\x98\x80"));  // both supplementary
}

TEST(Jcs, CanonicalizesTwiceToTheSameBytes) {
  std::string once = canonical(R"({"b":[1.50,{"y":null,"x":"\u00e9"}],"a":-0.0})");
  EXPECT_EQ(once, R"({"a":0,"b":[1.5,{"x":"é","y":null}]})");
  EXPECT_EQ(canonical(once), once);
}

}  // namespace
}  // namespace bwoc
