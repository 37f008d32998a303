"""A peer we did not write for the HTTP/1.1 client tests: python3's
http.server serving this folder over HTTP/1.1 (Content-Length, keep-alive,
HEAD, 404 with `Connection: close`), plus /until-close, an HTTP/1.0
response whose body ends when the connection closes. Binds 127.0.0.1 on a
free port, prints the port on its first line, then serves until killed."""
import functools
import http.server
import os
import socketserver


class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        if self.path != "/until-close":
            super().do_GET()
            return
        self.protocol_version = "HTTP/1.0"
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        for i in range(3):
            self.wfile.write(b"line %d\n" % i)

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    def server_bind(self):
        # HTTPServer's own looks up the host's FQDN, which can take seconds.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


def main():
    folder = os.path.dirname(os.path.abspath(__file__))
    handler = functools.partial(Handler, directory=folder)
    server = Server(("127.0.0.1", 0), handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
