// RFC 8785 JSON Canonicalization Scheme (JCS), written for bwoc.
//
// Members are sorted by the UTF-16 code units of their names, nothing is
// indented, strings are escaped as RFC 8785 §3.2.2.2 says and numbers are
// written as ECMAScript's Number::toString writes them. The input is a
// json::Value, which the strict parser already limited to what JCS can
// represent, so canonicalization itself cannot fail.
#ifndef BWOC_CORE_JCS_H_
#define BWOC_CORE_JCS_H_

#include <string>
#include <string_view>

#include "bwoc/core/json.h"
#include "bwoc/core/json_text.h"

namespace bwoc::jcs {

// Appends the canonical form of `value`.
void canonicalize(const json::Value& value, std::string& out);
std::string canonicalize(const json::Value& value);

// Appends the canonical form of an object without its top-level member
// `omitted` (how an envelope is signed: everything except "sig"). Returns the
// offset in `out` where a member of that name goes in canonical order: the
// start of the first member that sorts after it, or the closing brace.
std::size_t canonicalize_without(const json::Value& object, std::string_view omitted, std::string& out);

// Numbers and strings as JCS writes them (json_text.h).
using json_text::append_number;
using json_text::append_string;

// Orders two valid UTF-8 strings by their UTF-16 code units.
bool utf16_less(std::string_view a, std::string_view b);

}  // namespace bwoc::jcs

#endif  // BWOC_CORE_JCS_H_
