// What every bwoc subcommand shares: global options, the workspace lookup,
// output in aligned columns or JSON, and one way to report an error.
//
// Exit codes: 0 ok, 1 runtime failure, 2 usage error or something not found.
// Errors are one line on stderr: "bwoc <command>: <what>: <why / what to do>".
#ifndef BWOC_APPS_BWOC_CLI_H_
#define BWOC_APPS_BWOC_CLI_H_

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bwoc/core/json.h"
#include "bwoc/core/result.h"
#include "bwoc/core/workspace.h"

namespace bwoc::cli {

struct Context {
  std::optional<std::string> workspace;  // --workspace DIR
  // The chosen subcommand's work; returns the exit code.
  std::function<int()> action;
  std::string command;  // "inbox list", for error messages

  Result<Workspace> open_workspace() const;
};

int exit_code_for(Errc code);
// Prints "bwoc <command>: <message>" and returns the exit code for it.
int fail(const Context& ctx, const Error& error);
int usage(const Context& ctx, const std::string& message);
// For a command that waits in front of the user and shows its own progress:
// the info lines of the work it does meanwhile (a copy's answer told apart
// as a replay, a retry) are for a service's log; only warnings and errors
// reach the terminal, unless BWOC_LOG_LEVEL asks for more.
void only_problems_in_the_log();

// Output that may hold what a peer wrote goes through terminal_safe()
// (bwoc/core/terminal_text.h): fail(), usage(), print_table() and
// print_json() do it for every message, cell and JSON string they print.

// Prints rows under a header, columns aligned; the last column is not padded.
void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);
// Prints --json output, indented.
void print_json(const json::Value& value);
// Prints a document's text as it is when stdout is not a terminal (a file or
// a pipe gets the exact bytes), and with its controls escaped when it is.
void print_document(std::string_view text);
// A one-line summary of a payload for tables.
std::string summarize(const json::Value& value, std::size_t width = 48);

// An agent given as "agents/NAME", "agents/NAME/" or "NAME": its NAME.
std::string agent_name(std::string arg);

// A duration option ("10s", "500ms", "2m"); errors name the option.
Result<std::chrono::milliseconds> millis(const std::string& text, const char* option);

// Reads --payload or --payload-file (FILE or - for stdin), strictly.
Result<json::Value> read_payload(const std::optional<std::string>& inline_json,
                                 const std::optional<std::string>& file);

}  // namespace bwoc::cli

#endif  // BWOC_APPS_BWOC_CLI_H_
