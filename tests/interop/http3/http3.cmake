# HTTP/3 with buf curl --http3 as the peer: gRPC, gRPC-Web and Connect against `triplex eliza`
# (unary, server streaming, bidi) and triplex-interop-server (an error status, 4 MiB messages
# both ways); see http3/buf_curl_h3.sh. Included from tests/interop/CMakeLists.txt; needs only
# protoc and the grpc.testing protos (buf comes from tests/peers: without it the test is skipped).

find_program(HTTP3_INTEROP_PROTOC NAMES protoc HINTS ${Protobuf_PROTOC_EXECUTABLE})
find_path(HTTP3_INTEROP_PROTO_ROOT NAMES grpc/testing/test.proto
  HINTS /usr/share/grpc-proto /usr/local/share/grpc-proto
  PATH_SUFFIXES share/grpc-proto)

set(http3_interop_dir ${CMAKE_CURRENT_LIST_DIR})
set(http3_interop_buf ${http3_interop_dir}/../../peers/node_modules/.bin/buf)

# HTTP/3 transport checks with ngtcp2's example client gtlsclient as the peer (Connect GET of
# eliza's Say: one request, sequential, concurrent, packet loss, key update, resumption/0-RTT);
# see http3/gtlsclient_eliza.sh. Skipped (77) when gtlsclient (ngtcp2-client) is not installed.
if(TARGET triplex-cli)
  foreach(gtlsclient_case IN ITEMS single sequential concurrent loss key_update resumption)
    add_test(NAME interop_gtlsclient_h3_${gtlsclient_case}
      COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/gtlsclient_eliza.sh
        --triplex $<TARGET_FILE:triplex-cli> --case ${gtlsclient_case})
    set_tests_properties(interop_gtlsclient_h3_${gtlsclient_case} PROPERTIES
      TIMEOUT 120 LABELS interop SKIP_RETURN_CODE 77)
  endforeach()
endif()

if(NOT HTTP3_INTEROP_PROTOC OR NOT HTTP3_INTEROP_PROTO_ROOT)
  message(WARNING "interop: protoc or the grpc.testing protos not found; HTTP/3 tests are skipped")
  return()
endif()

# http3_interop_test(NAME TRIPLEX_TARGET INTEROP_SERVER_TARGET)
function(http3_interop_test name triplex_target interop_target)
  add_test(NAME ${name}
    COMMAND bash ${http3_interop_dir}/buf_curl_h3.sh
      --triplex $<TARGET_FILE:${triplex_target}>
      --interop-server $<TARGET_FILE:${interop_target}>
      --buf ${http3_interop_buf}
      --protoc ${HTTP3_INTEROP_PROTOC}
      --proto-root ${HTTP3_INTEROP_PROTO_ROOT})
  set_tests_properties(${name} PROPERTIES TIMEOUT 120 LABELS interop SKIP_RETURN_CODE 77)
endfunction()

if(TARGET triplex-cli AND TARGET triplex-interop-server)
  http3_interop_test(interop_buf_curl_h3 triplex-cli triplex-interop-server)
endif()
