# Compiler settings shared by every bwoc target, applied through an interface
# library so that a consumer embedding bwoc keeps its own flags.
add_library(bwoc_options INTERFACE)
add_library(bwoc::options ALIAS bwoc_options)

target_compile_options(bwoc_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align
  -Wformat=2 -Wimplicit-fallthrough)
if(BWOC_WERROR)
  target_compile_options(bwoc_options INTERFACE -Werror)
endif()
if(BWOC_BUILD_FUZZ)
  # Everything linked into a fuzz target is instrumented for coverage and checked.
  target_compile_options(bwoc_options INTERFACE
    -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(bwoc_options INTERFACE -fsanitize=address,undefined)
endif()
if(BWOC_SANITIZE)
  target_compile_options(bwoc_options INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(bwoc_options INTERFACE -fsanitize=address,undefined)
endif()

find_package(PkgConfig REQUIRED)
pkg_check_modules(sodium REQUIRED IMPORTED_TARGET libsodium>=1.0.18)
find_package(tomlplusplus REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(Threads REQUIRED)
