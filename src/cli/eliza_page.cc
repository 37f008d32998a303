#include "src/cli/eliza_page.h"

#include <string>

namespace triplex::cli {

void add_eliza_page(Server& server) {
  server.add_http_route("/", [] {
    return HttpReply{200, "text/html; charset=utf-8", std::string(kElizaPage)};
  });
}

}  // namespace triplex::cli
