# The project's own compiler settings: warnings, -Werror and the sanitizers.
#
# They belong to bwoc's targets alone. Every target of this project links
# bwoc::options; the libraries do so as $<BUILD_INTERFACE:bwoc::options>
# PRIVATE, so no compile flag reaches a consumer and the installed package
# does not mention bwoc::options at all. (A static library compiled with
# BWOC_SANITIZE=ON does hand on the sanitizers' link flags inside a build
# tree: its objects cannot link without their runtime.)
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
