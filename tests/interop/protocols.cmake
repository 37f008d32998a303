# Connect, gRPC-Web and gRPC against triplex from peers outside the C++ world, over HTTP/1.1 and
# HTTP/2 (h2c and TLS):
#   node/connect_interop.mjs   connect-node: Connect, gRPC-Web and gRPC transports, binary and JSON
#   node/grpc_js_interop.mjs   @grpc/grpc-js
#   http1/curl_connect.sh      curl and buf curl (Connect POST/GET, gRPC over HTTP/1.1)
# The Node clients run under node/run_node.sh, which starts the server on port 0 and stops it.
# The npm peers live in tests/peers/node_modules (scripts/setup installs them); a client that
# cannot find them exits 77 and the test counts as skipped.
#
# Included from tests/interop/CMakeLists.txt; needs only node, curl, protoc, python3 and the
# grpc.testing protos, not gRPC C++.

find_program(INTEROP_NODE NAMES node nodejs)
find_program(INTEROP_CURL NAMES curl)
find_program(INTEROP_PROTOC NAMES protoc HINTS ${Protobuf_PROTOC_EXECUTABLE})
find_path(INTEROP_PROTO_ROOT NAMES grpc/testing/test.proto
  HINTS /usr/share/grpc-proto /usr/local/share/grpc-proto
  PATH_SUFFIXES share/grpc-proto)

set(protocols_dir ${CMAKE_CURRENT_LIST_DIR})
set(protocols_peers ${protocols_dir}/../peers/node_modules)
set(protocols_timeout 90)

if(NOT INTEROP_PROTOC OR NOT INTEROP_PROTO_ROOT)
  message(WARNING "interop: protoc or the grpc.testing protos not found;"
                  " Node, curl and buf curl protocol tests are skipped")
  return()
endif()

# protocols_test(NAME COMMAND...): one interop test with the shared timeout and label.
function(protocols_test name)
  add_test(NAME ${name} COMMAND ${ARGN})
  set_tests_properties(${name} PROPERTIES
    TIMEOUT ${protocols_timeout} LABELS interop SKIP_RETURN_CODE 77)
endfunction()

if(TARGET triplex-interop-server AND INTEROP_NODE)
  set(protocols_server $<TARGET_FILE:triplex-interop-server>)
  set(protocols_runner bash ${protocols_dir}/node/run_node.sh --node ${INTEROP_NODE} --check-stop)
  set(protocols_client_args --peers ${protocols_peers} --proto-root ${INTEROP_PROTO_ROOT})

  # connect-node, both codecs per test: {connect, grpcweb} x {HTTP/1.1, HTTP/2} x {plaintext,
  # TLS}, and the gRPC transport over HTTP/2 (h2c and TLS). Names end in http1, http1_tls, h2c
  # or h2_tls.
  foreach(protocols_transport connect grpcweb grpc)
    set(protocols_http_versions 1.1 2)
    if(protocols_transport STREQUAL "grpc")
      set(protocols_http_versions 2)
    endif()
    foreach(protocols_http IN LISTS protocols_http_versions)
      foreach(protocols_mode plaintext tls)
        if(protocols_http STREQUAL "1.1")
          set(protocols_suffix http1)
        elseif(protocols_mode STREQUAL "plaintext")
          set(protocols_suffix h2c)
        else()
          set(protocols_suffix h2)
        endif()
        if(protocols_mode STREQUAL "tls")
          string(APPEND protocols_suffix _tls)
        endif()
        protocols_test(interop_connect_node_${protocols_transport}_${protocols_suffix}
          ${protocols_runner} --${protocols_mode} ${protocols_dir}/node/connect_interop.mjs
          ${protocols_client_args} --protoc ${INTEROP_PROTOC}
          --transport ${protocols_transport} --http ${protocols_http} --codec binary,json
          -- ${protocols_server})
      endforeach()
    endforeach()
  endforeach()

  protocols_test(interop_grpc_js_h2c
    ${protocols_runner} --plaintext ${protocols_dir}/node/grpc_js_interop.mjs
    ${protocols_client_args} -- ${protocols_server})
  protocols_test(interop_grpc_js_tls
    ${protocols_runner} --tls ${protocols_dir}/node/grpc_js_interop.mjs
    ${protocols_client_args} -- ${protocols_server})
elseif(NOT INTEROP_NODE)
  message(WARNING "interop: node not found; connect-node and grpc-js tests are skipped")
endif()

if(TARGET triplex-interop-server AND TARGET triplex-cli AND INTEROP_CURL)
  protocols_test(interop_cors bash ${protocols_dir}/http1/cors.sh $<TARGET_FILE:triplex-cli>)
  protocols_test(interop_curl_connect
    bash ${protocols_dir}/http1/curl_connect.sh
    --triplex $<TARGET_FILE:triplex-cli>
    --interop-server $<TARGET_FILE:triplex-interop-server>
    --buf ${protocols_peers}/.bin/buf
    --curl ${INTEROP_CURL}
    --protoc ${INTEROP_PROTOC}
    --proto-root ${INTEROP_PROTO_ROOT})
elseif(NOT INTEROP_CURL)
  message(WARNING "interop: curl not found; the curl/buf curl protocol test is skipped")
endif()
