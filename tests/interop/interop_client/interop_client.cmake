# triplex-interop-client (the gRPC interop cases on the triplex client) against servers it did not
# write and its own:
#   triplex-interop-server   every protocol x HTTP version: TLS (ALPN picks HTTP/1.1 or HTTP/2;
#                            HTTP/3 on the UDP twin), plus h2c, plaintext HTTP/1.1, JSON and
#                            --self-signed with -k
#   connect_node/test_server.mjs   connect-node: Connect and gRPC-Web over HTTP/1.1 and h2c, gRPC
#                            over h2c
#   grpcpp_interop_server    gRPC C++, h2c and TLS (registered in tests/interop/CMakeLists.txt,
#                            where that target is defined, through interop_client_test)
# Each test runs under run_interop_client.sh, which starts the server on port 0 and stops it.
#
# Included from tests/interop/CMakeLists.txt; needs only node and protoc besides our targets.

set(interop_client_dir ${CMAKE_CURRENT_LIST_DIR})

# triplex-interop-client: the gRPC interop cases against any server, over any protocol and HTTP
# version the server speaks. Test code: it lives here, beside the tests that run it.
add_executable(triplex-interop-client ${interop_client_dir}/interop_client_main.cc
                                      ${interop_client_dir}/interop_cases.cc)
target_link_libraries(triplex-interop-client PRIVATE triplex_interop_service CLI11::CLI11)
triplex_program_allocator(triplex-interop-client)

# interop_client_test(NAME MODE [RUNNER OPTIONS] [CLIENT ARGS...] -- SERVER...): MODE is
# plaintext, tls or self-signed.
function(interop_client_test name mode)
  add_test(NAME ${name}
    COMMAND bash ${interop_client_dir}/run_interop_client.sh --${mode} --check-stop
            --client $<TARGET_FILE:triplex-interop-client> ${ARGN})
  set_tests_properties(${name} PROPERTIES TIMEOUT 120 LABELS interop SKIP_RETURN_CODE 77)
endfunction()

# How many cases must pass per <protocol>_<http> (the rest are SKIPs: HTTP/1.1 is half-duplex,
# gRPC-Web there streams no requests, GET is Connect's); fewer fails the test.
set(interop_client_pass_grpc_h11 16)
set(interop_client_pass_grpc_h2 18)
set(interop_client_pass_grpc_h3 18)
set(interop_client_pass_grpcweb_h11 11)
set(interop_client_pass_grpcweb_h2 18)
set(interop_client_pass_grpcweb_h3 18)
set(interop_client_pass_connect_h11 15)
set(interop_client_pass_connect_h2 19)
set(interop_client_pass_connect_h3 19)

if(TARGET triplex-interop-server)
  set(interop_client_server $<TARGET_FILE:triplex-interop-server>)
  # Names: interop_client_<protocol>_<h11|h2|h3>[_variant].
  foreach(interop_client_protocol grpc grpcweb connect)
    foreach(interop_client_http 1.1 2 3)
      string(REPLACE "." "" interop_client_h "h${interop_client_http}")
      set(interop_client_name ${interop_client_protocol}_${interop_client_h})
      interop_client_test(interop_client_${interop_client_name} tls
        --expect-pass ${interop_client_pass_${interop_client_name}}
        --protocol ${interop_client_protocol} --http ${interop_client_http}
        -- ${interop_client_server})
    endforeach()
  endforeach()
  interop_client_test(interop_client_grpc_h2c plaintext --expect-pass 18
    --protocol grpc --http 2 -- ${interop_client_server})
  interop_client_test(interop_client_connect_h11_plaintext plaintext --expect-pass 15
    --protocol connect --http 1.1 -- ${interop_client_server})
  interop_client_test(interop_client_connect_h2_json tls --expect-pass 19
    --protocol connect --http 2 --json -- ${interop_client_server})
  interop_client_test(interop_client_grpc_h3_self_signed self-signed --expect-pass 18
    --protocol grpc --http 3 -- ${interop_client_server})
endif()

find_program(INTEROP_NODE NAMES node nodejs)
find_program(INTEROP_PROTOC NAMES protoc HINTS ${Protobuf_PROTOC_EXECUTABLE})
find_path(INTEROP_PROTO_ROOT NAMES grpc/testing/test.proto
  HINTS /usr/share/grpc-proto /usr/local/share/grpc-proto
  PATH_SUFFIXES share/grpc-proto)
if(INTEROP_NODE AND INTEROP_PROTOC AND INTEROP_PROTO_ROOT)
  set(interop_client_peers ${interop_client_dir}/../../peers/node_modules)
  set(interop_client_node_server
    ${INTEROP_NODE} ${interop_client_dir}/../connect_node/test_server.mjs
    --peers ${interop_client_peers} --protoc ${INTEROP_PROTOC} --proto-root ${INTEROP_PROTO_ROOT})
  set(interop_client_node_require
    --require ${interop_client_peers}/@connectrpc/connect-node/package.json)
  # connect-node checks expect_compressed, so only transport limits leave SKIPs.
  set(interop_client_node_pass_connect_h11 15)
  set(interop_client_node_pass_connect_h2 19)
  set(interop_client_node_pass_grpcweb_h11 11)
  set(interop_client_node_pass_grpcweb_h2 18)
  set(interop_client_node_pass_grpc_h2 18)
  foreach(interop_client_protocol connect grpcweb grpc)
    set(interop_client_versions 1.1 2)
    if(interop_client_protocol STREQUAL "grpc")
      set(interop_client_versions 2)  # gRPC needs trailers: HTTP/2 only in connect-node
    endif()
    foreach(interop_client_http IN LISTS interop_client_versions)
      string(REPLACE "." "" interop_client_h "h${interop_client_http}")
      set(interop_client_name ${interop_client_protocol}_${interop_client_h})
      interop_client_test(interop_client_connect_node_${interop_client_name} plaintext
        ${interop_client_node_require}
        --expect-pass ${interop_client_node_pass_${interop_client_name}}
        --protocol ${interop_client_protocol} --http ${interop_client_http}
        -- ${interop_client_node_server} --http ${interop_client_http})
    endforeach()
  endforeach()
endif()
