// bwoc service print: a hardened systemd unit for `bwoc mqtt subscribe` or
// `bwoc a2a serve`, templated per agent (the instance name is the agent), or
// for `bwoc inbox ingest --watch`, one per workspace.
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <sstream>

#include "bwoc/core/routes.h"
#include "commands.h"

namespace bwoc::cli {

namespace {

// systemd unquotes ExecStart= words and expands '%' and '$': keep paths literal.
std::string exec_word(const std::string& s) {
  std::string out;
  bool plain = !s.empty();
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || std::string_view("/._-:+@,=").find(c) != std::string_view::npos)) {
      plain = false;
    }
  }
  if (plain) return s;
  out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '%') out += '%';
    if (c == '$') out += '$';
    out += c;
  }
  return out + "\"";
}

std::string self_binary() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("/usr/local/bin/bwoc") : p.string();
}

bool under(const std::filesystem::path& p, const char* dir) {
  std::string s = p.string();
  std::string d = dir;
  return s == d || s.rfind(d + "/", 0) == 0;
}

}  // namespace

int run_service_print(Context& ctx, const ServiceOptions& o) {
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  bool mqtt = o.kind == "mqtt";
  bool ingest = o.kind == "ingest";
  std::string agent = agent_name(o.agent);
  if (!ingest && agent.empty()) return usage(ctx, "a unit for " + o.kind + " needs --agent agents/NAME");
  if (!ingest && !ws->has_agent(agent)) {
    return fail(ctx, Error(Errc::not_found, "no agent \"" + agent + "\" in this workspace"));
  }
  if (mqtt && !o.broker) return usage(ctx, "a unit for mqtt needs --broker mqtt://HOST:PORT");
  if (mqtt && url_has_user_info(*o.broker)) return fail(ctx, url_user_info_error("--broker"));
  if (o.port < 1 || o.port > 65535) return usage(ctx, "--port must be 1 to 65535");
  std::filesystem::path root = std::filesystem::absolute(ws->root()).lexically_normal();
  std::string root_text = root.string();
  while (root_text.size() > 1 && root_text.back() == '/') root_text.pop_back();
  std::string binary = o.binary ? *o.binary : self_binary();
  std::string unit = "bwoc-" + o.kind + "-" + ws->name() + (ingest ? ".service" : "@.service");

  std::ostringstream exec;
  exec << exec_word(binary) << " --workspace " << exec_word(root_text);
  if (mqtt) {
    exec << " mqtt subscribe --agent agents/%i --broker " << exec_word(*o.broker);
    if (o.ca) exec << " --ca " << exec_word(*o.ca);
    if (o.cert) exec << " --cert " << exec_word(*o.cert);
    if (o.key) exec << " --key " << exec_word(*o.key);
    if (o.credentials) exec << " --credentials %d/mqtt-credentials";
  } else if (ingest) {
    exec << " inbox ingest --watch";
  } else {
    exec << " a2a serve --agent agents/%i --bind " << exec_word(o.bind) << " --port ${BWOC_A2A_PORT}";
  }

  const char* what = mqtt ? "mqtt subscribe" : ingest ? "inbox ingest --watch" : "a2a serve";
  if (ingest) {
    std::cout << "# " << unit << ": `bwoc inbox ingest --watch` for workspace \"" << ws->name()
              << "\": delivers what path peers drop and answers their skill requests.\n"
              << "# Install and start it:\n";
  } else {
    std::cout << "# " << unit << ": `bwoc " << what << "` for one agent of workspace \"" << ws->name() << "\".\n"
              << "# The instance name is the agent. Install and start it for " << agent << ":\n";
  }
  std::cout << "#   useradd --system --home-dir " << root_text << " --shell /usr/sbin/nologin " << o.user << "\n"
            << "#   chown -R " << o.user << ": " << root_text << "\n"
            << "#   bwoc service print " << o.kind << (ingest ? "" : " --agent agents/" + agent) << " ... > /etc/systemd/system/"
            << unit << "\n"
            << "#   systemctl daemon-reload && systemctl enable --now bwoc-" << o.kind << "-" << ws->name()
            << (ingest ? "" : "@" + agent) << "\n";
  if (!mqtt && !ingest) {
    std::cout << "# Each agent needs its own port: put BWOC_A2A_PORT=... in /etc/bwoc/" << ws->name()
              << "-AGENT.env for the others.\n";
  }
  std::cout << "\n[Unit]\n"
            << "Description=bwoc "
            << (ingest ? std::string("ingest (path peers) of workspace ")
                       : std::string(mqtt ? "MQTT subscriber" : "A2A server") + " for agent %i of workspace ")
            << ws->name() << "\n"
            << "After=network-online.target\nWants=network-online.target\n"
            << "StartLimitIntervalSec=60\nStartLimitBurst=5\n\n"
            << "[Service]\n"
            << "Type=notify\nNotifyAccess=main\n";
  if (!mqtt && !ingest) {
    std::cout << "Environment=BWOC_A2A_PORT=" << o.port << "\n"
              << "EnvironmentFile=-/etc/bwoc/" << ws->name() << "-%i.env\n";
  }
  std::cout << "ExecStart=" << exec.str() << "\n";
  if (mqtt && o.credentials) {
    // systemd hands the file over read-only in $CREDENTIALS_DIRECTORY; the
    // password never appears in the unit, argv or the environment.
    std::cout << "LoadCredential=mqtt-credentials:" << *o.credentials << "\n";
  }
  std::cout << "User=" << o.user << "\nGroup=" << o.user << "\n"
            << "Restart=on-failure\nRestartSec=2s\n"
            << "# SIGTERM stores what has arrived and answers it before exiting.\n"
            << "KillSignal=SIGTERM\nTimeoutStopSec=30s\n"
            << "SyslogIdentifier=bwoc-" << o.kind << "-" << ws->name() << (ingest ? "" : "-%i") << "\n"
            << "UMask=0077\n"
            << "LimitNOFILE=65536\n"
            << "NoNewPrivileges=yes\n"
            << "ProtectSystem=strict\n"
            << "ReadWritePaths=" << root_text << "\n"
            << "ProtectHome=" << (under(root, "/home") || under(root, "/root") || under(root, "/run/user") ? "read-only" : "yes")
            << "\n"
            << "PrivateTmp=yes\nPrivateDevices=yes\n"
            << "ProtectKernelTunables=yes\nProtectKernelModules=yes\nProtectKernelLogs=yes\n"
            << "ProtectControlGroups=yes\nProtectClock=yes\nProtectHostname=yes\nProtectProc=invisible\n"
            << "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6\n"
            << "RestrictNamespaces=yes\nRestrictRealtime=yes\nRestrictSUIDSGID=yes\n"
            << "LockPersonality=yes\nMemoryDenyWriteExecute=yes\nRemoveIPC=yes\n"
            << "CapabilityBoundingSet=\nAmbientCapabilities=\n"
            << "SystemCallArchitectures=native\n"
            << "SystemCallFilter=@system-service\n"
            << "# Skills run under Landlock; systemd 252 puts its calls in no group.\n"
            << "SystemCallFilter=landlock_create_ruleset landlock_add_rule landlock_restrict_self\n"
            << "SystemCallFilter=~@privileged @resources\n"
            << "SystemCallErrorNumber=EPERM\n\n"
            << "[Install]\nWantedBy=multi-user.target\n";
  return 0;
}

}  // namespace bwoc::cli
