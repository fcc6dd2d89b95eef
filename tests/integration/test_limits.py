"""Resource limits of a real boshmux (with Prosody), each refused with the precise error,
counted in /metrics, and harmless to a live session: the per-address session-creation rate
(--max-creations-per-address-rate/-burst), --max-sessions, the body size limit, XML bombs
(DOCTYPE and entity expansion, deep nesting, huge attribute counts) with bounded memory,
the size of stanzas sent to the server (--max-upstream-stanza), slowloris (--request-timeout)
and the connection cap (--max-connections)."""

import http.client
import os
import socket
import sys
import time
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from bosh_client import HTTPBIND, BoshClient, condition  # noqa: E402
from harness import (RawHttp, XmppClient, start_boshmux, test_failed,  # noqa: E402
                     upstream_server, wait_for)
from test_operations import http_get, sample  # noqa: E402

SECRET = "limits-secret"
DOMAINS = [f"limits{i}.localhost" for i in range(9)]


def creation(domain, rid=1000):
    return (f"<body xmlns='{HTTPBIND}' xmlns:xmpp='urn:xmpp:xbosh' rid='{rid}' to='{domain}' "
            "wait='1' hold='1' ver='1.11' xmpp:version='1.0'/>")


def post(port, body, source="127.0.0.1", timeout=10, headers=None):
    """One POST on a fresh connection from `source`; (status, parsed body or raw bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout,
                                      source_address=(source, 0))
    try:
        conn.request("POST", "/http-bind", body=body if isinstance(body, bytes) else body.encode(),
                     headers={"Content-Type": "text/xml; charset=utf-8", **(headers or {})})
        response = conn.getresponse()
        data = response.read()
        try:
            return response.status, ET.fromstring(data)
        except ET.ParseError:
            return response.status, data
    finally:
        conn.close()


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


class LimitsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = upstream_server(components={d: SECRET for d in DOMAINS}).start()
        cls.next_domain = 0

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def start(self, *args):
        """A boshmux of its own (its own component domain) with `args`; metrics on a separate
        listener so that the checks never count against the HTTP limits."""
        self.domain = DOMAINS[LimitsTest.next_domain]
        LimitsTest.next_domain += 1
        metrics_port = socket.socket()
        metrics_port.bind(("127.0.0.1", 0))
        self.metrics_port = metrics_port.getsockname()[1]
        metrics_port.close()
        self.boshmux, self.port = start_boshmux(
            self, self.server, self.domain, SECRET, "--anonymous", "--metrics-listen",
            f"127.0.0.1:{self.metrics_port}", "--log-level", "debug", *args)
        self.addCleanup(self.dump_log_on_failure)
        self.url = f"http://127.0.0.1:{self.port}/http-bind"

    def dump_log_on_failure(self):
        if test_failed(self):
            sys.stderr.write("--- boshmux log ---\n" + self.boshmux.log_text()[-6000:] + "\n")

    def metric(self, name, **labels):
        status, text, _ = http_get(f"http://127.0.0.1:{self.metrics_port}/metrics")
        self.assertEqual(status, 200)
        return sample(text, name, **labels)

    def bystander(self):
        c = BoshClient(self.url, self.domain)
        c.login_anonymous()
        return c

    def assert_alive(self, client, id):
        self.assertEqual(client.ping(id, self.domain).get("type"), "result")

    def assert_terminal(self, body, condition):
        self.assertIsInstance(body, ET.Element, body)
        self.assertEqual((body.get("type"), body.get("condition")), ("terminate", condition),
                         ET.tostring(body))

    # --- session creation -----------------------------------------------------------------

    def test_creation_rate_is_limited_per_address(self):
        # One token every 20 s: nothing refills while the test runs, however slow the host.
        self.start("--max-creations-per-address-rate", "0.05",
                   "--max-creations-per-address-burst", "4")
        live = BoshClient(self.url, self.domain)
        live.login_anonymous()  # one creation of the burst
        for i in range(3):
            status, body = post(self.port, creation(self.domain, 2000 + i))
            self.assertEqual(status, 200)
            self.assertIsNotNone(body.get("sid"), ET.tostring(body))
        # The burst is spent: a flood from the same address gets policy-violation, at once.
        started = time.monotonic()
        for i in range(20):
            status, body = post(self.port, creation(self.domain, 3000 + i))
            self.assertEqual(status, 200)
            self.assert_terminal(body, "policy-violation")
        self.assertLess(time.monotonic() - started, 5)
        self.assertEqual(self.metric("boshmux_sessions_rate_limited_total"), 20)
        self.assertEqual(self.metric("boshmux_sessions_created_total"), 4)
        # A legacy client (no ver) gets the HTTP status of policy-violation instead: 403.
        status, _ = post(self.port, creation(self.domain, 5002).replace(" ver='1.11'", ""))
        self.assertEqual(status, 403)
        # Another address is not limited by this one's flood.
        status, body = post(self.port, creation(self.domain, 4000), source="127.0.0.2")
        self.assertIsNotNone(body.get("sid"), ET.tostring(body))
        # The live session keeps working throughout.
        self.assert_alive(live, "during-flood")

    def test_the_creation_bucket_refills_at_the_rate(self):
        self.start("--max-creations-per-address-rate", "5", "--max-creations-per-address-burst",
                   "2")
        # Spend the bucket (tokens refilling meanwhile are spent too), until refused.
        for i in range(50):
            status, body = post(self.port, creation(self.domain, 1000 + i))
            if body.get("type") == "terminate":
                break
        self.assert_terminal(body, "policy-violation")
        # 0.5 s later at 5 a second, two tokens are back: a creation succeeds.
        time.sleep(0.5)
        status, body = post(self.port, creation(self.domain, 2000))
        self.assertIsNotNone(body.get("sid"), ET.tostring(body))

    def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy(self):
        self.start("--max-creations-per-address-rate", "0.001",
                   "--max-creations-per-address-burst", "1", "--trusted-proxies", "127.0.0.1")

        def create(source, forwarded):
            _, body = post(self.port, creation(self.domain), source=source,
                           headers={"X-Forwarded-For": forwarded})
            return body.get("condition") or "created"

        # An untrusted peer cannot pick its bucket by writing the header.
        self.assertEqual(create("127.0.0.2", "10.0.0.1"), "created")
        self.assertEqual(create("127.0.0.2", "10.0.0.2"), "policy-violation")
        # Through the trusted proxy each client has its own bucket ...
        self.assertEqual(create("127.0.0.1", "10.0.0.1"), "created")
        self.assertEqual(create("127.0.0.1", "10.0.0.1"), "policy-violation")
        self.assertEqual(create("127.0.0.1", "10.0.0.2"), "created")
        # ... named by the address the proxy appended, not by what the client prepended.
        self.assertEqual(create("127.0.0.1", "10.9.9.9, 10.0.0.2"), "policy-violation")
        self.assertEqual(create("127.0.0.1", "10.0.0.3, 127.0.0.1"), "created")
        # A forged header line before the proxy's own line fools nobody either.
        raw = RawHttp(self.port)
        self.addCleanup(raw.close)
        raw.post(creation(self.domain), extra_headers="X-Forwarded-For: 10.7.7.7\r\n"
                                                      "X-Forwarded-For: 10.0.0.3\r\n")
        _, _, _, body = raw.read_response()
        self.assertEqual(ET.fromstring(body).get("condition"), "policy-violation")
        self.assertEqual(self.metric("boshmux_sessions_rate_limited_total"), 4)

    def test_max_sessions_answers_policy_violation(self):
        self.start("--max-sessions", "3")
        live = [self.bystander() for _ in range(3)]
        status, body = post(self.port, creation(self.domain))
        self.assert_terminal(body, "policy-violation")
        self.assertEqual(self.metric("boshmux_sessions_over_capacity_total"), 1)
        self.assertEqual(self.metric("boshmux_sessions_rate_limited_total"), 0)
        for i, c in enumerate(live):
            self.assert_alive(c, f"p{i}")
        # A session that ends makes room again.
        live[0].terminate()
        status, body = post(self.port, creation(self.domain))
        self.assertIsNotNone(body.get("sid"), ET.tostring(body))

    # --- bodies and XML bombs -------------------------------------------------------------

    def test_body_size_limit_is_exact_and_enforced_before_the_body_is_read(self):
        self.start()
        live = self.bystander()
        limit = 1024 * 1024
        # At the limit: read and parsed (a valid body padded with whitespace).
        head = creation(self.domain)[:-2] + ">"
        tail = "</body>"
        at_limit = (head + " " * (limit - len(head) - len(tail)) + tail).encode()
        self.assertEqual(len(at_limit), limit)
        status, body = post(self.port, at_limit)
        self.assertEqual(status, 200)
        self.assertIsNotNone(body.get("sid"), ET.tostring(body))
        # One byte over: 413.
        status, _ = post(self.port, at_limit[:-len(tail)] + b" " + tail.encode())
        self.assertEqual(status, 413)
        # A huge Content-Length is refused from the headers alone, before any body byte.
        raw = RawHttp(self.port)
        self.addCleanup(raw.close)
        raw.send_raw("POST /http-bind HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000000\r\n\r\n")
        status, _, _, _ = raw.read_response(timeout=5)
        self.assertEqual(status, 413)
        self.assertTrue(raw.closed_by_peer())
        self.assertEqual(self.metric("boshmux_http_request_errors_total", code="413"), 2)
        self.assert_alive(live, "after-413")

    def test_xml_bombs_are_refused_with_bad_request_and_bounded_memory(self):
        self.start()
        live = self.bystander()
        sid = live.sid
        entities = "<!ENTITY lol0 'lol'>" + "".join(
            f"<!ENTITY lol{i} '{f'&lol{i - 1};' * 10}'>" for i in range(1, 10))
        laughs = (f"<?xml version='1.0'?><!DOCTYPE body [{entities}]>"
                  f"<body xmlns='{HTTPBIND}' rid='1' sid='{sid}'>&lol9;</body>")
        external = (f"<!DOCTYPE body [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
                    f"<body xmlns='{HTTPBIND}' rid='1' sid='{sid}'>&x;</body>")
        deep = (f"<body xmlns='{HTTPBIND}' rid='1' sid='{sid}'>" + "<a>" * 100000 +
                "</a>" * 100000 + "</body>")
        attributes = (f"<body xmlns='{HTTPBIND}' rid='1' sid='{sid}' " +
                      " ".join(f"a{i}='x'" for i in range(30000)) + "/>")
        undeclared = f"<body xmlns='{HTTPBIND}' rid='1' sid='{sid}'>&lol9;</body>"
        pid = self.boshmux.proc.pid
        rss_before = rss_kib(pid)
        bad_before = self.metric("boshmux_bosh_bad_requests_total")
        bombs = {"billion laughs": laughs, "external entity": external, "deep nesting": deep,
                 "30000 attributes": attributes, "undeclared entity": undeclared}
        for name, bomb in bombs.items():
            for _ in range(3):
                started = time.monotonic()
                status, body = post(self.port, bomb)
                self.assertEqual(status, 200, name)
                self.assert_terminal(body, "bad-request")
                self.assertLess(time.monotonic() - started, 2, name)
        self.assertEqual(self.metric("boshmux_bosh_bad_requests_total") - bad_before,
                         3 * len(bombs))
        # Bounded memory: nothing expanded or kept (well under the size of one expansion).
        self.assertLess(rss_kib(pid) - rss_before, 64 * 1024)
        # The session whose sid the bombs carried was not touched, nor was anyone else.
        self.assert_alive(live, "after-bombs")

    # --- stanzas to the XMPP server ---------------------------------------------------------

    def test_a_stanza_over_max_upstream_stanza_is_bounced_and_a_smaller_one_delivered(self):
        self.start("--max-upstream-stanza", "4096")
        self.server.register("alice", "alicepw")
        alice = XmppClient(self.server.c2s_port, self.server.domain, "alice", "alicepw")
        self.addCleanup(alice.close)
        alice.send("<presence/>")  # available: the server delivers bare-JID chat to her
        sender = self.bystander()

        def message(id, size):
            """A chat message to alice of exactly `size` bytes as the client sends it, and
            its body text."""
            head = (f"<message xmlns='jabber:client' to='alice@{self.server.domain}' "
                    f"type='chat' id='{id}'><body>")
            tail = "</body></message>"
            body = "z" * (size - len(head) - len(tail))
            text = head + body + tail
            self.assertEqual(len(text.encode()), size)
            return text, body

        # Over the limit: back to its sender alone, as policy-violation, never to the server.
        big, _ = message("big", 5000)
        sender.send(big)
        bounced = sender.wait_for(lambda s: s.get("id") == "big", what="the bounce of 'big'")
        self.assertEqual(bounced.get("type"), "error")
        self.assertEqual(condition(bounced), "policy-violation")
        # Under it (the from-stamping adds a few bytes): through Prosody to alice.
        small, body = message("small", 3000)
        sender.send(small)
        got = alice.wait_for(lambda e: e.tag.endswith("message") and e.get("type") == "chat")
        self.assertEqual(got.get("id"), "small")  # the first chat she got: 'big' never came
        self.assertEqual(got.get("from"), sender.jid)
        self.assertEqual(got.findtext("{jabber:client}body"), body)
        self.assertFalse([s for s in sender.received if s.get("type") == "error"],
                         sender.received)
        # The component stream was never closed, and the refusal was counted.
        self.assertEqual(self.metric("boshmux_component_link_handshakes_total"), 1)
        self.assertEqual(self.metric("boshmux_stanzas_undeliverable_total"), 1)
        self.assert_alive(sender, "after-big")

    # --- slowloris and the connection cap ----------------------------------------------------

    def test_a_slowloris_request_gets_408_within_the_request_timeout(self):
        self.start("--request-timeout", "1")
        live = self.bystander()
        slow = [RawHttp(self.port) for _ in range(20)]
        for s in slow:
            self.addCleanup(s.close)
            s.send_raw("POST /http-bind HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        # Trickling a header line every 0.3 s does not extend the deadline.
        for _ in range(2):
            time.sleep(0.3)
            for s in slow:
                try:
                    s.send_raw("X-Slow: 1\r\n")
                except ConnectionError:
                    pass  # already cut off (a slow host): the 408 is read below

        for s in slow:
            status, _, _, _ = s.read_response(timeout=5)
            self.assertEqual(status, 408)
            self.assertTrue(s.closed_by_peer())
        self.assertLess(time.monotonic() - started, 3)
        self.assertEqual(self.metric("boshmux_http_request_errors_total", code="408"), 20)
        self.assert_alive(live, "after-slowloris")

    def test_connections_beyond_the_cap_are_closed_at_once_and_counted(self):
        self.start("--max-connections", "10")
        live = BoshClient(self.url, self.domain)
        live.login_anonymous()
        held = []
        for _ in range(10):
            s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            self.addCleanup(s.close)
            held.append(s)
        wait_for(lambda: self.metric("boshmux_http_connections_open") == 10, 5,
                 "the 10 connections to be open")
        extra = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        self.addCleanup(extra.close)
        try:
            self.assertEqual(extra.recv(1), b"")  # closed without a byte
        except ConnectionResetError:
            pass
        self.assertGreaterEqual(self.metric("boshmux_http_connections_rejected_total"), 1)
        self.assertEqual(self.metric("boshmux_http_connections_open"), 10)
        # Freeing slots lets clients in again; the session was never harmed.
        for s in held:
            s.close()
        time.sleep(0.3)
        self.assert_alive(live, "after-cap")


if __name__ == "__main__":
    unittest.main()
