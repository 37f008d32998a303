# triplex curl against buf curl: the same table of calls (unary, the streaming kinds, errors,
# --schema and reflection) over HTTP/1.1, HTTP/2 and HTTP/3 must give the same messages, exit
# status and error code/message; see curl/compare_with_buf_curl.py. Included from
# tests/interop/CMakeLists.txt; skipped (77) when buf is missing.

if(TARGET triplex-cli AND TARGET triplex-interop-server AND INTEROP_PROTOC AND INTEROP_PROTO_ROOT)
  add_test(NAME interop_triplex_curl_vs_buf_curl
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/compare_with_buf_curl.py
      --triplex $<TARGET_FILE:triplex-cli>
      --interop-server $<TARGET_FILE:triplex-interop-server>
      --buf ${CMAKE_CURRENT_LIST_DIR}/../../peers/node_modules/.bin/buf
      --protoc ${INTEROP_PROTOC} --proto-root ${INTEROP_PROTO_ROOT})
  set_tests_properties(interop_triplex_curl_vs_buf_curl PROPERTIES
    TIMEOUT 600 LABELS interop SKIP_RETURN_CODE 77)
endif()
