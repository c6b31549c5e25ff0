// The JSON shapes of A2A objects in each protocol generation, written
// straight to text (on the hot path, no document is built).
//
// A2A 0.3 tags objects with "kind" ("task", "message", "data") and writes
// states in lowercase ("completed"); A2A 1.0 uses the protobuf JSON mapping:
// no kinds, oneof members ({"task": …}), states as "TASK_STATE_COMPLETED".
#ifndef BWOC_A2A_SRC_SHAPES_H_
#define BWOC_A2A_SRC_SHAPES_H_

#include <optional>
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
  std::string receipt;  // the receipt envelope's JSON text; empty when there is none
};

std::string task_json(Generation g, const TaskView& task);
// The answer to a message that was not delivered: says only that.
std::string not_accepted_message(Generation g, const std::string& context_id);
// A SendMessage result: the task or message itself (0.3), or wrapped (1.0).
std::string send_result(Generation g, const std::string& task_or_message, bool is_task);
// The events of a streamed task that completed at once.
std::vector<std::string> stream_events(Generation g, const TaskView& task);
// One event of a streamed task, each a stream response of its generation:
// the task itself (the first event of a stream), its status now (`final`
// when the stream ends with it), and its artifact (the signed answer).
std::string task_event(Generation g, const TaskView& task);
std::string status_event(Generation g, const TaskView& task, bool final);
std::string artifact_event(Generation g, const TaskView& task);
// ListTasks (1.0 only).
std::string list_result(const std::vector<std::string>& tasks, const std::string& next_page_token,
                        std::size_t page_size, std::size_t total);

// Finds {"bwoc.envelope": …} among a message's or artifact's parts, in
// either generation: the envelope's value (a JSON string holds its text).
const json::Value* envelope_in_parts(const json::Value& holder);

}  // namespace bwoc::a2a

#endif  // BWOC_A2A_SRC_SHAPES_H_
