# triplex_generate(TARGET <target> PROTOS <files...> [IMPORT_DIRS <dirs...>] [OUT_DIR <dir>])
#
# Runs protoc with the C++ generator and protoc-gen-triplex on each .proto,
# adds the generated sources to <target>, and puts the output folder on its
# include path. Each proto must sit under one of IMPORT_DIRS; the generated
# files keep its path relative to that folder. Relative PROTOS and IMPORT_DIRS
# are taken from the calling CMakeLists.txt's folder. protoc comes from
# find_package(Protobuf) and the plugin from this package (or this build).
include_guard(GLOBAL)

function(triplex_generate)
  cmake_parse_arguments(ARG "" "TARGET;OUT_DIR" "PROTOS;IMPORT_DIRS" ${ARGN})
  if(NOT ARG_TARGET OR NOT ARG_PROTOS)
    message(FATAL_ERROR "triplex_generate: TARGET and PROTOS are required")
  endif()
  if(NOT TARGET protobuf::protoc)
    message(FATAL_ERROR "triplex_generate: protoc not found (Debian: protobuf-compiler)")
  endif()
  if(NOT TARGET triplex::protoc-gen-triplex)
    message(FATAL_ERROR "triplex_generate: the protoc-gen-triplex plugin is not part of this build")
  endif()
  if(NOT ARG_OUT_DIR)
    set(ARG_OUT_DIR ${CMAKE_CURRENT_BINARY_DIR}/generated)
  endif()
  file(MAKE_DIRECTORY ${ARG_OUT_DIR})
  set(import_dirs)
  set(include_flags)
  foreach(dir IN LISTS ARG_IMPORT_DIRS)
    get_filename_component(dir ${dir} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
    list(APPEND import_dirs ${dir})
    list(APPEND include_flags -I${dir})
  endforeach()
  foreach(proto IN LISTS ARG_PROTOS)
    get_filename_component(proto ${proto} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
    set(relative)
    foreach(dir IN LISTS import_dirs)
      string(FIND "${proto}" "${dir}/" at)
      if(at EQUAL 0)
        file(RELATIVE_PATH relative ${dir} ${proto})
        break()
      endif()
    endforeach()
    if(NOT relative)
      message(FATAL_ERROR "triplex_generate: ${proto} is under none of IMPORT_DIRS")
    endif()
    string(REGEX REPLACE "\\.proto$" "" stem ${relative})
    set(outputs ${ARG_OUT_DIR}/${stem}.pb.cc ${ARG_OUT_DIR}/${stem}.pb.h
                ${ARG_OUT_DIR}/${stem}.triplex.h)
    add_custom_command(
      OUTPUT ${outputs}
      COMMAND protobuf::protoc ${include_flags} --cpp_out=${ARG_OUT_DIR} --triplex_out=${ARG_OUT_DIR}
              --plugin=protoc-gen-triplex=$<TARGET_FILE:triplex::protoc-gen-triplex> ${proto}
      DEPENDS ${proto} triplex::protoc-gen-triplex protobuf::protoc
      COMMENT "Generating C++ and triplex code for ${relative}"
      VERBATIM)
    target_sources(${ARG_TARGET} PRIVATE ${outputs})
  endforeach()
  # Build-tree only: a library that installs its generated headers says where.
  target_include_directories(${ARG_TARGET} PUBLIC $<BUILD_INTERFACE:${ARG_OUT_DIR}>)
endfunction()
