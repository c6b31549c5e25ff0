// JSON Schema draft 7, checked with valijson (Debian's libvalijson-dev).
//
// A caller's input is validated against a schema the skill's owner wrote, so
// the validator must stay bounded whatever the input:
//   - every keyword costs at most about linear time in the size of the value
//     it checks (docs/SKILLS.md lists how: RE2 for `pattern`, hashed keys for
//     `uniqueItems`, literals compared only to values no larger, ...);
//   - each validation has a budget (ValidationLimits): counted work, CPU time
//     and nesting. What runs over it is refused like any other invalid input
//     ("input: too costly to validate") and logged locally
//     (schema.too_costly), so nesting allOf/anyOf/oneOf/not or recursing
//     through $ref cannot multiply the work without end;
//   - what cannot be bounded is refused when the schema is loaded:
//     `patternProperties` (valijson would run std::regex), patterns RE2
//     cannot compile, `$ref`s that leave the document or loop back to the
//     same value without descending into it, and `multipleOf` that is not a
//     positive number.
#ifndef BWOC_SKILL_SCHEMA_H_
#define BWOC_SKILL_SCHEMA_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "bwoc/core/json.h"
#include "bwoc/core/result.h"

namespace bwoc::skill {

struct ValidationLimits {
  // Units of about one subschema applied to one value (tens of nanoseconds):
  // a 1 MiB input checked by a plain schema needs a few million.
  std::uint64_t max_work = 32'000'000;
  // CPU time of the validating thread.
  std::chrono::milliseconds max_cpu{1'000};
  // Subschemas applied one inside another ($ref recursion, combinators).
  int max_depth = 256;
};

class Schema {
 public:
  // Errors are Errc::invalid_argument and say what in the schema is wrong.
  static Result<Schema> compile(const json::Value& document);

  // Ok, or Errc::invalid_argument naming where the instance fails (a JSON
  // path into the instance, and the rule) — safe to show to whoever sent it.
  // `work`, when given, receives the work counted to reach the verdict.
  Status validate(const json::Value& instance, const ValidationLimits& limits = {},
                  std::uint64_t* work = nullptr) const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace bwoc::skill

#endif  // BWOC_SKILL_SCHEMA_H_
