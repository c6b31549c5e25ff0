// JSON Schema draft 7, checked with valijson (Debian's libvalijson-dev).
//
// A caller's input is validated against a schema the skill's owner wrote, so
// the validator must stay bounded whatever the input: `pattern` is evaluated
// with RE2, which runs in time linear in the input and never recurses on it
// (valijson's default, std::regex, backtracks recursively and can be driven
// into a stack overflow), and the `format`s valijson checks with std::regex
// (date, time, date-time) are refused beyond 64 bytes before the regex runs.
// Schemas that would need an unbounded engine are refused when they are
// loaded: `patternProperties`, patterns RE2 cannot compile, and `$ref`s that
// leave the document.
#ifndef BWOC_SKILL_SCHEMA_H_
#define BWOC_SKILL_SCHEMA_H_

#include <memory>
#include <string>

#include "bwoc/core/json.h"
#include "bwoc/core/result.h"

namespace bwoc::skill {

class Schema {
 public:
  // Errors are Errc::invalid_argument and say what in the schema is wrong.
  static Result<Schema> compile(const json::Value& document);

  // Ok, or Errc::invalid_argument naming where the instance fails (a JSON
  // path into the instance, and the rule) — safe to show to whoever sent it.
  Status validate(const json::Value& instance) const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace bwoc::skill

#endif  // BWOC_SKILL_SCHEMA_H_
