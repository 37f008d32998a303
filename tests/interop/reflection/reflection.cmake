# Server reflection with buf curl as the peer: listing services and methods and calling
# `triplex eliza` and triplex-interop-server with schemas learned only by reflection (v1 and
# v1alpha), over h2c and TLS; see reflection/buf_curl_reflection.sh. Included from
# tests/interop/CMakeLists.txt; buf comes from tests/peers (without it the test is skipped).

if(TARGET triplex-cli AND TARGET triplex-interop-server)
  foreach(reflection_mode plaintext self-signed)
    if(reflection_mode STREQUAL "plaintext")
      set(reflection_suffix h2c)
    else()
      set(reflection_suffix tls)
    endif()
    add_test(NAME interop_buf_curl_reflection_${reflection_suffix}
      COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/buf_curl_reflection.sh --${reflection_mode}
        --triplex $<TARGET_FILE:triplex-cli>
        --interop-server $<TARGET_FILE:triplex-interop-server>
        --buf ${CMAKE_CURRENT_LIST_DIR}/../../peers/node_modules/.bin/buf)
    set_tests_properties(interop_buf_curl_reflection_${reflection_suffix} PROPERTIES
      TIMEOUT 120 LABELS interop SKIP_RETURN_CODE 77)
  endforeach()
endif()
