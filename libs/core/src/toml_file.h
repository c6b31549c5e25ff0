// Reading TOML files with toml++ without letting its exceptions escape, and
// errors that name the file and line the way compilers do.
#ifndef BWOC_CORE_SRC_TOML_FILE_H_
#define BWOC_CORE_SRC_TOML_FILE_H_

#include <filesystem>
#include <string>
#include <string_view>

#include <toml++/toml.h>

#include "bwoc/core/result.h"

namespace bwoc {

// Configuration files are small; this bounds what a hostile file can cost.
inline constexpr std::size_t kMaxConfigBytes = 1 << 20;

Result<toml::table> parse_toml_file(const std::filesystem::path& file);
Result<toml::table> parse_toml_text(std::string_view text, const std::filesystem::path& file);

// "file:line: message" for a node of that file (line 0 when unknown).
Error config_error(const std::filesystem::path& file, const toml::node* node, std::string_view message);
Error config_error(const std::filesystem::path& file, const toml::source_region& where, std::string_view message);

// A TOML basic string literal, quoted and escaped.
std::string toml_quote(std::string_view text);

}  // namespace bwoc

#endif  // BWOC_CORE_SRC_TOML_FILE_H_
