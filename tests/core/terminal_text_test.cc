#include "bwoc/core/terminal_text.h"

#include <gtest/gtest.h>

#include "bwoc/core/json.h"

namespace bwoc {
namespace {

TEST(TerminalText, LeavesOrdinaryTextAndUtf8AsTheyAre) {
  EXPECT_EQ(terminal_safe("Review the fix, caf\xC3\xA9 \xF0\x9F\x98\x80 \xE4\xB8\xAD"),
            "Review the fix, caf\xC3\xA9 \xF0\x9F\x98\x80 \xE4\xB8\xAD");
  EXPECT_EQ(terminal_safe(""), "");
}

TEST(TerminalText, EscapesEverySequenceATerminalWouldAct) {
  EXPECT_EQ(terminal_safe("\x1b]0;title\x07"), "\\x1b]0;title\\x07");
  EXPECT_EQ(terminal_safe("a\x1b[2Jb"), "a\\x1b[2Jb");
  EXPECT_EQ(terminal_safe(std::string("nul\0end", 7)), "nul\\x00end");
  EXPECT_EQ(terminal_safe("del\x7f"), "del\\x7f");
  EXPECT_EQ(terminal_safe("line\nbreak\ttab\rcr"), "line\\nbreak\\ttab\\x0dcr");
  EXPECT_EQ(terminal_safe("c1 \xC2\x9B" "31m \xC2\x85"), "c1 \\u{009b}31m \\u{0085}");
  EXPECT_EQ(terminal_safe("\xE2\x80\xAEgpj.exe"), "\\u{202e}gpj.exe");
  for (const char* bidi : {"\xD8\x9C", "\xE2\x80\x8E", "\xE2\x80\x8F", "\xE2\x80\xAA", "\xE2\x80\xAD", "\xE2\x81\xA6",
                           "\xE2\x81\xA9", "\xE2\x80\xA8", "\xE2\x80\xA9"}) {
    EXPECT_EQ(terminal_safe(bidi).rfind("\\u{", 0), 0u) << terminal_safe(bidi, TextLayout::one_line);
  }
}

TEST(TerminalText, ShowsBytesThatAreNotUtf8) {
  EXPECT_EQ(terminal_safe("\x9b" "31m"), "\\x9b31m");              // a lone 8-bit CSI
  EXPECT_EQ(terminal_safe("\xC0\x9B"), "\\xc0\\x9b");             // an overlong ESC
  EXPECT_EQ(terminal_safe("\xED\xA0\x80"), "\\xed\\xa0\\x80");    // a surrogate
  EXPECT_EQ(terminal_safe("\xF4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
  EXPECT_EQ(terminal_safe("cut \xE2\x80"), "cut \\xe2\\x80");
}

TEST(TerminalText, KeepsTheLinesOfADocument) {
  EXPECT_EQ(terminal_safe("# Title\r\n\tbody\n\x1b[1mbold\r", TextLayout::multi_line),
            "# Title\r\n\tbody\n\\x1b[1mbold\\x0d");
}

TEST(TerminalText, JsonKeepsItsValueAndLosesItsControls) {
  json::Value v = json::Value::object();
  v.set("t", std::string("\x1b[2J \xC2\x9B \xE2\x80\xAE \x7f caf\xC3\xA9"));
  std::string safe = terminal_safe_json(json::write_pretty(v));
  EXPECT_EQ(safe.find('\x1b'), std::string::npos);
  EXPECT_EQ(safe.find("\xC2\x9B"), std::string::npos);
  EXPECT_EQ(safe.find("\xE2\x80\xAE"), std::string::npos);
  EXPECT_EQ(safe.find('\x7f'), std::string::npos);
  EXPECT_NE(safe.find("\\u202e"), std::string::npos);
  auto back = json::parse(safe);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(json::write(*back), json::write(v));
}

TEST(ShellWord, LeavesPlainWordsAndQuotesTheRest) {
  EXPECT_EQ(shell_word("/tmp/bwoc-demo.1/alpha"), "/tmp/bwoc-demo.1/alpha");
  EXPECT_EQ(shell_word("mqtts://broker.example:8883"), "mqtts://broker.example:8883");
  EXPECT_EQ(shell_word("/tmp/a b"), "'/tmp/a b'");
  EXPECT_EQ(shell_word("$(touch x)"), "'$(touch x)'");
  EXPECT_EQ(shell_word("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_word(""), "''");
}

}  // namespace
}  // namespace bwoc
