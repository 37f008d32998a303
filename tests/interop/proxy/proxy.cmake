# `triplex proxy` in front of backends that speak only gRPC over h2c, the gRPC C++ interop server
# and grpcio_server.py (Debian's python3-grpcio), and in front of connect-node (gRPC, gRPC-Web and
# Connect over h2c): the interop cases through it over the nine protocol x HTTP version
# combinations, and buf curl calls over HTTP/1.1, h2c, HTTP/2 and HTTP/3.
# Included from tests/interop/CMakeLists.txt, after it has set interop_have_grpcio.
find_program(INTEROP_PROTOC NAMES protoc HINTS ${Protobuf_PROTOC_EXECUTABLE})
find_path(INTEROP_PROTO_ROOT NAMES grpc/testing/test.proto
  HINTS /usr/share/grpc-proto /usr/local/share/grpc-proto PATH_SUFFIXES share/grpc-proto)
if(NOT TARGET triplex-cli OR NOT TARGET triplex-interop-client
   OR NOT INTEROP_PROTOC OR NOT INTEROP_PROTO_ROOT)
  return()
endif()
set(proxy_test_args
  --triplex $<TARGET_FILE:triplex-cli> --client $<TARGET_FILE:triplex-interop-client>
  --buf ${CMAKE_CURRENT_LIST_DIR}/../../peers/node_modules/.bin/buf
  --protoc ${INTEROP_PROTOC} --proto-root ${INTEROP_PROTO_ROOT})
if(TARGET grpcpp_interop_server)
  add_test(NAME interop_proxy_grpcpp
    COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/proxy_backend.sh ${proxy_test_args}
      --grpcpp $<TARGET_FILE:grpcpp_interop_server>)
  set_tests_properties(interop_proxy_grpcpp PROPERTIES TIMEOUT 300 LABELS interop)
  # The gateway's config file, HTTP/1.1 bridge, /metrics, access log and SIGTERM drain, checked
  # with curl and buf curl (HTTP/1.1, 2, 3) in front of the gRPC C++ server; 77 without buf.
  add_test(NAME interop_gateway_peers
    COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/gateway_peers.sh
      --triplex $<TARGET_FILE:triplex-cli> --grpcpp $<TARGET_FILE:grpcpp_interop_server>
      --buf ${CMAKE_CURRENT_LIST_DIR}/../../peers/node_modules/.bin/buf
      --protoc ${INTEROP_PROTOC} --proto-root ${INTEROP_PROTO_ROOT})
  set_tests_properties(interop_gateway_peers PROPERTIES
    TIMEOUT 120 LABELS interop SKIP_RETURN_CODE 77)
endif()
if(interop_have_grpcio)
  add_test(NAME interop_proxy_grpcio
    COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/proxy_backend.sh ${proxy_test_args}
      --grpcio-server ${CMAKE_CURRENT_LIST_DIR}/../python/grpcio_server.py
      --python ${INTEROP_PYTHON})
  set_tests_properties(interop_proxy_grpcio PROPERTIES TIMEOUT 300 LABELS interop)
endif()
# connect-node behind the proxy, guarded as interop_client.cmake guards its connect-node tests:
# node found at configure time, the npm peers (tests/peers/node_modules) checked at run time (77,
# skipped, without them). passthrough: each call goes upstream in its caller's protocol and codec.
# connect: every call goes upstream as Connect; the proxies get the grpc.testing descriptor set
# (--proxy-schema), without which a gRPC or gRPC-Web caller's unary call goes as a Connect stream,
# which connect-node answers with HTTP 415 (docs/gateway.md, "Not done yet").
find_program(INTEROP_NODE NAMES node nodejs)
if(INTEROP_NODE)
  set(proxy_node_peers ${CMAKE_CURRENT_LIST_DIR}/../../peers/node_modules)
  foreach(proxy_mode passthrough connect)
    set(proxy_mode_args --upstream-protocol ${proxy_mode})
    if(proxy_mode STREQUAL "connect")
      list(APPEND proxy_mode_args --proxy-schema)
    endif()
    add_test(NAME interop_proxy_connect_node_${proxy_mode}
      COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/proxy_backend.sh ${proxy_test_args}
        --connect-node ${CMAKE_CURRENT_LIST_DIR}/../connect_node/test_server.mjs
        --node ${INTEROP_NODE}
        --require ${proxy_node_peers}/@connectrpc/connect-node/package.json
        ${proxy_mode_args})
    set_tests_properties(interop_proxy_connect_node_${proxy_mode} PROPERTIES
      TIMEOUT 120 LABELS interop SKIP_RETURN_CODE 77)
  endforeach()
endif()
