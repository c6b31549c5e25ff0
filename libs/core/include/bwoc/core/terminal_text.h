// Text that came from a peer, made safe to show on a terminal.
//
// A peer writes its task titles, document names and texts, skill
// descriptions, answers and error details. Printed as they are, its escape
// sequences could move the cursor, rewrite lines already shown, retitle the
// window or reach the clipboard, and bidirectional overrides could make text
// read otherwise than it is. Every printing path of bwoc that shows such text
// passes it through one of these functions, which show each such character
// as a visible escape and leave all other text, UTF-8 included, as it is.
//
// Escaped: C0 controls (U+0000-U+001F), DEL, C1 controls (U+0080-U+009F),
// the bidirectional controls (U+061C, U+200E, U+200F, U+202A-U+202E,
// U+2066-U+2069), the line and paragraph separators (U+2028, U+2029), and
// every byte that is not part of valid UTF-8. A byte is shown as \xNN, a code
// point as \u{NNNN}, and a tab and a line feed of one-line text as \t and \n.
#ifndef BWOC_CORE_TERMINAL_TEXT_H_
#define BWOC_CORE_TERMINAL_TEXT_H_

#include <string>
#include <string_view>

namespace bwoc {

enum class TextLayout {
  one_line,    // a field in a line or a table cell: every control is escaped
  multi_line,  // a document: line feeds and tabs are kept, and a CR just before a LF
};

std::string terminal_safe(std::string_view text, TextLayout layout = TextLayout::one_line);

// JSON text as json::write_pretty() writes it (controls below U+0020
// already escaped) with the other characters above written as \uXXXX
// escapes: the same JSON value, safe on a terminal. Bytes that are not UTF-8
// become U+FFFD.
std::string terminal_safe_json(std::string_view json_text);

// One word of a command the user is told to run, as a POSIX shell reads it
// back: left as it is when it holds only characters no shell treats
// specially, otherwise single-quoted. Nothing in it runs when pasted (a
// peer's broker, a folder with a space or a `$(...)` in its name).
std::string shell_word(std::string_view word);

}  // namespace bwoc

#endif  // BWOC_CORE_TERMINAL_TEXT_H_
