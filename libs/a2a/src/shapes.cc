#include "shapes.h"

#include "bwoc/core/jcs.h"
#include "bwoc/core/keys.h"

namespace bwoc::a2a {

namespace {

void str(std::string& out, std::string_view s) { jcs::append_string(s, out); }

void state(std::string& out, Generation g, const std::string& s) {
  if (g == Generation::v03) return str(out, s);
  std::string upper = "TASK_STATE_";
  for (char c : s) upper += c == '-' ? '_' : static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
  str(out, upper);
}

void status(std::string& out, Generation g, const std::string& s, const std::string& timestamp) {
  out += "{\"state\":";
  state(out, g, s);
  if (!timestamp.empty()) {
    out += ",\"timestamp\":";
    str(out, timestamp);
  }
  out += '}';
}

void receipt_artifact(std::string& out, Generation g, const std::string& receipt) {
  out += "{\"artifactId\":\"bwoc-receipt\",\"name\":\"bwoc receipt\",\"description\":"
         "\"The node's signed receipt: the envelope is in the agent's inbox, on disk.\",\"parts\":[{";
  if (g == Generation::v03) out += "\"kind\":\"data\",";
  out += "\"data\":{\"bwoc.envelope\":";
  out += receipt;
  out += '}';
  if (g == Generation::v10) out += ",\"mediaType\":\"application/json\"";
  out += "}]}";
}

void task_ids(std::string& out, const TaskView& t) {
  out += "\"taskId\":";
  str(out, t.id);
  out += ",\"contextId\":";
  str(out, t.context_id);
}

}  // namespace

std::string task_json(Generation g, const TaskView& t) {
  std::string out;
  out.reserve(t.receipt.size() + 400);
  out += '{';
  if (g == Generation::v03) out += "\"kind\":\"task\",";
  out += "\"id\":";
  str(out, t.id);
  out += ",\"contextId\":";
  str(out, t.context_id);
  out += ",\"status\":";
  status(out, g, t.state, t.timestamp);
  out += ",\"artifacts\":[";
  if (!t.receipt.empty()) receipt_artifact(out, g, t.receipt);
  out += "],\"history\":[]";
  if (!t.request_id.empty()) {
    out += ",\"metadata\":{\"bwoc.request\":";
    str(out, t.request_id);
    out += '}';
  }
  out += '}';
  return out;
}

std::string not_accepted_message(Generation g, const std::string& context_id) {
  std::string out = "{";
  if (g == Generation::v03) out += "\"kind\":\"message\",";
  out += "\"messageId\":";
  str(out, random_id());
  out += ",\"contextId\":";
  str(out, context_id);
  out += g == Generation::v03 ? ",\"role\":\"agent\",\"parts\":[{\"kind\":\"text\",\"text\":\"Not accepted.\"}]}"
                              : ",\"role\":\"ROLE_AGENT\",\"parts\":[{\"text\":\"Not accepted.\"}]}";
  return out;
}

std::string send_result(Generation g, const std::string& task_or_message, bool is_task) {
  if (g == Generation::v03) return task_or_message;
  return std::string(is_task ? "{\"task\":" : "{\"message\":") + task_or_message + "}";
}

std::string task_event(Generation g, const TaskView& t) {
  return g == Generation::v03 ? task_json(g, t) : "{\"task\":" + task_json(g, t) + "}";
}

std::string status_event(Generation g, const TaskView& t, bool final) {
  std::string out = "{";
  if (g == Generation::v03) out += "\"kind\":\"status-update\",";
  task_ids(out, t);
  out += ",\"status\":";
  status(out, g, t.state, t.timestamp);
  if (g == Generation::v03) out += final ? ",\"final\":true" : ",\"final\":false";
  out += '}';
  return g == Generation::v03 ? out : "{\"statusUpdate\":" + out + "}";
}

std::string artifact_event(Generation g, const TaskView& t) {
  std::string out = "{";
  if (g == Generation::v03) out += "\"kind\":\"artifact-update\",";
  task_ids(out, t);
  out += ",\"artifact\":";
  receipt_artifact(out, g, t.receipt);
  out += ",\"lastChunk\":true}";
  return g == Generation::v03 ? out : "{\"artifactUpdate\":" + out + "}";
}

std::vector<std::string> stream_events(Generation g, const TaskView& t) {
  TaskView working = t;
  working.state = "working";
  working.receipt.clear();
  working.timestamp.clear();
  return {task_event(g, working), artifact_event(g, t), status_event(g, t, true)};
}

std::string list_result(const std::vector<std::string>& tasks, const std::string& next_page_token,
                        std::size_t page_size, std::size_t total) {
  std::string out = "{\"tasks\":[";
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    if (i) out += ',';
    out += tasks[i];
  }
  out += "],\"nextPageToken\":";
  str(out, next_page_token);
  out += ",\"pageSize\":" + std::to_string(page_size) + ",\"totalSize\":" + std::to_string(total) + "}";
  return out;
}

const json::Value* envelope_in_parts(const json::Value& holder) {
  const json::Value* parts = holder.find("parts");
  if (parts == nullptr || !parts->is_array()) return nullptr;
  for (const json::Value& part : parts->items()) {
    const json::Value* data = part.find("data");
    if (data == nullptr) continue;
    const json::Value* env = data->find(kEnvelopePartKey);
    if (env != nullptr && (env->is_object() || env->is_string())) return env;
  }
  return nullptr;
}

}  // namespace bwoc::a2a
