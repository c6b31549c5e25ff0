#include "shapes.h"

#include "bwoc/core/keys.h"

namespace bwoc::a2a {

namespace {

std::string state_name(Generation g, const std::string& state) {
  if (g == Generation::v03) return state;
  std::string out = "TASK_STATE_";
  for (char c : state) out += c == '-' ? '_' : static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
  return out;
}

json::Value status(Generation g, const std::string& state, const std::string& timestamp) {
  json::Value s = json::Value::object({{"state", state_name(g, state)}});
  if (!timestamp.empty()) s.set("timestamp", timestamp);
  return s;
}

json::Value data_part(Generation g, json::Value data) {
  if (g == Generation::v03) return json::Value::object({{"kind", "data"}, {"data", std::move(data)}});
  return json::Value::object({{"data", std::move(data)}, {"mediaType", "application/json"}});
}

json::Value receipt_artifact(Generation g, const json::Value& receipt) {
  return json::Value::object(
      {{"artifactId", "bwoc-receipt"},
       {"name", "bwoc receipt"},
       {"description", "The node's signed receipt: the envelope is in the agent's inbox, on disk."},
       {"parts", json::Value::array({data_part(g, json::Value::object({{std::string(kEnvelopePartKey), receipt}}))})}});
}

}  // namespace

json::Value task_json(Generation g, const TaskView& t) {
  json::Value task = json::Value::object();
  if (g == Generation::v03) task.set("kind", "task");
  task.set("id", t.id);
  task.set("contextId", t.context_id);
  task.set("status", status(g, t.state, t.timestamp));
  json::Value artifacts = json::Value::array();
  if (!t.receipt.is_null()) artifacts.push_back(receipt_artifact(g, t.receipt));
  task.set("artifacts", std::move(artifacts));
  task.set("history", json::Value::array());
  if (!t.request_id.empty()) task.set("metadata", json::Value::object({{"bwoc.request", t.request_id}}));
  return task;
}

json::Value not_accepted_message(Generation g, const std::string& context_id) {
  json::Value text_part = g == Generation::v03 ? json::Value::object({{"kind", "text"}, {"text", "Not accepted."}})
                                               : json::Value::object({{"text", "Not accepted."}});
  json::Value m = json::Value::object();
  if (g == Generation::v03) m.set("kind", "message");
  m.set("messageId", random_id());
  m.set("contextId", context_id);
  m.set("role", g == Generation::v03 ? "agent" : "ROLE_AGENT");
  m.set("parts", json::Value::array({std::move(text_part)}));
  return m;
}

json::Value send_result(Generation g, json::Value task_or_message, bool is_task) {
  if (g == Generation::v03) return task_or_message;
  return json::Value::object({{is_task ? "task" : "message", std::move(task_or_message)}});
}

std::vector<json::Value> stream_events(Generation g, const TaskView& t) {
  std::vector<json::Value> events;
  TaskView working = t;
  working.state = "working";
  working.receipt = json::Value();
  working.timestamp.clear();
  json::Value first = task_json(g, working);
  json::Value artifact = json::Value::object();
  if (g == Generation::v03) artifact.set("kind", "artifact-update");
  artifact.set("taskId", t.id);
  artifact.set("contextId", t.context_id);
  artifact.set("artifact", receipt_artifact(g, t.receipt));
  artifact.set("lastChunk", true);
  json::Value done = json::Value::object();
  if (g == Generation::v03) done.set("kind", "status-update");
  done.set("taskId", t.id);
  done.set("contextId", t.context_id);
  done.set("status", status(g, t.state, t.timestamp));
  if (g == Generation::v03) done.set("final", true);
  if (g == Generation::v03) {
    events.push_back(std::move(first));
    events.push_back(std::move(artifact));
    events.push_back(std::move(done));
  } else {
    events.push_back(json::Value::object({{"task", std::move(first)}}));
    events.push_back(json::Value::object({{"artifactUpdate", std::move(artifact)}}));
    events.push_back(json::Value::object({{"statusUpdate", std::move(done)}}));
  }
  return events;
}

json::Value list_result(const std::vector<json::Value>& tasks, const std::string& next_page_token,
                        std::size_t page_size, std::size_t total) {
  return json::Value::object({{"tasks", json::Value::array(tasks)},
                              {"nextPageToken", next_page_token},
                              {"pageSize", page_size},
                              {"totalSize", total}});
}

std::optional<std::string> envelope_in_message(const json::Value& message) {
  const json::Value* parts = message.find("parts");
  if (parts == nullptr || !parts->is_array()) return std::nullopt;
  for (const json::Value& part : parts->items()) {
    const json::Value* data = part.find("data");
    if (data == nullptr) continue;
    const json::Value* env = data->find(kEnvelopePartKey);
    if (env == nullptr) continue;
    if (env->is_string()) return env->as_string();
    if (env->is_object()) return json::write(*env);
  }
  return std::nullopt;
}

}  // namespace bwoc::a2a
