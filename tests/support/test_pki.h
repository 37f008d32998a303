#pragma once
// A throwaway PKI for TLS tests, made with the openssl CLI in a temporary
// folder: a CA, a server certificate for localhost / 127.0.0.1 and a client
// certificate (CN=client, SAN DNS:probe-client) signed by it, and a
// self-signed client certificate no CA vouches for (rogue.pem/rogue.key).
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace triplex::testing {

class Pki {
 public:
  Pki() {
    dir_ = std::filesystem::temp_directory_path() /
           ("triplex-pki-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::filesystem::create_directories(dir_);
    std::string d = dir_.string();
    std::string script =
        "set -e; cd '" + d +
        "'; "
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
        "-subj /CN=test-ca -keyout ca.key -out ca.pem 2>/dev/null; "
        "for n in server client; do "
        "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=$n "
        "-keyout $n.key -out $n.csr 2>/dev/null; done; "
        "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > server.ext; "
        "printf 'subjectAltName=DNS:probe-client\\nextendedKeyUsage=clientAuth\\n' > client.ext; "
        "for n in server client; do "
        "openssl x509 -req -in $n.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 "
        "-extfile $n.ext -out $n.pem 2>/dev/null; done; "
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
        "-subj /CN=rogue -keyout rogue.key -out rogue.pem 2>/dev/null";
    ok_ = std::system(("bash -c \"" + escape(script) + "\"").c_str()) == 0;
  }
  ~Pki() { std::filesystem::remove_all(dir_); }
  bool ok() const { return ok_; }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string read(const std::string& name) const {
    std::ifstream in(path(name));
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  static std::string escape(const std::string& s) {
    std::string out;
    for (char c : s) {
      if (c == '"' || c == '$' || c == '\\') out += '\\';
      out += c;
    }
    return out;
  }
  static inline int counter_ = 0;  // several per process
  std::filesystem::path dir_;
  bool ok_ = false;
};

}  // namespace triplex::testing
