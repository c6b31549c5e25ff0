// Fuzzes skill declarations and what callers send them: the first line is a
// manifest (its schemas compiled as `bwoc` loads them), the rest an input
// validated against every skill's input and output schema. Any input gives a
// result or an error; nothing may crash, hang or grow without bound.
#include <cstdint>
#include <string_view>

#include "bwoc/core/json.h"
#include "bwoc/skill/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::size_t newline = text.find('\n');
  auto manifest = bwoc::json::parse(text.substr(0, newline));
  if (!manifest.ok()) return 0;
  auto skills = bwoc::skill::parse_skills(*manifest, "/nonexistent/agent", "fuzz");
  if (!skills.ok() || newline == std::string_view::npos) return 0;
  auto input = bwoc::json::parse(text.substr(newline + 1));
  if (!input.ok()) return 0;
  for (const bwoc::skill::Skill& s : *skills) {
    (void)s.input.validate(*input);
    (void)s.output.validate(*input);
  }
  return 0;
}
