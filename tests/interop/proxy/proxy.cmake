# `triplex proxy` in front of the gRPC C++ interop server (gRPC over h2c only): the interop
# cases through it over the nine protocol x HTTP version combinations, and buf curl calls.
# Included from tests/interop/CMakeLists.txt.
find_program(INTEROP_PROTOC NAMES protoc HINTS ${Protobuf_PROTOC_EXECUTABLE})
find_path(INTEROP_PROTO_ROOT NAMES grpc/testing/test.proto
  HINTS /usr/share/grpc-proto /usr/local/share/grpc-proto PATH_SUFFIXES share/grpc-proto)
if(NOT TARGET triplex-cli OR NOT TARGET grpcpp_interop_server OR NOT TARGET triplex-interop-client
   OR NOT INTEROP_PROTOC OR NOT INTEROP_PROTO_ROOT)
  return()
endif()
add_test(NAME interop_proxy_grpcpp
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/proxy_grpcpp.sh
    --triplex $<TARGET_FILE:triplex-cli> --grpcpp $<TARGET_FILE:grpcpp_interop_server>
    --client $<TARGET_FILE:triplex-interop-client>
    --buf ${CMAKE_CURRENT_LIST_DIR}/../../peers/node_modules/.bin/buf
    --protoc ${INTEROP_PROTOC} --proto-root ${INTEROP_PROTO_ROOT})
set_tests_properties(interop_proxy_grpcpp PROPERTIES TIMEOUT 300 LABELS interop)
