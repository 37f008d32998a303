# What `cmake --install` puts under the prefix, and the .deb CPack makes of it:
# the library with its public and generated headers, protoc-gen-triplex, the
# tools, the protos, a CMake package (triplex::triplex, triplex_generate()) and
# a pkg-config file.
include(CMakePackageConfigHelpers)

set(TRIPLEX_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/triplex)
set(TRIPLEX_PROTO_DIR ${CMAKE_INSTALL_DATADIR}/triplex/proto)

install(TARGETS triplex protoc-gen-triplex EXPORT triplexTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/triplex DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")
install(FILES ${PROJECT_BINARY_DIR}/include/triplex/version.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/triplex)
# The library's own generated messages (health, reflection), for typed clients.
install(DIRECTORY ${PROJECT_BINARY_DIR}/src/generated/grpc
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/triplex/proto
  FILES_MATCHING PATTERN "*.h")
# The protos the library serves, and the Eliza demo's.
foreach(proto grpc/health/v1/health.proto grpc/reflection/v1/reflection.proto
              grpc/reflection/v1alpha/reflection.proto)
  get_filename_component(dir ${proto} DIRECTORY)
  install(FILES /usr/share/grpc-proto/${proto} DESTINATION ${TRIPLEX_PROTO_DIR}/${dir})
endforeach()
install(FILES examples/eliza/proto/connectrpc/eliza/v1/eliza.proto
  DESTINATION ${TRIPLEX_PROTO_DIR}/connectrpc/eliza/v1)
if(TRIPLEX_BUILD_TOOLS)
  install(TARGETS triplex-cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(FILES LICENSE CHANGELOG.md README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

install(EXPORT triplexTargets NAMESPACE triplex:: DESTINATION ${TRIPLEX_CMAKE_DIR})
configure_package_config_file(cmake/triplexConfig.cmake.in
  ${PROJECT_BINARY_DIR}/triplexConfig.cmake INSTALL_DESTINATION ${TRIPLEX_CMAKE_DIR})
# 0.x: a minor version may break what the one before it offered.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/triplexConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/triplexConfig.cmake
              ${PROJECT_BINARY_DIR}/triplexConfigVersion.cmake
              cmake/TriplexDependencies.cmake cmake/TriplexGenerate.cmake
  DESTINATION ${TRIPLEX_CMAKE_DIR})

# pkg-config: paths relative to the .pc file, so the package can move.
set(TRIPLEX_PC_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
file(RELATIVE_PATH TRIPLEX_PC_TO_PREFIX /prefix/${TRIPLEX_PC_DIR} /prefix)
set(TRIPLEX_PC_LIBDIR ${CMAKE_INSTALL_LIBDIR})
get_target_property(defines triplex INTERFACE_COMPILE_DEFINITIONS)
list(TRANSFORM defines PREPEND -D)
list(JOIN defines " " TRIPLEX_PC_DEFINES)
# A static libtriplex needs its libraries at every link, so they are plain
# Requires (pkg-config --libs, no --static: that would want their own static
# dependencies too); a shared one carries them itself.
set(link_modules "libnghttp2 libngtcp2 libngtcp2_crypto_gnutls gnutls libnghttp3 openssl zlib libzstd libbrotlienc libbrotlidec spdlog")
if(BUILD_SHARED_LIBS)
  set(TRIPLEX_PC_REQUIRES "protobuf")
  set(TRIPLEX_PC_REQUIRES_PRIVATE "${link_modules}")
  set(TRIPLEX_PC_LIBS "")
else()
  set(TRIPLEX_PC_REQUIRES "protobuf ${link_modules}")
  set(TRIPLEX_PC_REQUIRES_PRIVATE "")
  set(TRIPLEX_PC_LIBS "-lhttp_parser")
endif()
configure_file(cmake/triplex.pc.in ${PROJECT_BINARY_DIR}/triplex.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/triplex.pc DESTINATION ${TRIPLEX_PC_DIR})

# The Debian package (cpack -G DEB in the build folder, or `make package`).
set(CPACK_PACKAGE_NAME triplex)
set(CPACK_PACKAGE_VENDOR "The triplex authors")
set(CPACK_PACKAGE_CONTACT "triplex maintainers <triplex@invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
# Run-time libraries of the programs and the shared library, from dpkg-shlibdeps;
# what the headers, the static library and triplex_generate() need, by name.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS
  "libasio-dev, libprotobuf-dev, protobuf-compiler, libssl-dev, libnghttp2-dev, libngtcp2-dev, libngtcp2-crypto-gnutls-dev, libnghttp3-dev, libgnutls28-dev, libhttp-parser-dev, zlib1g-dev, libzstd-dev, libbrotli-dev, libspdlog-dev, pkg-config")
include(CPack)
