// A scratch folder for fuzz targets that read files the way bwoc does on
// start (open, scan, repair, append): made once per process, on a tmpfs when
// there is one (the targets write a file every input). libFuzzer ends a run
// with _Exit, which runs no clean-up, so each process removes the folders
// that processes no longer running left behind.
#ifndef BWOC_FUZZ_SCRATCH_H_
#define BWOC_FUZZ_SCRATCH_H_

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

namespace bwoc::fuzz {

inline constexpr std::string_view kScratchPrefix = "bwoc-fuzz-";

// Removes "bwoc-fuzz-<pid>-…" folders under `base` whose process is gone.
inline void remove_abandoned_scratch(const std::filesystem::path& base) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(base, ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind(kScratchPrefix, 0) != 0) continue;
    long pid = std::strtol(name.c_str() + kScratchPrefix.size(), nullptr, 10);
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
      std::filesystem::remove_all(entry.path(), ec);
    }
  }
}

inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    std::error_code ec;
    std::filesystem::path base = std::filesystem::is_directory("/dev/shm", ec) ? std::filesystem::path("/dev/shm")
                                                                               : std::filesystem::temp_directory_path();
    remove_abandoned_scratch(base);
    std::string pattern = (base / (std::string(kScratchPrefix) + std::to_string(::getpid()) + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    return std::filesystem::path(pattern);
  }();
  return dir;
}

// Replaces `file` with exactly `bytes`.
inline void write_bytes(const std::filesystem::path& file, std::string_view bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace bwoc::fuzz

#endif  // BWOC_FUZZ_SCRATCH_H_
