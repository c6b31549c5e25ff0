#include "test_util.h"

#include <stdlib.h>

#include <system_error>

namespace bwoc::test {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "bwoc-test-XXXXXX").string();
  char* made = ::mkdtemp(pattern.data());
  path_ = made != nullptr ? std::filesystem::path(made) : std::filesystem::path();
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

}  // namespace bwoc::test
