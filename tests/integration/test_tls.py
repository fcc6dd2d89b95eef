"""Built-in TLS on the HTTP listener (--tls-cert, --tls-key) with a real TLS client (Python's
ssl and http.client) and a self-signed certificate made by openssl for the test: a full BOSH
login over https, a plain-HTTP request to the TLS port answered 400 and closed without
disturbing a live session, a stalled handshake closed by --request-timeout, and a bad key
refused at start with status 2."""

import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from bosh_client import BoshClient  # noqa: E402
from harness import Boshmux, binary, test_failed, upstream_server  # noqa: E402
from test_operations import sample  # noqa: E402

DOMAIN = "bosh.localhost"
SECRET = "tls-secret"


def make_certificate(directory):
    """A self-signed certificate for 127.0.0.1; returns (cert, key) paths."""
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
                    "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return cert, key


class HttpsBoshClient(BoshClient):
    """BoshClient over https, verifying the test's certificate."""

    def __init__(self, url, domain, context):
        super().__init__(url, domain)
        self.context = context

    def _post(self, body):
        request = urllib.request.Request(self.url, data=body.encode(), method="POST",
                                         headers={"Content-Type": "text/xml; charset=utf-8"})
        with urllib.request.urlopen(request, timeout=self.timeout + self.wait,
                                    context=self.context) as response:
            return ET.fromstring(response.read())


class TlsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="boshmux-tls-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.cert, self.key = make_certificate(self.dir)
        self.server = upstream_server(components={DOMAIN: SECRET}).start()
        self.addCleanup(self.server.cleanup)
        self.boshmux = Boshmux(["--domain", DOMAIN, "--upstream",
                                f"127.0.0.1:{self.server.component_port}", "--listen",
                                "127.0.0.1:0", "--anonymous", "--tls-cert", self.cert,
                                "--tls-key", self.key, "--request-timeout", "1",
                                "--log-level", "debug"],
                               env={"BOSHMUX_SECRET": SECRET}).start()
        self.addCleanup(self.boshmux.cleanup)
        self.addCleanup(self.dump_log_on_failure)
        self.boshmux.wait_log("authenticated")
        self.port = int(self.boshmux.wait_log(
            r"BOSH endpoint https://127\.0\.0\.1:(\d+)/http-bind")[0])
        self.url = f"https://127.0.0.1:{self.port}/http-bind"
        self.context = ssl.create_default_context(cafile=self.cert)

    def dump_log_on_failure(self):
        if test_failed(self):
            sys.stderr.write("--- boshmux log ---\n" + self.boshmux.log_text()[-6000:] + "\n")

    def metrics(self):
        with urllib.request.urlopen(f"https://127.0.0.1:{self.port}/metrics", timeout=10,
                                    context=self.context) as r:
            return r.read().decode()

    def assert_alive(self, client, id):
        self.assertEqual(client.ping(id, DOMAIN).get("type"), "result")

    def test_full_bosh_login_over_https(self):
        c = HttpsBoshClient(self.url, DOMAIN, self.context)
        jid = c.login_anonymous()
        self.assertRegex(jid, rf"^[^@/]+@{DOMAIN}/bosh$")
        self.assert_alive(c, "p1")
        c.terminate()
        self.assertGreaterEqual(sample(self.metrics(), "boshmux_tls_handshakes_total"), 1)
        # The certificate is really checked by the client: without trusting it, no connection.
        strict = HttpsBoshClient(self.url, DOMAIN, ssl.create_default_context())
        with self.assertRaises(urllib.error.URLError) as caught:
            strict.open()
        self.assertIsInstance(caught.exception.reason, ssl.SSLCertVerificationError)

    def test_plain_http_to_the_tls_port_fails_cleanly_and_disturbs_no_session(self):
        live = HttpsBoshClient(self.url, DOMAIN, self.context)
        live.login_anonymous()
        before = sample(self.metrics(), "boshmux_tls_handshake_failures_total")
        # A plain-HTTP request: a plain 400 that says why, then the connection closes.
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall(b"POST /http-bind HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\n<body/>")
            data = b""
            while chunk := s.recv(4096):
                data += chunk
        self.assertTrue(data.startswith(b"HTTP/1.1 400 "), data)
        self.assertIn(b"HTTPS", data)
        # Garbage that is neither TLS nor HTTP: closed, nothing else.
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall(os.urandom(300))
            s.settimeout(5)
            try:
                while s.recv(4096):
                    pass
            except ConnectionResetError:
                pass  # closed with unread input: a reset is a clean close too
        self.assert_alive(live, "after-plain")
        after = sample(self.metrics(), "boshmux_tls_handshake_failures_total")
        self.assertEqual(after - before, 2)

    def test_a_stalled_handshake_is_closed_by_the_request_timeout(self):
        live = HttpsBoshClient(self.url, DOMAIN, self.context)
        live.login_anonymous()
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            s.sendall(b"\x16\x03\x01")  # the start of a ClientHello, and nothing more
            self.assertEqual(s.recv(4096), b"")  # closed by the server
        self.assertLess(time.monotonic() - started, 5)
        self.assert_alive(live, "after-stall")

    def test_a_key_that_does_not_match_exits_2(self):
        other_dir = os.path.join(self.dir, "other")
        os.mkdir(other_dir)
        _, other_key = make_certificate(other_dir)
        for cert, key, said in ((self.cert, other_key, "--tls-key"),
                                (self.cert, None, "--tls-cert and --tls-key go together"),
                                (self.key, self.key, "--tls-cert")):
            args = [binary(), "--domain", DOMAIN, "--secret", SECRET, "--listen",
                    "127.0.0.1:0", "--upstream", "127.0.0.1:1", "--tls-cert", cert]
            if key:
                args += ["--tls-key", key]
            r = subprocess.run(args, capture_output=True, text=True, timeout=10)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn(said, r.stderr)


if __name__ == "__main__":
    unittest.main()
