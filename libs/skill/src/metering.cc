#include "bwoc/skill/metering.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <map>

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

Result<StatsReport> call_stats(const Workspace& ws, std::size_t max_records) {
  StatsReport report;
  std::filesystem::path file = calls_file(ws);
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return report;
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
  std::map<std::string, std::pair<std::vector<double>, std::uint64_t>> skills, peers;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) break;
    auto line = json::parse(std::string_view(text).substr(pos, end - pos));
    pos = end + 1;
    if (!line.ok() || !line->is_object()) continue;
    auto field = [&](const char* name) {
      const json::Value* v = line->find(name);
      return v && v->is_string() ? v->as_string() : std::string();
    };
    const json::Value* ms = line->find("ms");
    double t = ms && ms->is_number() ? ms->as_number() : 0;
    bool error = field("outcome") != "ok";
    std::string side = field("side");
    auto& s = skills[side + ":" + field("skill")];
    s.first.push_back(t);
    s.second += error;
    auto& p = peers[side + ":" + field("peer")];
    p.first.push_back(t);
    p.second += error;
    ++report.records;
  }
  report.by_skill = summarize(skills);
  report.by_peer = summarize(peers);
  return report;
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
