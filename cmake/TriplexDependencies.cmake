# What the triplex library links with, found the same way by the project's own
# build and by an installed package's triplexConfig.cmake. Sets
# TRIPLEX_DEPENDENCIES_FOUND, and TRIPLEX_DEPENDENCIES_MISSING to what is absent.
#
#   triplex_find_dependencies(REQUIRED)   # in the project: stop at the first miss
#   triplex_find_dependencies(QUIET)      # in a package config: report, do not stop
macro(triplex_find_dependencies mode)
  set(TRIPLEX_DEPENDENCIES_MISSING)
  find_package(Threads ${mode})
  set(TRIPLEX_PROTOC_INHERITED FALSE)
  if(TARGET protobuf::protoc)
    set(TRIPLEX_PROTOC_INHERITED TRUE)  # a parent project found it: visible already
  endif()
  find_package(Protobuf ${mode})  # libprotobuf, and protoc for triplex_generate()
  find_package(OpenSSL 3 ${mode})
  find_package(ZLIB ${mode})
  find_package(PkgConfig ${mode})
  find_package(spdlog CONFIG ${mode})  # the default log output
  foreach(found Threads_FOUND Protobuf_FOUND OPENSSL_FOUND ZLIB_FOUND PKG_CONFIG_FOUND spdlog_FOUND)
    if(NOT ${found})
      list(APPEND TRIPLEX_DEPENDENCIES_MISSING ${found})
    endif()
  endforeach()
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(TRIPLEX_NGHTTP2 ${mode} IMPORTED_TARGET libnghttp2)
    pkg_check_modules(TRIPLEX_QUIC ${mode} IMPORTED_TARGET
                      libngtcp2 libngtcp2_crypto_gnutls gnutls libnghttp3)
    pkg_check_modules(TRIPLEX_ZSTD ${mode} IMPORTED_TARGET libzstd)
    pkg_check_modules(TRIPLEX_BROTLI ${mode} IMPORTED_TARGET libbrotlienc libbrotlidec)
    foreach(module NGHTTP2 QUIC ZSTD BROTLI)
      if(NOT TRIPLEX_${module}_FOUND)
        list(APPEND TRIPLEX_DEPENDENCIES_MISSING ${module})
      endif()
    endforeach()
  endif()
  # Public headers use standalone Asio (header-only, no CMake or pkg-config file).
  find_path(TRIPLEX_ASIO_INCLUDE_DIR asio.hpp)
  if(NOT TRIPLEX_ASIO_INCLUDE_DIR)
    list(APPEND TRIPLEX_DEPENDENCIES_MISSING asio)
  endif()
  # HTTP/1.1 tokenizing; Debian's libhttp-parser-dev ships no pkg-config file.
  find_library(TRIPLEX_HTTP_PARSER_LIBRARY http_parser)
  find_path(TRIPLEX_HTTP_PARSER_INCLUDE_DIR http_parser.h)
  if(TRIPLEX_HTTP_PARSER_LIBRARY AND TRIPLEX_HTTP_PARSER_INCLUDE_DIR)
    if(NOT TARGET triplex_dep::http_parser)
      add_library(triplex_dep::http_parser UNKNOWN IMPORTED)
      set_target_properties(triplex_dep::http_parser PROPERTIES
        IMPORTED_LOCATION ${TRIPLEX_HTTP_PARSER_LIBRARY}
        INTERFACE_INCLUDE_DIRECTORIES ${TRIPLEX_HTTP_PARSER_INCLUDE_DIR})
    endif()
  else()
    list(APPEND TRIPLEX_DEPENDENCIES_MISSING http_parser)
  endif()
  # triplex_generate() runs protoc from whichever directory calls it, which for a
  # subproject is not the one that found it.
  if(TARGET protobuf::protoc AND NOT TRIPLEX_PROTOC_INHERITED AND NOT PROJECT_IS_TOP_LEVEL)
    get_target_property(global protobuf::protoc IMPORTED_GLOBAL)
    if(NOT global)
      set_target_properties(protobuf::protoc PROPERTIES IMPORTED_GLOBAL TRUE)
    endif()
  endif()
  if(TRIPLEX_DEPENDENCIES_MISSING)
    set(TRIPLEX_DEPENDENCIES_FOUND FALSE)
    if("${mode}" STREQUAL "REQUIRED")
      message(FATAL_ERROR "triplex needs: ${TRIPLEX_DEPENDENCIES_MISSING}")
    endif()
  else()
    set(TRIPLEX_DEPENDENCIES_FOUND TRUE)
  endif()
endmacro()
