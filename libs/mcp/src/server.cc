#include "bwoc/mcp/server.h"

#include "bwoc/core/log.h"
#include "calls.h"
#include "line_reader.h"
#include "session.h"

namespace bwoc::mcp {

namespace {

// What the session's calls and list use; shared with calls that may outlive serve().
struct Served {
  std::unique_ptr<Catalogue> catalogue;
  std::unique_ptr<ToolCaller> caller;
};

}  // namespace

Result<std::string> default_agent(const Workspace& ws) {
  std::vector<std::string> agents = ws.agents();
  if (agents.empty()) return Error(Errc::invalid_argument, "this workspace has no agent to speak for it: `bwoc agent add NAME`");
  return agents.front();
}

Result<ServeEnd> serve(const Workspace& ws, ServeOptions options, int in_fd, int out_fd) {
  if (options.catalogue.agent.empty()) {
    BWOC_ASSIGN_OR_RETURN(options.catalogue.agent, default_agent(ws));
  }
  if (!ws.has_agent(options.catalogue.agent)) {
    return Error(Errc::not_found, "no agent \"" + options.catalogue.agent + "\" in this workspace");
  }
  BWOC_ASSIGN_OR_RETURN(SecretKey key, ws.load_secret_key());
  auto served = std::make_shared<Served>();
  BWOC_ASSIGN_OR_RETURN(served->catalogue, Catalogue::open(ws, options.catalogue));
  served->caller = std::make_unique<ToolCaller>(ws, std::move(key), options.catalogue.agent, *served->catalogue,
                                                options.call_timeout, options.deferral);

  auto writer = std::make_shared<LineWriter>(out_fd);
  ToolList list = [served, results = static_cast<bool>(options.deferral.result)] {
    json::Value tools = json::Value::array();
    for (const Tool& t : served->catalogue->tools()) tools.push_back(tool_json(t));
    if (results) tools.push_back(result_tool_json());
    return json::Value::object({{"tools", std::move(tools)}});
  };
  ToolCall call = [served](const std::string& name, const json::Value& arguments) {
    return served->caller->call(name, arguments);
  };
  auto session = std::make_shared<Session>(writer, std::move(list), std::move(call), options);
  served->catalogue->on_change([weak = std::weak_ptr<Session>(session)] {
    if (auto s = weak.lock()) s->tools_changed();
  });
  log::info("mcp.serving", {{"agent", options.catalogue.agent}, {"workspace", ws.name()}});

  ServeEnd end;
  LineReader reader(in_fd, options.max_line_bytes);
  std::string line;
  for (bool more = true; more;) {
    switch (reader.next(line)) {
      case LineReader::Got::line:
        ++end.messages;
        session->handle_line(line);
        break;
      case LineReader::Got::too_long:
        ++end.messages;
        session->handle_too_long();
        break;
      case LineReader::Got::end:
      case LineReader::Got::error:
        more = false;
        break;
    }
  }
  end.unfinished = session->drain(options.drain);
  end.unfinished += served->catalogue->stop();
  log::info("mcp.stopped", {{"messages", std::to_string(end.messages)}, {"unfinished", std::to_string(end.unfinished)}});
  return end;
}

}  // namespace bwoc::mcp
