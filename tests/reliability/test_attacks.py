"""Limits under attack (issue 9, part 2), each with a healthy boshload population chatting
through Prosody (--no-local-routing) that must see no error, lose nothing and keep a bounded
latency while the attack runs; boshmux's resident memory is sampled throughout.

- bodies at and over the HTTP body limit (1 MiB: at it accepted, over it 413) and XML bombs
  (entity expansion, deep nesting, huge attribute counts) in session creations and in live
  sessions: each refused at once with a precise error, counted, memory bounded;
- one client stanza larger than the server accepts on the component stream (Prosody:
  component_stanza_size_limit, 512 KiB) but within boshmux's own limit (1 MiB): it must be
  refused to its sender, not written upstream, where it closes the component stream of every
  user;
- 10,000 slowloris connections trickling headers;
- reconnect storms: clients that create sessions, log in and abandon them;
- a flood of session creations from one address, then from a second one: the per-address
  creation rate refuses the first, --max-sessions the second, both with policy-violation,
  while other addresses keep creating sessions until the cap is full; the attacker's sessions
  expire and the room is back.
"""

import asyncio
import http.client
import os
import re
import resource
import sys
import threading
import time
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from bosh_client import BoshClient, tag  # noqa: E402
from harness import Prosody, RawHttp, start_boshmux, test_failed, wait_for  # noqa: E402
from reliability import (Boshload, RssSampler, chat_figures, metric_sum, metrics,  # noqa: E402
                         report, rss_bytes)

DOMAIN = "bosh.localhost"
SECRET = "attack-secret"
HTTPBIND = "http://jabber.org/protocol/httpbind"
BODY_LIMIT = 1024 * 1024  # README: HTTP limits, body 1 MiB (413)
MAX_LATENCY_MS = 2000  # healthy sessions, while an attack runs
SLOWLORIS_RSS_BOUND = 256 * 2**20  # 10,000 connections
STORM_RSS_BOUND = 128 * 2**20  # 3,000 abandoned sessions
# The creation flood: boshmux's limits, and the bound on its memory while it is flooded.
CREATION_RATE = 5  # --max-creations-per-address-rate, creations/s
CREATION_BURST = 50  # --max-creations-per-address-burst: the healthy 40 fit in 127.0.0.1's
MAX_SESSIONS = 120  # over the healthy 40 + one burst: only a second address reaches it
FLOOD_INACTIVITY = 12  # s: the attacker's sessions outlive both floods, then expire
CREATION_FLOOD_RSS_BOUND = 16 * 2**20


def creation_body(rid):
    """A session creation request (XEP-0206: ver, xmpp:version)."""
    return (f"<body xmlns='{HTTPBIND}' xmlns:xmpp='urn:xmpp:xbosh' rid='{rid}' to='{DOMAIN}' "
            "wait='10' hold='1' ver='1.11' xmpp:version='1.0'/>")


class AttackTest(unittest.TestCase):
    def start(self, *args):
        self.server = Prosody(components={DOMAIN: SECRET}, log_level="info").start()
        self.addCleanup(self.server.cleanup)
        self.boshmux, self.port = start_boshmux(self, self.server, DOMAIN, SECRET,
                                                "--anonymous", "--no-local-routing", *args)
        self.addCleanup(lambda: test_failed(self) and sys.stderr.write(
            "--- boshmux log ---\n" + self.boshmux.log_text()[-5000:] + "\n"))
        self.url = f"http://127.0.0.1:{self.port}/http-bind"
        self.rss = RssSampler(self.boshmux.proc.pid, interval=0.1)
        self.addCleanup(self.rss.stop)

    def healthy(self, seconds, sessions=40, rate=40, sources=2):
        """The healthy population: boshload chatting for `seconds`, started now, from
        127.0.0.1 .. 127.0.0.`sources`."""
        load = Boshload(self.port, DOMAIN, "--scenario", "chat", "--sessions", sessions,
                        "--wait", "10", "--no-presence", "--rates", rate, "--step-seconds",
                        seconds, "--sources", sources,
                        watch={"boshmux": self.boshmux.proc.pid}, timeout=seconds + 120)
        self.addCleanup(load.kill)
        wait_for(lambda: metrics(self.port).get("boshmux_sessions_active", 0) >= sessions or
                 load.proc.poll() is not None, 60, f"{sessions} healthy sessions")
        self.assertIsNone(load.proc.poll())
        self.baseline = rss_bytes(self.boshmux.proc.pid)
        self.attack_start = self.rss.now()
        return load

    def assert_healthy(self, load, name, **figures):
        """The healthy population saw no error, lost nothing, and stayed fast."""
        running = load.proc.poll() is None
        result = load.result()
        self.rss.stop()
        chat = result["chat"]
        text = chat_figures(result)
        worst = max(s["latency_ms"]["max"] for s in chat["steps"])
        peak = self.rss.peak_since(self.attack_start)
        report(name, healthy_sessions=int(load.cmd[load.cmd.index("--sessions") + 1]),
               sent=chat["sent"], lost=chat["lost"], errors=result["errors"],
               max_latency_ms=worst, p99_ms=max(s["latency_ms"]["p99"] for s in chat["steps"]),
               rss_baseline=self.baseline, rss_peak=peak, **figures)
        self.assertTrue(running, "the attack outlasted the healthy load: " + text)
        self.assertEqual(result["errors"], {}, text)
        self.assertEqual((chat["lost"], chat["duplicates"], chat["out_of_order"],
                          chat["lost_sessions"]), (0, 0, 0, 0), text)
        self.assertLess(worst, MAX_LATENCY_MS, text)
        return peak

    # ---- bodies and bombs ---------------------------------------------------------------

    def post(self, body):
        """One request on a fresh connection: (status, response body text)."""
        conn = RawHttp(self.port)
        try:
            conn.post(body)
            status, _, _, data = conn.read_response(timeout=10)
            return status, data.decode(errors="replace")
        finally:
            conn.close()

    def test_bodies_at_and_over_the_limit_and_xml_bombs_are_refused_at_once(self):
        self.start()
        load = self.healthy(seconds=14)
        before = metrics(self.port)

        def in_session(payload):
            """A body for a fresh, logged-in session of its own."""
            def make():
                attacker = BoshClient(self.url, DOMAIN, wait=1)
                attacker.login_anonymous()
                attacker.rid += 1
                return (f"<body xmlns='{HTTPBIND}' rid='{attacker.rid}' sid='{attacker.sid}'>"
                        f"{payload}</body>")
            return make

        creation = (f"<body xmlns='{HTTPBIND}' xmlns:xmpp='urn:xmpp:xbosh' rid='1000' "
                    f"to='{DOMAIN}' wait='10' hold='1' ver='1.11' xmpp:version='1.0'")
        laughs = "<!DOCTYPE body [<!ENTITY l0 'lol'>" + "".join(
            f"<!ENTITY l{i} '{('&l%d;' % (i - 1)) * 10}'>" for i in range(1, 10)) + "]>"
        depth = 120_000  # <a> is 3 bytes, </a> 4: under the body limit
        attrs = 100_000
        bombs = {
            "entity expansion, creation": lambda: laughs + creation + ">&l9;</body>",
            "entity expansion, in session": lambda: laughs + in_session(
                "<message xmlns='jabber:client' to='x@localhost'><body>&l9;</body>"
                "</message>")(),
            "deep nesting, creation":
                lambda: creation + ">" + "<a>" * depth + "</a>" * depth + "</body>",
            "deep nesting, in session": in_session("<a>" * depth + "</a>" * depth),
            "attributes, creation":
                lambda: creation + "".join(f" a{i}=''" for i in range(attrs)) + "/>",
            "attributes, in session": in_session(
                "<message xmlns='jabber:client' to='x@localhost'" +
                "".join(f" a{i}=''" for i in range(attrs)) + "/>"),
        }
        answers = {}
        for name, make in bombs.items():
            body = make()
            self.assertLessEqual(len(body.encode()), BODY_LIMIT, name)
            t = time.monotonic()
            status, text = self.post(body)
            cond = re.search(r"condition=['\"]([^'\"]*)", text)
            answers[name] = (status, round(time.monotonic() - t, 3), text[:300],
                             cond.group(1) if cond else None)
        # At the limit: accepted (whitespace between the stanzas of a live session's body);
        # the session goes on.
        rid_body = in_session("")()
        head, tail = rid_body[:-len("</body>")], "</body>"
        at_status, at_text = self.post(head + " " * (BODY_LIMIT - len((head + tail).encode())) +
                                       tail)
        at_terminated = "terminate" in at_text
        # Over the limit: 413.
        rid_body = in_session("")()
        head, tail = rid_body[:-len("</body>")], "</body>"
        over_status, _ = self.post(head + " " * (BODY_LIMIT + 1 - len((head + tail).encode())) +
                                   tail)
        after = metrics(self.port)
        bad = (metric_sum(after, "boshmux_bosh_bad_requests_total") -
               metric_sum(before, "boshmux_bosh_bad_requests_total"))
        peak = self.assert_healthy(load, "bodies-and-xml-bombs", bombs=len(bombs),
                                   bad_requests_counted=bad,
                                   answers={k: (v[0], v[1], v[3]) for k, v in answers.items()},
                                   at_limit=at_status, at_limit_terminated=at_terminated,
                                   over_limit=over_status)
        for name, (status, seconds, text, _) in answers.items():
            # Refused, and quickly: a 4xx, or a terminal bad-request.
            refused = status in (400, 413) or ("type='terminate'" in text or
                                               'type="terminate"' in text) and \
                "bad-request" in text
            self.assertTrue(refused, f"{name}: {status} {text}")
            self.assertLess(seconds, 2, name)
        self.assertEqual((at_status, at_terminated), (200, False))
        self.assertEqual(over_status, 413)
        self.assertEqual(bad, len(bombs))  # each counted in /metrics
        self.assertEqual(after["boshmux_component_link_handshakes_total"], 1)
        self.assertLess(peak - self.baseline, 64 * 2**20)

    def test_a_stanza_too_large_for_the_server_does_not_break_the_link(self):
        self.start()
        load = self.healthy(seconds=6)
        attacker = BoshClient(self.url, DOMAIN, wait=1)
        attacker.login_anonymous()
        # Within boshmux's limits (body 1 MiB, element 1 MiB), over Prosody's 512 KiB.
        size = 600 * 1024
        reply = attacker.send("<message xmlns='jabber:client' to='alice@localhost' "
                              f"type='chat' id='big'><body>{'z' * size}</body></message>")
        self.assertEqual(reply.get("type"), None)  # the request itself is fine
        time.sleep(2)
        for _ in range(2):
            attacker.request()
        bounced = [s for s in attacker.received if tag(s) == "message" and
                   s.get("id") == "big" and s.get("type") == "error"]
        m = metrics(self.port)
        handshakes = m["boshmux_component_link_handshakes_total"]
        self.assert_healthy(load, "stanza-over-server-limit", stanza_bytes=size,
                            link_handshakes=handshakes, bounced=len(bounced))
        # Nobody else noticed: the component stream was never closed ...
        self.assertEqual(handshakes, 1, self.boshmux.log_text()[-2000:])
        # ... and the sender learnt that its stanza was refused.
        self.assertEqual(len(bounced), 1, attacker.received)

    # ---- slowloris ----------------------------------------------------------------------

    def test_ten_thousand_slowloris_connections(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        need = 10_000 + 500
        self.assertGreaterEqual(hard, need, "raise the open-file limit (ulimit -n)")
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, need), hard))
        self.start()
        load = self.healthy(seconds=20)
        count, opened, stats = 10_000, [0], {"closed_by_server": 0, "refused": 0}

        async def slowloris(i, until):
            # Spread over loopback sources so that the attack does not run out of ports.
            source = f"127.0.{(i // 250) % 250 + 1}.{i % 250 + 1}"
            while time.monotonic() < until:
                try:
                    reader, writer = await asyncio.open_connection(
                        "127.0.0.1", self.port, local_addr=(source, 0))
                except OSError:
                    stats["refused"] += 1
                    await asyncio.sleep(1)
                    continue
                opened[0] += 1
                try:
                    writer.write(b"POST /http-bind HTTP/1.1\r\nHost: x\r\n")
                    while time.monotonic() < until:
                        await asyncio.sleep(2)
                        writer.write(b"X-a: b\r\n")  # one more header line, never the end
                        await writer.drain()
                        if reader.at_eof():
                            break
                    stats["closed_by_server"] += 1
                except (ConnectionError, OSError):
                    stats["closed_by_server"] += 1
                finally:
                    writer.close()

        async def attack(seconds):
            until = time.monotonic() + seconds
            tasks = []
            for i in range(count):
                tasks.append(asyncio.ensure_future(slowloris(i, until)))
                if i % 500 == 499:
                    await asyncio.sleep(0.05)
            peak = 0
            while time.monotonic() < until:
                await asyncio.sleep(0.25)
                try:
                    peak = max(peak, metrics(self.port)["boshmux_http_connections_open"])
                except OSError:
                    pass  # /metrics shares the listener: refused while it is full
            await asyncio.gather(*tasks, return_exceptions=True)
            return peak

        peak_open = asyncio.run(attack(14))
        peak = self.assert_healthy(load, "slowloris", connections=count, opened=opened[0],
                                   peak_open=peak_open, **stats)
        # All 10,000 attack connections were accepted and held at once for a while (how many
        # at the peak depends on how fast this host opens them: the 10 s request timeout
        # closes the first ones meanwhile), and the timeout closed every one of them.
        self.assertGreaterEqual(opened[0], count)
        self.assertGreater(peak_open, count * 0.4)
        self.assertGreaterEqual(stats["closed_by_server"], count)
        # Memory is bounded by the connection limit: about 20 KB per connection.
        self.assertLess(peak - self.baseline, SLOWLORIS_RSS_BOUND)

    # ---- reconnect storm ----------------------------------------------------------------

    def test_a_reconnect_storm_of_abandoned_sessions(self):
        self.start("--inactivity", "10")
        load = self.healthy(seconds=15)
        # Clients that log in and vanish without a goodbye, as fast as boshmux lets
        # them: each abandoned session lives until its inactivity timeout.
        storm = Boshload(self.port, DOMAIN, "--scenario", "idle", "--sessions", 3000,
                         "--login-concurrency", 50, "--wait", "1", "--duration", "1",
                         "--sources", "2", timeout=120)
        self.addCleanup(storm.kill)
        storm.proc.wait(60)
        storm.kill()  # its sessions are abandoned with their requests in flight
        created = metrics(self.port)["boshmux_sessions_created_total"]
        peak = self.assert_healthy(load, "reconnect-storm", abandoned=created - 40)
        self.assertGreater(created, 1000)
        # Then they all expire: boshmux is back to the healthy population, then to nothing.
        wait_for(lambda: metrics(self.port)["boshmux_sessions_active"] == 0, 40,
                 "the abandoned sessions to expire")
        self.assertLess(peak - self.baseline, STORM_RSS_BOUND)

    # ---- session-creation flood ---------------------------------------------------------

    def create_from(self, source, rid=1000):
        """One session creation from `source` on a fresh connection: (status, <body/>)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10,
                                          source_address=(source, 0))
        try:
            conn.request("POST", "/http-bind", body=creation_body(rid).encode(),
                         headers={"Content-Type": "text/xml; charset=utf-8"})
            response = conn.getresponse()
            return response.status, ET.fromstring(response.read())
        finally:
            conn.close()

    def flood_creations(self, source, seconds, workers=8):
        """Session creations from `source` for `seconds`, as fast as boshmux answers them, on
        `workers` keep-alive connections. Returns what the attacker saw: created (a
        session), refused (200 with a terminal policy-violation: what both limits answer to
        a client that sent `ver`), other answers, requests, and elapsed (first request sent
        to last answer read)."""
        seen = {"created": 0, "refused": 0, "other": [], "requests": 0, "reconnects": 0,
                "workers_done": 0}
        lock = threading.Lock()

        def worker(n, until):
            conn, rid = None, 10_000 * (n + 1)
            created = refused = requests = reconnects = 0
            other = []
            while time.monotonic() < until:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10,
                                                      source_address=(source, 0))
                rid += 1
                try:
                    conn.request("POST", "/http-bind", body=creation_body(rid).encode(),
                                 headers={"Content-Type": "text/xml; charset=utf-8"})
                    response = conn.getresponse()
                    data = response.read()
                    if response.will_close:
                        conn.close()
                        conn, reconnects = None, reconnects + 1
                except (OSError, http.client.HTTPException) as e:
                    other.append(repr(e))
                    conn.close()
                    conn, reconnects = None, reconnects + 1
                    continue
                requests += 1
                try:
                    body = ET.fromstring(data)
                except ET.ParseError:
                    other.append((response.status, data[:200]))
                    continue
                answer = (response.status, body.get("type"), body.get("condition"))
                if response.status == 200 and body.get("sid") and not body.get("type"):
                    created += 1
                elif answer == (200, "terminate", "policy-violation"):
                    refused += 1
                else:
                    other.append((response.status, data[:200]))
            if conn is not None:
                conn.close()
            with lock:
                seen["created"] += created
                seen["refused"] += refused
                seen["requests"] += requests
                seen["reconnects"] += reconnects
                seen["other"] += other
                seen["workers_done"] += 1

        started = time.monotonic()
        threads = [threading.Thread(target=worker, args=(n, started + seconds))
                   for n in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(seconds + 30)
        seen["elapsed"] = time.monotonic() - started
        self.assertEqual(seen.pop("workers_done"), workers, "a flood worker failed")
        return seen

    def tokens(self, elapsed):
        """The creations one address's bucket can grant while flooded for `elapsed` s: at most
        the burst plus what the rate refills in that time; at least as much less the time the
        first request and the last answer spent on their way (0.5 s allowed)."""
        return (CREATION_BURST + int(CREATION_RATE * max(0.0, elapsed - 0.5)),
                int(CREATION_BURST + CREATION_RATE * elapsed))

    def test_a_session_creation_flood_from_one_address(self):
        self.start("--max-creations-per-address-rate", str(CREATION_RATE),
                   "--max-creations-per-address-burst", str(CREATION_BURST),
                   "--max-sessions", str(MAX_SESSIONS), "--inactivity", str(FLOOD_INACTIVITY))
        healthy = 40
        # Every healthy session from 127.0.0.1 (within its burst); the attackers are 127.0.0.2
        # and 127.0.0.3.
        load = self.healthy(seconds=24, sessions=healthy, sources=1)
        m0 = metrics(self.port)
        self.assertEqual((m0["boshmux_sessions_active"], m0["boshmux_sessions_created_total"],
                          m0["boshmux_sessions_refused_total"]), (healthy, healthy, 0))

        def delta(m, name, before, **labels):
            return metric_sum(m, name, **labels) - metric_sum(before, name, **labels)

        # 1. One address floods: its burst is accepted, then the rate; every other creation is
        # refused with policy-violation and counted as rate-limited. A client of another
        # address (127.0.0.1) logs in meanwhile.
        flood = {}
        attacker = threading.Thread(target=lambda: flood.update(
            self.flood_creations("127.0.0.2", seconds=3)))
        attacker.start()
        time.sleep(0.5)
        newcomer_started = time.monotonic()
        newcomer = BoshClient(self.url, DOMAIN, wait=1)
        newcomer.login_anonymous()
        newcomer_pong = newcomer.ping("during-flood", DOMAIN).get("type")
        newcomer_seconds = time.monotonic() - newcomer_started
        newcomer_during_flood = attacker.is_alive()
        newcomer.terminate()
        attacker.join(40)
        self.assertIn("elapsed", flood, "the first flood failed")
        m1 = metrics(self.port)
        first = dict(flood, other=flood["other"][:5])
        lowest, highest = self.tokens(flood["elapsed"])
        created1 = delta(m1, "boshmux_sessions_created_total", m0)
        rate_limited1 = delta(m1, "boshmux_sessions_rate_limited_total", m0)
        over_capacity1 = delta(m1, "boshmux_sessions_over_capacity_total", m0)
        active1 = m1["boshmux_sessions_active"]

        # 2. A second address floods: it fills the cap; beyond it, policy-violation counted as
        # over capacity while its bucket still has tokens, then as rate-limited. Now the
        # healthy address (127.0.0.1), well within its own rate, is refused too, as over
        # capacity.
        flood = self.flood_creations("127.0.0.3", seconds=2)
        second = dict(flood, other=flood["other"][:5])
        lowest2, highest2 = self.tokens(flood["elapsed"])
        m2 = metrics(self.port)
        created2 = delta(m2, "boshmux_sessions_created_total", m1)
        rate_limited2 = delta(m2, "boshmux_sessions_rate_limited_total", m1)
        over_capacity2 = delta(m2, "boshmux_sessions_over_capacity_total", m1)
        full_status, full_body = self.create_from("127.0.0.1")
        m2b = metrics(self.port)
        full_counted = (delta(m2b, "boshmux_sessions_over_capacity_total", m2),
                        delta(m2b, "boshmux_sessions_rate_limited_total", m2))
        ended2 = delta(m2b, "boshmux_sessions_ended_total", m0)

        # 3. The attackers' sessions (never used after their creation) expire; the room is
        # back for everyone.
        expiry_started = time.monotonic()
        wait_for(lambda: metrics(self.port)["boshmux_sessions_active"] == healthy,
                 FLOOD_INACTIVITY + 15, "the attackers' sessions to expire")
        expired_after = time.monotonic() - expiry_started
        latecomer = BoshClient(self.url, DOMAIN, wait=1)
        latecomer.login_anonymous()
        latecomer_pong = latecomer.ping("after-expiry", DOMAIN).get("type")
        latecomer.terminate()
        m3 = metrics(self.port)
        expired = delta(m3, "boshmux_sessions_ended_total", m0, reason="inactivity")
        ended3 = delta(m3, "boshmux_sessions_ended_total", m0)

        peak = self.assert_healthy(
            load, "creation-flood", rate=CREATION_RATE, burst=CREATION_BURST,
            max_sessions=MAX_SESSIONS, first_address=first, second_address=second,
            rate_limited=[rate_limited1, rate_limited2],
            over_capacity=[over_capacity1, over_capacity2, full_counted[0]],
            newcomer_during_flood=newcomer_pong,
            newcomer_login_and_ping_s=round(newcomer_seconds, 3), refused_when_full=(
                full_status, full_body.get("condition")),
            expired=expired, expired_after_s=round(expired_after, 1),
            latecomer=latecomer_pong)
        # 1. The first address got its burst plus the rate, and nothing else: every other
        # answer was a terminal policy-violation, counted as rate-limited, none over capacity.
        self.assertEqual(first["other"], [])
        self.assertEqual(first["requests"], first["created"] + first["refused"])
        self.assertGreater(first["requests"], 1000)  # a flood, not a trickle
        self.assertTrue(lowest <= first["created"] <= highest,
                        (first["created"], lowest, highest))
        self.assertEqual(created1, first["created"] + 1)  # + the newcomer from 127.0.0.1
        self.assertEqual((rate_limited1, over_capacity1), (first["refused"], 0))
        self.assertEqual(delta(m1, "boshmux_sessions_refused_total", m0), first["refused"])
        self.assertEqual((newcomer_pong, newcomer_during_flood), ("result", True))
        self.assertEqual(active1, healthy + first["created"])  # the newcomer left
        # 2. The second address filled the cap exactly and was refused beyond it: what its
        # bucket granted past the cap as over capacity, the rest as rate-limited; 127.0.0.1,
        # within its own rate, was refused over capacity as well.
        self.assertEqual(second["other"], [])
        self.assertEqual(second["requests"], second["created"] + second["refused"])
        self.assertEqual(second["created"], MAX_SESSIONS - active1)
        self.assertEqual(created2, second["created"])
        self.assertEqual(m2["boshmux_sessions_active"], MAX_SESSIONS)
        self.assertEqual((full_status, full_body.get("type"), full_body.get("condition")),
                         (200, "terminate", "policy-violation"))
        self.assertEqual(rate_limited2 + over_capacity2, second["refused"])
        granted = second["created"] + over_capacity2  # the second address's tokens
        self.assertTrue(lowest2 <= granted <= highest2, (granted, lowest2, highest2))
        self.assertEqual(full_counted, (1, 0))  # over capacity, not rate-limited
        # Nobody's session ended meanwhile but the newcomer's own (client-terminate).
        self.assertEqual(ended2, 1)
        # 3. Each attacker session ended by inactivity, no other session did (but the
        # newcomer's and the latecomer's, by their terminate); then 127.0.0.1 was welcome
        # again.
        self.assertEqual(expired, first["created"] + second["created"])
        self.assertEqual(ended3, expired + 2)
        self.assertEqual(latecomer_pong, "result")
        self.assertLess(peak - self.baseline, CREATION_FLOOD_RSS_BOUND)


if __name__ == "__main__":
    unittest.main()
