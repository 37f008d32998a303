# `triplex curl --http3` through an HTTP/3 server we did not write: Caddy (Debian's package,
# quic-go) reverse-proxying over h2c to connect-node's grpc.testing TestService; Connect and
# gRPC-Web unary, server streaming and error calls must succeed over HTTP/3, and gRPC is tried
# and reported; see caddy/caddy_h3.sh. Included from tests/interop/CMakeLists.txt. Skipped (77)
# when caddy, node or the npm peers are missing (scripts/setup installs them).

find_program(INTEROP_NODE NAMES node nodejs)
find_program(INTEROP_PROTOC NAMES protoc HINTS ${Protobuf_PROTOC_EXECUTABLE})
find_path(INTEROP_PROTO_ROOT NAMES grpc/testing/test.proto
  HINTS /usr/share/grpc-proto /usr/local/share/grpc-proto
  PATH_SUFFIXES share/grpc-proto)
find_program(INTEROP_CADDY NAMES caddy)

if(NOT TARGET triplex-cli OR NOT INTEROP_PROTOC OR NOT INTEROP_PROTO_ROOT)
  return()
endif()

set(caddy_interop_args)
if(INTEROP_CADDY)
  list(APPEND caddy_interop_args --caddy ${INTEROP_CADDY})
else()
  # The script looks on PATH at run time and skips if caddy is still missing.
  message(STATUS "interop: caddy not found; interop_triplex_curl_h3_caddy will be skipped")
endif()
if(INTEROP_NODE)
  list(APPEND caddy_interop_args --node ${INTEROP_NODE})
endif()

add_test(NAME interop_triplex_curl_h3_caddy
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/caddy_h3.sh
    --triplex $<TARGET_FILE:triplex-cli>
    --peers ${CMAKE_CURRENT_LIST_DIR}/../../peers/node_modules
    --protoc ${INTEROP_PROTOC} --proto-root ${INTEROP_PROTO_ROOT}
    ${caddy_interop_args})
set_tests_properties(interop_triplex_curl_h3_caddy PROPERTIES
  TIMEOUT 180 LABELS interop SKIP_RETURN_CODE 77)
