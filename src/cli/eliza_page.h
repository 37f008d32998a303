#pragma once
// The chat page `triplex eliza` serves at "/": examples/eliza/web/index.html, embedded in the
// binary at build time (src/cli/embed_file.cmake) so the command needs no files at run time.
#include <string_view>

#include "triplex/server.h"

namespace triplex::cli {

// The page's bytes; defined in the generated eliza_page_html.cc.
extern const std::string_view kElizaPage;

// Answers GET / (any query string, e.g. /?say=Hello) with the page.
void add_eliza_page(Server& server);

}  // namespace triplex::cli
