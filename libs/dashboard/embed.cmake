# Writes a C++ source holding files as byte arrays, so that the dashboard's
# pages and assets are built into bwoc (it works offline, from any folder).
#
#   cmake -DOUTPUT=web_assets.cc -DBASE=web -DFILES="app.html|app.js" -P embed.cmake
#
# Each file becomes an Asset {name, bytes} in embedded_assets() (assets.h).
string(REPLACE "|" ";" files "${FILES}")
set(arrays "")
set(entries "")
set(n 0)
foreach(name IN LISTS files)
  file(READ "${BASE}/${name}" hex HEX)
  string(LENGTH "${hex}" hex_length)
  if(hex_length EQUAL 0)
    message(FATAL_ERROR "embed.cmake: ${BASE}/${name} is empty")
  endif()
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  # Sixteen bytes a line keeps the generated file readable in a diff.
  string(REGEX REPLACE "((0x..,){16})" "\\1\n    " bytes "${bytes}")
  string(APPEND arrays "const unsigned char kFile${n}[] = {\n    ${bytes}};\n")
  string(APPEND entries "      {\"${name}\", std::string_view(reinterpret_cast<const char*>(kFile${n}), sizeof kFile${n})},\n")
  math(EXPR n "${n} + 1")
endforeach()
set(text "// Generated from ${BASE} by embed.cmake: do not edit.
#include \"assets.h\"

namespace bwoc::dashboard {

namespace {

${arrays}
}  // namespace

const std::vector<Asset>& embedded_assets() {
  static const std::vector<Asset> assets = {
${entries}  };
  return assets;
}

}  // namespace bwoc::dashboard
")
# Rewritten only when it changes, so that a build after touching nothing
# does not compile it again.
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" old)
  if(old STREQUAL text)
    return()
  endif()
endif()
file(WRITE "${OUTPUT}" "${text}")
