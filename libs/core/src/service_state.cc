#include "bwoc/core/service_state.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <string>

#include "bwoc/core/files.h"

namespace bwoc::service {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxStateBytes = 64 * 1024;
// More state files than any workspace runs services: a bound on what a
// reader takes in from a folder others may write.
constexpr std::size_t kMaxStateFiles = 256;

std::optional<std::string> string_member(const json::Value& doc, const char* name) {
  const json::Value* v = doc.find(name);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return v->as_string();
}

UnixMillis time_member(const json::Value& doc, const char* name) {
  auto text = string_member(doc, name);
  if (!text) return 0;
  auto t = parse_timestamp(*text);
  return t.ok() ? *t : 0;
}

}  // namespace

std::string_view liveness_name(Liveness liveness) {
  switch (liveness) {
    case Liveness::running:
      return "running";
    case Liveness::gone:
      return "not running";
    case Liveness::elsewhere:
      return "on another machine";
  }
  return "?";
}

fs::path state_file(const Workspace& ws, std::string_view kind, std::string_view agent) {
  std::string name = std::string(kind) + "-" + (agent == "*" ? std::string("all") : std::string(agent)) + ".json";
  return ws.state_dir() / "services" / name;
}

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "";
  return name;
}

std::uint64_t process_start_ticks(pid_t pid) {
  auto text = read_file_bounded("/proc/" + std::to_string(pid) + "/stat", 4096);
  if (!text.ok()) return 0;
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so
  // the fields are counted from the last ')'. starttime is field 22, the
  // 20th after it.
  std::size_t close = text->rfind(')');
  if (close == std::string::npos) return 0;
  std::size_t pos = close + 1;
  for (int field = 0; field < 19; ++field) {
    pos = text->find(' ', pos + 1);
    if (pos == std::string::npos) return 0;
  }
  return std::strtoull(text->c_str() + pos + 1, nullptr, 10);
}

bool process_alive(std::int64_t pid, std::uint64_t process_start) {
  if (pid <= 0 || pid > 0x3fffffff) return false;
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM) return false;
  if (process_start == 0) return true;
  std::uint64_t now = process_start_ticks(static_cast<pid_t>(pid));
  // Without /proc there is nothing more to compare: take the pid's word.
  return now == 0 || now == process_start;
}

void describe_this_process(ServiceState& state) {
  state.pid = ::getpid();
  state.host = host_name();
  state.process_start = process_start_ticks(::getpid());
}

json::Value state_json(const ServiceState& s) {
  json::Value stats = json::Value::object();
  for (const auto& [name, value] : s.stats) stats.set(name, value);
  json::Value doc = json::Value::object({{"kind", s.kind},
                                         {"agent", s.agent},
                                         {"endpoint", s.endpoint},
                                         {"status", s.status},
                                         {"state", s.state},
                                         {"pid", s.pid},
                                         {"host", s.host},
                                         {"process_start", static_cast<double>(s.process_start)},
                                         {"started", format_timestamp(s.started)},
                                         {"updated", format_timestamp(s.updated)},
                                         {"stats", std::move(stats)}});
  if (s.last_error) doc.set("last_error", *s.last_error);
  if (s.last_error_at) doc.set("last_error_at", format_timestamp(*s.last_error_at));
  return doc;
}

Result<ServiceState> state_from_json(const json::Value& doc) {
  if (!doc.is_object()) return Error(Errc::corrupt, "a service state is a JSON object");
  ServiceState s;
  auto kind = string_member(doc, "kind");
  auto agent = string_member(doc, "agent");
  const json::Value* pid = doc.find("pid");
  if (!kind || !agent || pid == nullptr || !pid->is_safe_integer()) {
    return Error(Errc::corrupt, "a service state names its kind, agent and pid");
  }
  s.kind = *kind;
  s.agent = *agent;
  s.pid = static_cast<std::int64_t>(pid->as_number());
  s.endpoint = string_member(doc, "endpoint").value_or("");
  s.status = string_member(doc, "status").value_or("");
  s.state = string_member(doc, "state").value_or("");
  s.host = string_member(doc, "host").value_or("");
  if (const json::Value* start = doc.find("process_start"); start != nullptr && start->is_safe_integer()) {
    s.process_start = static_cast<std::uint64_t>(std::max(0.0, start->as_number()));
  }
  s.started = time_member(doc, "started");
  s.updated = time_member(doc, "updated");
  s.last_error = string_member(doc, "last_error");
  if (UnixMillis at = time_member(doc, "last_error_at"); at != 0) s.last_error_at = at;
  if (const json::Value* stats = doc.find("stats"); stats != nullptr && stats->is_object()) {
    for (const json::Member& m : stats->members()) {
      if (m.value.is_string()) s.stats.emplace_back(m.name, m.value.as_string());
    }
  }
  return s;
}

Status write_state(const Workspace& ws, const ServiceState& state) {
  fs::path file = state_file(ws, state.kind, state.agent);
  BWOC_RETURN_IF_ERROR(ensure_directory(file.parent_path(), 0700));
  return write_file_atomic(file, json::write(state_json(state)) + "\n", 0600);
}

Result<std::vector<ServiceRecord>> read_states(const Workspace& ws) {
  std::vector<ServiceRecord> out;
  fs::path dir = ws.state_dir() / "services";
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  const std::string here = host_name();
  std::size_t seen = 0;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end && seen < kMaxStateFiles; it.increment(ec)) {
    const fs::path& file = it->path();
    if (file.extension() != ".json" || !it->is_regular_file(ec)) continue;
    ++seen;
    auto text = read_file_bounded(file, kMaxStateBytes);
    if (!text.ok()) continue;
    auto doc = json::parse(*text, json::ParseLimits{kMaxStateBytes, 8});
    if (!doc.ok()) continue;
    auto state = state_from_json(*doc);
    if (!state.ok()) continue;
    ServiceRecord record;
    record.state = std::move(state).value();
    record.file = file;
    if (!record.state.host.empty() && !here.empty() && record.state.host != here) {
      record.liveness = Liveness::elsewhere;
    } else {
      record.liveness =
          process_alive(record.state.pid, record.state.process_start) ? Liveness::running : Liveness::gone;
    }
    out.push_back(std::move(record));
  }
  if (ec) return os_error("cannot read", dir, ec.value());
  std::sort(out.begin(), out.end(), [](const ServiceRecord& a, const ServiceRecord& b) {
    if (a.state.started != b.state.started) return a.state.started < b.state.started;
    return a.file < b.file;
  });
  return out;
}

}  // namespace bwoc::service
