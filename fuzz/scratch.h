// A scratch folder for fuzz targets that read files the way bwoc does on
// start (open, scan, repair, append): made once per process, on a tmpfs when
// there is one (the targets write a file every input), removed at exit.
#ifndef BWOC_FUZZ_SCRATCH_H_
#define BWOC_FUZZ_SCRATCH_H_

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

namespace bwoc::fuzz {

inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    std::error_code ec;
    std::filesystem::path base = std::filesystem::is_directory("/dev/shm", ec) ? std::filesystem::path("/dev/shm")
                                                                               : std::filesystem::temp_directory_path();
    std::string pattern = (base / "bwoc-fuzz-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    std::atexit([] {
      std::error_code remove_ec;
      std::filesystem::remove_all(scratch_dir(), remove_ec);
    });
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
