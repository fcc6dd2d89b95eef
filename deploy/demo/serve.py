#!/usr/bin/env python3
"""Serves the demo page on 127.0.0.1: this folder, plus Strophe.js from npm (the version
pinned in tests/e2e/package.json; run `npm install` there first).

    python3 deploy/demo/serve.py [--port 8080]

then open http://127.0.0.1:8080/ (with deploy/local/run.sh running: its endpoint,
http://127.0.0.1:5280/http-bind, is the page's default)."""

import argparse
import functools
import http.server
import os

DEMO = os.path.dirname(os.path.abspath(__file__))
STROPHE = os.path.join(DEMO, "..", "..", "tests", "e2e", "node_modules", "strophe.js", "dist",
                       "strophe.umd.min.js")


class Handler(http.server.SimpleHTTPRequestHandler):
    def translate_path(self, path):
        if path.split("?", 1)[0] == "/strophe.umd.min.js":
            return os.path.abspath(STROPHE)
        return super().translate_path(path)

    def log_message(self, *args):
        pass


def make_server(port=0):
    """A ThreadingHTTPServer for the demo on 127.0.0.1 (port 0: any free port)."""
    if not os.path.exists(STROPHE):
        raise FileNotFoundError(f"{STROPHE} is missing: run `npm install` in tests/e2e")
    handler = functools.partial(Handler, directory=DEMO)
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8080)
    server = make_server(parser.parse_args().port)
    print(f"demo on http://127.0.0.1:{server.server_address[1]}/")
    server.serve_forever()
