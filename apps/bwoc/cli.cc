#include "cli.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "bwoc/core/envelope.h"
#include "bwoc/core/export.h"
#include "bwoc/core/files.h"
#include "bwoc/core/log.h"
#include "bwoc/core/terminal_text.h"
#include "bwoc/core/timestamp.h"

namespace bwoc::cli {

Result<Workspace> Context::open_workspace() const {
  std::optional<std::filesystem::path> root;
  if (workspace) root = *workspace;
  return Workspace::locate(root);
}

int exit_code_for(Errc code) {
  switch (code) {
    case Errc::invalid_argument:
    case Errc::not_found:
      return 2;
    default:
      return 1;
  }
}

int fail(const Context& ctx, const Error& error) {
  // Messages quote what peers sent (answers, names, details): shown safely.
  std::cerr << "bwoc " << ctx.command << ": " << terminal_safe(error.message()) << "\n";
  return exit_code_for(error.code());
}

void only_problems_in_the_log() {
  if (std::getenv("BWOC_LOG_LEVEL") == nullptr) log::set_min_level(log::Level::warning);
}

int usage(const Context& ctx, const std::string& message) {
  std::cerr << "bwoc " << ctx.command << ": " << terminal_safe(message) << " (see `bwoc " << ctx.command << " --help`)\n";
  return 2;
}

namespace {

// Display width of UTF-8 text, counting each code point as one column.
std::size_t display_width(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace

void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& raw_rows) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& raw : raw_rows) {
    std::vector<std::string>& row = rows.emplace_back();
    for (const std::string& cell : raw) row.push_back(terminal_safe(cell));
  }
  std::vector<std::size_t> width(header.size(), 0);
  for (std::size_t i = 0; i < header.size(); ++i) width[i] = display_width(header[i]);
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size() && i < width.size(); ++i) width[i] = std::max(width[i], display_width(row[i]));
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(width[i] - display_width(row[i]) + 2, ' ');
    }
    std::cout << line << "\n";
  };
  print_row(header);
  for (const auto& row : rows) print_row(row);
}

void print_json(const json::Value& value) { std::cout << terminal_safe_json(json::write_pretty(value)) << "\n"; }

void print_document(std::string_view text) {
  if (::isatty(STDOUT_FILENO) == 1) {
    std::cout << terminal_safe(text, TextLayout::multi_line);
  } else {
    std::cout << text;
  }
}

std::string summarize(const json::Value& value, std::size_t width) {
  std::string text = json::write(value);
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  if (display_width(text) <= width) return text;
  std::string out;
  std::size_t n = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) != 0x80 && ++n > width - 1) break;
    out += text[i];
  }
  return out + "\xE2\x80\xA6";  // …
}

Result<json::Value> read_payload(const std::optional<std::string>& inline_json, const std::optional<std::string>& file) {
  if (inline_json && file) return Error(Errc::invalid_argument, "give --payload or --payload-file, not both");
  std::string text;
  if (inline_json) {
    text = *inline_json;
  } else if (file && *file == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    text = ss.str();
  } else if (file) {
    BWOC_ASSIGN_OR_RETURN(text, read_file_bounded(*file, kMaxEnvelopeBytes));
  } else {
    return json::Value::object();
  }
  auto v = json::parse(text, json::ParseLimits{kMaxEnvelopeBytes, kMaxEnvelopeDepth - 1});
  if (!v.ok()) return v.error().context("the payload");
  return v;
}

std::string agent_name(std::string arg) {
  while (!arg.empty() && arg.back() == '/') arg.pop_back();
  if (arg.rfind("agents/", 0) == 0) arg = arg.substr(7);
  return arg;
}

Result<std::chrono::milliseconds> millis(const std::string& text, const char* option) {
  auto ms = parse_duration(text);
  if (!ms.ok()) return ms.error().context(option);
  return std::chrono::milliseconds(*ms);
}

}  // namespace bwoc::cli
