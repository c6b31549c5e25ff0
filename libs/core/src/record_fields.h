// The members of a record bwoc wrote itself (the request outbox, the
// ledger, the push outbox): one missing or of another type reads as empty
// or zero, which every fold treats as "not said".
#ifndef BWOC_CORE_RECORD_FIELDS_H_
#define BWOC_CORE_RECORD_FIELDS_H_

#include <string>
#include <string_view>

#include "bwoc/core/json.h"
#include "bwoc/core/timestamp.h"

namespace bwoc::records {

inline std::string string_of(const json::Value& record, std::string_view name) {
  const json::Value* v = record.find(name);
  return v != nullptr && v->is_string() ? v->as_string() : std::string();
}

inline double number_of(const json::Value& record, std::string_view name) {
  const json::Value* v = record.find(name);
  return v != nullptr && v->is_number() ? v->as_number() : 0;
}

inline UnixMillis millis_of(const json::Value& record, std::string_view name) {
  return static_cast<UnixMillis>(number_of(record, name));
}

}  // namespace bwoc::records

#endif  // BWOC_CORE_RECORD_FIELDS_H_
