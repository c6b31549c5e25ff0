#include "toml_file.h"

#include <cstdio>

#include "bwoc/core/files.h"

namespace bwoc {

Result<toml::table> parse_toml_text(std::string_view text, const std::filesystem::path& file) {
  try {
    return toml::parse(text, file.string());
  } catch (const toml::parse_error& e) {
    return Error(Errc::invalid_argument, file.string() + ":" + std::to_string(e.source().begin.line) + ": " +
                                             std::string(e.description()));
  }
}

Result<toml::table> parse_toml_file(const std::filesystem::path& file) {
  BWOC_ASSIGN_OR_RETURN(std::string text, read_file_bounded(file, kMaxConfigBytes));
  return parse_toml_text(text, file);
}

Error config_error(const std::filesystem::path& file, const toml::source_region& where, std::string_view message) {
  return Error(Errc::invalid_argument, file.string() + ":" + std::to_string(where.begin.line) + ": " + std::string(message));
}

Error config_error(const std::filesystem::path& file, const toml::node* node, std::string_view message) {
  toml::source_region where{};
  if (node != nullptr) where = node->source();
  return config_error(file, where, message);
}

std::string toml_quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"') {
      out += "\\\"";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

}  // namespace bwoc
