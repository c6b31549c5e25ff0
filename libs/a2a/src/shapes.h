// The JSON shapes of A2A objects in each protocol generation.
//
// A2A 0.3 tags objects with "kind" ("task", "message", "data") and writes
// states in lowercase ("completed"); A2A 1.0 uses the protobuf JSON mapping:
// no kinds, oneof members ({"task": …}), states as "TASK_STATE_COMPLETED".
#ifndef BWOC_A2A_SRC_SHAPES_H_
#define BWOC_A2A_SRC_SHAPES_H_

#include <string>
#include <vector>

#include "bwoc/core/json.h"
#include "jsonrpc.h"

namespace bwoc::a2a {

inline constexpr std::string_view kEnvelopePartKey = "bwoc.envelope";

struct TaskView {
  std::string id;
  std::string context_id;
  std::string state = "completed";  // in 0.3 spelling
  std::string timestamp;
  std::string request_id;
  json::Value receipt;  // null when there is none
};

json::Value task_json(Generation g, const TaskView& task);
// The answer to a message that was not delivered: says only that.
json::Value not_accepted_message(Generation g, const std::string& context_id);
// A SendMessage result: the task or message itself (0.3), or wrapped (1.0).
json::Value send_result(Generation g, json::Value task_or_message, bool is_task);
// The events of a streamed task that completed at once.
std::vector<json::Value> stream_events(Generation g, const TaskView& task);
// ListTasks (1.0 only).
json::Value list_result(const std::vector<json::Value>& tasks, const std::string& next_page_token,
                        std::size_t page_size, std::size_t total);

// Finds {"bwoc.envelope": …} in a message's data parts, in either generation:
// the envelope's JSON text (a JSON string is taken as the text itself).
std::optional<std::string> envelope_in_message(const json::Value& message);

}  // namespace bwoc::a2a

#endif  // BWOC_A2A_SRC_SHAPES_H_
