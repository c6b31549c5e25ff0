// The two lexical pieces of JSON text that bwoc writes everywhere: string
// literals escaped as RFC 8785 §3.2.2.2 says, and numbers spelled as
// ECMAScript's Number::toString spells them.
//
// They sit below json.h (json::write) and jcs.h (canonical form), which both
// write JSON text, so that neither depends on the other.
#ifndef BWOC_CORE_JSON_TEXT_H_
#define BWOC_CORE_JSON_TEXT_H_

#include <string>
#include <string_view>

namespace bwoc::json_text {

// ECMAScript Number::toString for a finite double ("-0" is written "0");
// "null" for a value that is not finite (what JSON.stringify writes).
void append_number(double value, std::string& out);

// A JSON string literal, quotes included, escaped as RFC 8785 requires.
// `utf8` must be valid UTF-8 (the parser guarantees it for parsed values).
void append_string(std::string_view utf8, std::string& out);

}  // namespace bwoc::json_text

#endif  // BWOC_CORE_JSON_TEXT_H_
