"""XEP-0124 over real HTTP: the HTTP server and the BOSH session engine, with an echo in place
of the XMPP layer (tests/support/bosh_echo_server)."""

import os
import re
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from harness import EchoServer, RawHttp, http_request, wait_for  # noqa: E402

NS = "http://jabber.org/protocol/httpbind"
SID = r"n1-[0-9a-f]{32}"


def creation(rid, extra="", ver="ver='1.11' "):
    return (f"<body content='text/xml; charset=utf-8' hold='1' rid='{rid}' to='bosh.example' "
            f"{ver}wait='10' xml:lang='en' xmpp:version='1.0' {extra}"
            f"xmlns='{NS}' xmlns:xmpp='urn:xmpp:xbosh'/>")


def req(sid, rid, payload="", attrs=""):
    if payload:
        return f"<body rid='{rid}' sid='{sid}' {attrs}xmlns='{NS}'>{payload}</body>"
    return f"<body rid='{rid}' sid='{sid}' {attrs}xmlns='{NS}'/>"


EMPTY = f"<body xmlns='{NS}'/>"


class BoshHttpTest(unittest.TestCase):
    def start(self, *args):
        server = EchoServer(*args)
        self.addCleanup(server.stop)
        return server

    def setUp(self):
        self.server = self.start("--inactivity", "3", "--max-wait", "10")

    def connect(self):
        c = RawHttp(self.server.port)
        self.addCleanup(c.close)
        return c

    def open_session(self, conn, rid=1000):
        conn.post(creation(rid))
        status, headers, _, body = conn.read_response()
        self.assertEqual(status, 200)
        return re.search(r"sid='([^']+)'", body.decode()).group(1)

    def assert_bosh_headers(self, headers, body):
        self.assertEqual(headers["content-type"], "text/xml; charset=utf-8")
        self.assertEqual(headers["cache-control"], "no-store")
        self.assertEqual(int(headers["content-length"]), len(body))

    def test_browser_like_session_byte_for_byte(self):
        a, b = self.connect(), self.connect()
        # Creation: answered at once with the session attributes and the layer's first payload.
        a.post(creation(1000))
        status, headers, _, body = a.read_response()
        self.assertEqual(status, 200)
        self.assert_bosh_headers(headers, body)
        m = re.fullmatch(
            rf"<body xmlns='{NS}' sid='({SID})' wait='10' requests='2' hold='1' "
            r"inactivity='3' polling='2' maxpause='120' ver='1.11' from='bosh.example' "
            r"xmlns:xmpp='urn:xmpp:xbosh' xmpp:version='1.0' xmpp:restartlogic='true'>"
            r"<ready xmlns='urn:boshmux:test'/></body>", body.decode())
        self.assertIsNotNone(m, body)
        sid = m.group(1)

        # A long-poll is held; a request with payload on the second connection releases it.
        a.post(req(sid, 1001))
        time.sleep(0.2)
        message = "<message xmlns='jabber:client' to='x@y'><body>h\u00e9llo \u2603</body></message>"
        b.post(req(sid, 1002, message))
        status, headers, _, body = a.read_response()
        self.assertEqual((status, body.decode()), (200, EMPTY))
        status, headers, _, body = b.read_response()
        self.assertEqual(body.decode(), f"<body xmlns='{NS}'>{message}</body>")
        self.assert_bosh_headers(headers, body)  # Content-Length counts bytes, not characters

        # A held request whose connection is aborted; the client resends the same rid on a
        # new connection and gets the kept answer, not an error.
        a.post(req(sid, 1003))
        time.sleep(0.2)
        a.close()
        wait_for(lambda: self.server.stats()["exchanges_aborted"] >= 1, 5, "the abort")
        c = self.connect()
        c.post(req(sid, 1003))
        status, _, _, body = c.read_response()
        self.assertEqual((status, body.decode()), (200, EMPTY))

        # Terminate while a poll is held: its payload goes up first; the held poll carries
        # type='terminate' and the terminate request itself gets an empty body.
        c.post(req(sid, 1004))
        time.sleep(0.2)
        b.post(req(sid, 1005, "<presence type='unavailable' xmlns='jabber:client'/>",
                   "type='terminate' "))
        status, _, _, body = c.read_response()
        self.assertEqual(body.decode(), f"<body xmlns='{NS}' type='terminate'/>")
        status, _, _, body = b.read_response()
        self.assertEqual(body.decode(), EMPTY)
        wait_for(lambda: sid in self.server.ended_sessions(), 5, "the session end")
        self.assertEqual(self.server.ended_sessions()[sid], ("none", "client-terminate"))

        # The session is gone: its sid is unknown now.
        b.post(req(sid, 1006))
        _, _, _, body = b.read_response()
        self.assertEqual(body.decode(),
                         f"<body xmlns='{NS}' type='terminate' condition='item-not-found'/>")

    def test_repeated_rid_replays_the_answer_without_reprocessing(self):
        c = self.connect()
        sid = self.open_session(c)
        c.post(req(sid, 1001, "<message xmlns='jabber:client' id='once'/>"))
        _, _, _, first = c.read_response()
        self.assertIn(b"id='once'", first)
        c.post(req(sid, 1001, "<message xmlns='jabber:client' id='once'/>"))
        _, _, _, again = c.read_response()
        self.assertEqual(first, again)
        # Not echoed a second time: the next poll gets nothing until wait expires.
        c.post(req(sid, 1002, "<message xmlns='jabber:client' id='next'/>"))
        _, _, _, body = c.read_response()
        self.assertNotIn(b"id='once'", body)
        self.assertIn(b"id='next'", body)

    def test_pipelined_requests_are_answered_in_order(self):
        c = self.connect()
        sid = self.open_session(c)
        # Two requests of the session written at once on one connection.
        first = req(sid, 1001).encode()
        second = req(sid, 1002, "<iq xmlns='jabber:client' id='p'/>").encode()
        c.send_raw(
            b"POST /http-bind HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n%s"
            b"POST /http-bind HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n%s"
            % (len(first), first, len(second), second))
        _, _, _, one = c.read_response()
        _, _, _, two = c.read_response()
        self.assertEqual(one.decode(), EMPTY)
        self.assertEqual(two.decode(), f"<body xmlns='{NS}'><iq xmlns='jabber:client' id='p'/></body>")

    def test_out_of_order_rids_are_processed_in_rid_order(self):
        a, b = self.connect(), self.connect()
        sid = self.open_session(a)
        b.post(req(sid, 1002, "<m xmlns='urn:t' n='2'/>"))
        time.sleep(0.2)
        a.post(req(sid, 1001, "<m xmlns='urn:t' n='1'/>"))
        _, _, _, one = a.read_response()
        _, _, _, two = b.read_response()
        # Both payloads went up in rid order; their echoes come back in the same order.
        self.assertEqual(one.decode(), EMPTY)
        self.assertEqual(two.decode(), f"<body xmlns='{NS}'><m xmlns='urn:t' n='1'/></body>")
        a.post(req(sid, 1003))
        _, _, _, three = a.read_response()
        self.assertEqual(three.decode(), f"<body xmlns='{NS}'><m xmlns='urn:t' n='2'/></body>")

    def test_held_request_is_answered_when_wait_expires(self):
        c = self.connect()
        c.post(creation(1000).replace("wait='10'", "wait='1'"))
        _, _, _, body = c.read_response()
        sid = re.search(r"sid='([^']+)'", body.decode()).group(1)
        started = time.monotonic()
        c.post(req(sid, 1001))
        _, _, _, body = c.read_response()
        elapsed = time.monotonic() - started
        self.assertEqual(body.decode(), EMPTY)
        self.assertGreater(elapsed, 0.9)
        self.assertLess(elapsed, 2.0)

    def test_connection_dropped_while_held_leaks_nothing(self):
        c = self.connect()
        sid = self.open_session(c)
        c.post(req(sid, 1001))
        time.sleep(0.2)
        c.close()
        wait_for(lambda: self.server.stats()["exchanges_aborted"] == 1, 5, "the abort")
        stats = self.server.stats()
        self.assertEqual(stats["sessions"], 1)
        self.assertEqual(stats["held"], 0)
        # Nobody comes back: the session ends after its inactivity period (3 s here).
        wait_for(lambda: sid in self.server.ended_sessions(), 8, "the inactivity end")
        self.assertEqual(self.server.ended_sessions()[sid], ("none", "inactivity"))
        stats = self.server.stats()
        self.assertEqual(stats["sessions"], 0)
        self.assertEqual(stats["connections_open"], 1)  # the /stats request itself

    def test_creation_errors(self):
        c = self.connect()
        c.post(f"<body rid='1' wait='10' hold='1' ver='1.11' xmlns='{NS}'/>")
        _, _, _, body = c.read_response()
        self.assertEqual(body.decode(),
                         f"<body xmlns='{NS}' type='terminate' condition='improper-addressing'/>")
        c.post(f"<body rid='1' to='other.example' ver='1.11' xmlns='{NS}'/>")
        _, _, _, body = c.read_response()
        self.assertEqual(body.decode(),
                         f"<body xmlns='{NS}' type='terminate' condition='host-unknown'/>")
        c.post(f"<body rid='x' to='bosh.example' xmlns='{NS}'/>")
        _, _, _, body = c.read_response()
        self.assertEqual(body.decode(),
                         f"<body xmlns='{NS}' type='terminate' condition='bad-request'/>")

    def test_unknown_sid_is_item_not_found(self):
        status, _, body = http_request(self.server.port, "POST", "/http-bind",
                                       req("n1-00000000000000000000000000000000", 5))
        self.assertEqual(status, 200)
        self.assertEqual(body, f"<body xmlns='{NS}' type='terminate' condition='item-not-found'/>")

    def test_legacy_client_gets_http_404_for_a_rid_out_of_window(self):
        c = self.connect()
        c.post(creation(1000, ver=""))
        _, _, _, body = c.read_response()
        sid = re.search(r"sid='([^']+)'", body.decode()).group(1)
        c.post(req(sid, 1500))
        status, _, _, body = c.read_response()
        self.assertEqual((status, body), (404, b""))

    def test_restart_is_passed_to_the_layer_above(self):
        c = self.connect()
        sid = self.open_session(c)
        c.post(req(sid, 1001, "<ignored/>", "xmpp:restart='true' xmlns:xmpp='urn:xmpp:xbosh' "))
        _, _, _, body = c.read_response()
        self.assertEqual(body.decode(),
                         f"<body xmlns='{NS}'><restarted xmlns='urn:boshmux:test'/></body>")

    def test_cors_preflight_and_headers(self):
        status, headers, _ = http_request(
            self.server.port, "OPTIONS", "/http-bind",
            headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST",
                     "Access-Control-Request-Headers": "content-type"})
        self.assertIn(status, (200, 204))
        self.assertIn(headers["access-control-allow-origin"], ("*", "https://app.example"))
        self.assertIn("POST", headers["access-control-allow-methods"])
        status, headers, _ = http_request(self.server.port, "POST", "/http-bind",
                                          creation(1), headers={"Origin": "https://app.example"})
        self.assertIn(headers["access-control-allow-origin"], ("*", "https://app.example"))

    def test_cors_origin_allow_list(self):
        server = self.start("--cors-origin", "https://good.example")
        _, headers, _ = http_request(server.port, "POST", "/http-bind", creation(1),
                                     headers={"Origin": "https://good.example"})
        self.assertEqual(headers["access-control-allow-origin"], "https://good.example")
        _, headers, _ = http_request(server.port, "POST", "/http-bind", creation(1),
                                     headers={"Origin": "https://evil.example"})
        self.assertNotIn("access-control-allow-origin", headers)

    def test_get_explains_the_endpoint(self):
        status, headers, body = http_request(self.server.port, "GET", "/http-bind")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/html"))
        self.assertIn("BOSH", body)

    def test_http_limits_have_their_status_codes(self):
        server = self.start("--max-body", "1000", "--header-timeout-ms", "500")
        status, _, _ = http_request(server.port, "POST", "/http-bind", "<body " + "x" * 2000)
        self.assertEqual(status, 413)
        status, _, _ = http_request(server.port, "PUT", "/http-bind", "x")
        self.assertEqual(status, 405)
        status, _, _ = http_request(server.port, "GET", "/nowhere")
        self.assertEqual(status, 404)
        status, _, _ = http_request(server.port, "GET", "/http-bind",
                                    headers={"X-Big": "y" * 10000})
        self.assertEqual(status, 431)
        # A slow client that sends half its headers and stalls gets 408 and is closed.
        slow = RawHttp(server.port)
        self.addCleanup(slow.close)
        slow.send_raw("POST /http-bind HTTP/1.1\r\nHost: h\r\nContent-Le")
        started = time.monotonic()
        status, _, _, _ = slow.read_response(timeout=5)
        self.assertEqual(status, 408)
        self.assertLess(time.monotonic() - started, 2.0)
        self.assertTrue(slow.closed_by_peer())

    def test_flood_of_invalid_requests_leaves_a_healthy_session_alone(self):
        c = self.connect()
        sid = self.open_session(c)
        stop = threading.Event()
        sent = [0]

        def flood():
            bad = [b"<body", f"<body rid='1' sid='{sid}' xmlns='wrong'/>".encode(),
                   req("n1-ffffffffffffffffffffffffffffffff", 1).encode(),
                   b"<!DOCTYPE x><body/>", b"\x00\xff\xfe"]
            while not stop.is_set():
                f = RawHttp(self.server.port)
                try:
                    for payload in bad:
                        f.post(payload)
                        f.read_response()
                        sent[0] += 1
                except (ConnectionError, OSError):
                    pass
                finally:
                    f.close()

        threads = [threading.Thread(target=flood) for _ in range(3)]
        for t in threads:
            t.start()
        try:
            latencies = []
            deadline = time.monotonic() + 10
            i = 0
            # Keep the healthy session busy until the flood has done real damage attempts.
            while (i < 20 or sent[0] < 200) and time.monotonic() < deadline:
                i += 1
                started = time.monotonic()
                c.post(req(sid, 1000 + i, f"<m xmlns='urn:t' i='{i}'/>"))
                _, _, _, body = c.read_response()
                latencies.append(time.monotonic() - started)
                self.assertEqual(body.decode(), f"<body xmlns='{NS}'><m xmlns='urn:t' i='{i}'/></body>")
        finally:
            stop.set()
            for t in threads:
                t.join()
        self.assertGreaterEqual(sent[0], 200)
        self.assertLess(max(latencies), 1.0)
        stats = self.server.stats()
        self.assertEqual(stats["sessions"], 1)
        self.assertGreater(stats["bad_requests"], 10)

    def test_clean_exit_after_sigterm_ends_sessions_with_system_shutdown(self):
        c = self.connect()
        sid = self.open_session(c)
        c.post(req(sid, 1001))
        time.sleep(0.2)
        self.assertEqual(self.server.stop(), 0)  # a sanitizer build reports leaks as non-zero
        _, _, _, body = c.read_response()
        self.assertEqual(body.decode(),
                         f"<body xmlns='{NS}' type='terminate' condition='system-shutdown'/>")


if __name__ == "__main__":
    unittest.main()
