# Layering rules between bwoc's libraries, checked when CMake configures.

# What counts as a network library: HTTP, TLS and MQTT stacks, and bwoc's own
# transports. Regular expressions matched against each link item (target
# names, -l flags, library paths, generator expressions).
set(BWOC_NETWORK_LIBRARIES
  "Boost::" "boost_"
  "OpenSSL::" "(^|[/:]|-l)(lib)?(ssl|curl)[0-9]*([.>]|$)"
  "[Pp]aho"
  "bwoc(_|::)(a2a|mqtt)([^a-z_]|$)")

# bwoc_forbid_links(<target> REASON <why> FORBIDDEN <regex>...): fails the
# configure step when <target> links an item matching one of the regexes,
# directly or through the targets it links. The check runs once the whole
# project has been read, so a link added from any directory counts.
# (Imported targets are looked into only where the top-level directory sees
# them; their own names are always checked.)
function(bwoc_forbid_links target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "REASON" "FORBIDDEN")
  set_target_properties(${target} PROPERTIES
    BWOC_FORBIDDEN_LINKS "${arg_FORBIDDEN}"
    BWOC_FORBIDDEN_LINKS_REASON "${arg_REASON}")
  cmake_language(EVAL CODE
    "cmake_language(DEFER DIRECTORY [[${CMAKE_SOURCE_DIR}]] CALL _bwoc_check_forbidden_links [[${target}]])")
endfunction()

function(_bwoc_check_forbidden_links target)
  get_target_property(forbidden ${target} BWOC_FORBIDDEN_LINKS)
  get_target_property(reason ${target} BWOC_FORBIDDEN_LINKS_REASON)
  set(pending ${target})
  set(visited "")
  while(pending)
    list(POP_FRONT pending current)
    if(current IN_LIST visited)
      continue()
    endif()
    list(APPEND visited ${current})
    set(items "")
    foreach(property LINK_LIBRARIES INTERFACE_LINK_LIBRARIES)
      get_target_property(linked ${current} ${property})
      if(linked)
        list(APPEND items ${linked})
      endif()
    endforeach()
    foreach(item IN LISTS items)
      # $<LINK_ONLY:x>, $<BUILD_INTERFACE:x> and the like name x.
      while(item MATCHES "^\\$<[A-Za-z_]+:(.*)>$")
        set(item "${CMAKE_MATCH_1}")
      endwhile()
      # CMake brackets links made from another directory with ::@(...) markers.
      if(item STREQUAL "" OR item MATCHES "^::@")
        continue()
      endif()
      foreach(pattern IN LISTS forbidden)
        if(item MATCHES "${pattern}")
          set(path "")
          if(NOT current STREQUAL target)
            set(path " (through ${current})")
          endif()
          message(FATAL_ERROR "${target} links ${item}${path}: ${reason}")
        endif()
      endforeach()
      if(TARGET ${item})
        get_target_property(aliased ${item} ALIASED_TARGET)
        if(aliased)
          list(APPEND pending ${aliased})
        else()
          list(APPEND pending ${item})
        endif()
      endif()
    endforeach()
  endwhile()
endfunction()
