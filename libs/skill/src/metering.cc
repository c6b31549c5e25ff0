#include "bwoc/skill/metering.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>
#include <string_view>

#include "bwoc/core/append_log.h"
#include "bwoc/core/files.h"

namespace bwoc::skill {

namespace {

std::filesystem::path calls_file(const Workspace& ws) { return ws.state_dir() / "skill-calls.jsonl"; }

constexpr std::size_t kBytesPerRecord = 400;  // generous: lines are about 200 bytes

double percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  std::size_t rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size(), std::max<std::size_t>(rank, 1)) - 1];
}

std::vector<CallStats> summarize(std::map<std::string, std::pair<std::vector<double>, std::uint64_t>>& groups) {
  std::vector<CallStats> out;
  for (auto& [key, group] : groups) {
    auto& [times, errors] = group;
    std::sort(times.begin(), times.end());
    out.push_back({key, times.size(), errors, percentile(times, 0.50), percentile(times, 0.95), percentile(times, 0.99)});
  }
  return out;
}

}  // namespace

Status record_call(const Workspace& ws, const CallRecord& r) {
  json::Value line = json::Value::object({{"ts", format_timestamp(r.ts)},
                                          {"side", r.side},
                                          {"peer", r.peer},
                                          {"agent", r.agent},
                                          {"skill", r.skill},
                                          {"version", r.version},
                                          {"ms", std::round(r.ms * 1000) / 1000},
                                          {"bytes_in", static_cast<double>(r.bytes_in)},
                                          {"bytes_out", static_cast<double>(r.bytes_out)},
                                          {"outcome", r.outcome}});
  BWOC_RETURN_IF_ERROR(ensure_directory(ws.state_dir(), 0700));
  return append_records(calls_file(ws), json::write(line) + "\n");
}

namespace {

// What the statistics need of one metering line.
struct CallLine {
  std::string side, peer, skill, outcome;
  double ms = 0;
};

void take_field(CallLine& out, std::string_view name, std::string value) {
  if (name == "side") out.side = std::move(value);
  if (name == "peer") out.peer = std::move(value);
  if (name == "skill") out.skill = std::move(value);
  if (name == "outcome") out.outcome = std::move(value);
}

// A line as record_call writes it: one flat object of strings without
// escapes and of numbers. Read without building a document, since a
// status or the stats read thousands of them; false for anything else.
bool scan_flat(std::string_view text, CallLine& out) {
  std::size_t i = 0;
  auto string_at = [&](std::string_view& s) {
    if (i >= text.size() || text[i] != '"') return false;
    std::size_t end = text.find('"', i + 1);
    if (end == std::string_view::npos) return false;
    s = text.substr(i + 1, end - i - 1);
    if (s.find('\\') != std::string_view::npos) return false;
    i = end + 1;
    return true;
  };
  if (text.empty() || text[i++] != '{') return false;
  for (;;) {
    std::string_view name, value;
    if (!string_at(name) || i >= text.size() || text[i++] != ':' || i >= text.size()) return false;
    if (text[i] == '"') {
      if (!string_at(value)) return false;
      take_field(out, name, std::string(value));
    } else {
      std::size_t end = text.find_first_of(",}", i);
      if (end == std::string_view::npos) return false;
      if (name == "ms") {
        std::string number(text.substr(i, end - i));
        char* stop = nullptr;
        out.ms = std::strtod(number.c_str(), &stop);
        if (stop == number.c_str() || *stop != '\0') return false;
      }
      i = end;
    }
    if (i >= text.size()) return false;
    char c = text[i++];
    if (c == '}') return i == text.size();
    if (c != ',') return false;
  }
}

// Calls `visit` for each of the newest `max_records` lines, oldest first
// (the file is read from its end, bounded).
Status visit_recent(const Workspace& ws, std::size_t max_records, const std::function<void(const CallLine&)>& visit) {
  std::filesystem::path file = calls_file(ws);
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return ok_status();
    return os_error("cannot open", file, errno);
  }
  struct stat st {};
  ::fstat(fd, &st);
  std::size_t want = std::min<std::size_t>(static_cast<std::size_t>(st.st_size), max_records * kBytesPerRecord);
  std::string text(want, '\0');
  ssize_t got = ::pread(fd, text.data(), want, st.st_size - static_cast<off_t>(want));
  ::close(fd);
  if (got < 0) return os_error("cannot read", file, errno);
  text.resize(static_cast<std::size_t>(got));
  // Starting mid-file: the first, partial line is skipped.
  std::size_t pos = want < static_cast<std::size_t>(st.st_size) ? text.find('\n') + 1 : 0;
  // The newest lines last: at most `max_records` of them are visited.
  std::vector<std::string_view> lines;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) break;
    lines.push_back(std::string_view(text).substr(pos, end - pos));
    pos = end + 1;
  }
  std::size_t first = lines.size() > max_records ? lines.size() - max_records : 0;
  for (std::size_t n = first; n < lines.size(); ++n) {
    CallLine call;
    if (!scan_flat(lines[n], call)) {
      auto doc = json::parse(lines[n]);
      if (!doc.ok() || !doc->is_object()) continue;
      call = CallLine();
      for (const json::Member& m : doc->members()) {
        if (m.value.is_string()) take_field(call, m.name, m.value.as_string());
        if (m.name == "ms" && m.value.is_number()) call.ms = m.value.as_number();
      }
    }
    visit(call);
  }
  return ok_status();
}

}  // namespace

bool is_policy_refusal(std::string_view outcome) {
  return outcome == "unknown_skill" || outcome == "invalid_input" || outcome == "version_mismatch" ||
         outcome == "not_permitted";
}

Result<StatsReport> call_stats(const Workspace& ws, std::size_t max_records) {
  StatsReport report;
  std::map<std::string, std::pair<std::vector<double>, std::uint64_t>> skills, peers;
  BWOC_RETURN_IF_ERROR(visit_recent(ws, max_records, [&](const CallLine& line) {
    bool error = line.outcome != "ok";
    auto& s = skills[line.side + ":" + line.skill];
    s.first.push_back(line.ms);
    s.second += error;
    auto& p = peers[line.side + ":" + line.peer];
    p.first.push_back(line.ms);
    p.second += error;
    ++report.records;
  }));
  report.by_skill = summarize(skills);
  report.by_peer = summarize(peers);
  return report;
}

Result<std::size_t> refused_in_a_row(const Workspace& ws, std::string_view peer) {
  std::size_t run = 0;
  BWOC_RETURN_IF_ERROR(visit_recent(ws, 1000, [&](const CallLine& line) {
    if (line.side != "caller" || line.peer != peer) return;
    const std::string& outcome = line.outcome;
    if (is_policy_refusal(outcome)) {
      ++run;
    } else if (outcome == "ok") {
      run = 0;
    }
  }));
  return run;
}

json::Value stats_json(const StatsReport& report) {
  auto rows = [](const std::vector<CallStats>& stats, const char* key_name) {
    json::Value out = json::Value::array();
    for (const CallStats& s : stats) {
      std::size_t colon = s.key.find(':');
      out.push_back(json::Value::object(
          {{"side", s.key.substr(0, colon)},
           {key_name, s.key.substr(colon + 1)},
           {"calls", static_cast<double>(s.calls)},
           {"errors", static_cast<double>(s.errors)},
           {"error_rate", s.calls ? std::round(1000.0 * static_cast<double>(s.errors) / static_cast<double>(s.calls)) / 1000 : 0.0},
           {"p50_ms", s.p50_ms},
           {"p95_ms", s.p95_ms},
           {"p99_ms", s.p99_ms}}));
    }
    return out;
  };
  return json::Value::object({{"records", static_cast<double>(report.records)},
                              {"skills", rows(report.by_skill, "skill")},
                              {"peers", rows(report.by_peer, "peer")}});
}

}  // namespace bwoc::skill
