# The ELIZA conversation engine; include()d by examples/eliza and by its unit tests.
# Paths are relative to this file so it works from whichever directory includes it.
include_guard(GLOBAL)

add_library(triplex_eliza_engine STATIC
  ${CMAKE_CURRENT_LIST_DIR}/eliza_engine.cc
  ${CMAKE_CURRENT_LIST_DIR}/eliza_script.cc
)
target_include_directories(triplex_eliza_engine PUBLIC ${CMAKE_CURRENT_LIST_DIR}/../..)
target_compile_features(triplex_eliza_engine PUBLIC cxx_std_20)
