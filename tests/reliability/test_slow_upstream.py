"""Faults (issue 9, part 3c): the upstream answering slowly, through a TCP proxy
(stall_proxy.py) between boshmux and Prosody's component port.

The bound under test is the component link's write queue: link_config::max_queue_bytes, 8 MiB
(lib/component/link.hpp). When the server stops reading, boshmux's socket buffer fills, then
the queue; a stanza that does not fit is not queued: it goes back to its sender as
<message type='error'><error type='wait'><resource-constraint/></error></message> and is
counted in boshmux_stanzas_undeliverable_total. So:

- a stalled upstream under a flood of large stanzas: the queue stops at 8 MiB, the flooders
  get resource-constraint bounces, boshmux's resident memory stays bounded far below what was
  flooded; a healthy boshload population meanwhile sees no HTTP or session error, and each of
  its messages is delivered or bounced, none vanishes; when the stall ends the queue drains
  on the same component stream and every accepted stanza arrives;
- a slow upstream (a fixed delay on every chunk) only adds latency: nothing is lost;
- a server that stops reading while it keeps sending is declared dead (its ping goes
  unanswered) and the link is re-established.
"""

import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from bosh_client import BoshClient, condition, tag  # noqa: E402
from harness import Boshmux, Prosody, XmppClient, test_failed, wait_for  # noqa: E402
from reliability import (Boshload, RssSampler, chat_figures, metric_sum, metrics,  # noqa: E402
                         report, rss_bytes)
from stall_proxy import StallProxy  # noqa: E402

DOMAIN = "bosh.localhost"
SECRET = "slow-upstream-secret"
LINK_QUEUE_BYTES = 8 * 1024 * 1024  # link_config::max_queue_bytes
# A flood stanza: under Prosody's component_stanza_size_limit (512 KiB), four to a request.
FLOOD_STANZA_BYTES = 200 * 1024
FLOOD_PER_REQUEST = 4
FLOODERS = 12
FLOOD_REQUESTS_EACH = 10  # 12 x 10 x 4 x 200 KiB = 94 MiB offered while stalled
# What boshmux may grow by while the flood is bounced: the queue, plus request buffers
# (a body of up to 1 MiB per flooder, parsed and copied), plus allocator slack.
RSS_GROWTH_BOUND = 48 * 1024 * 1024


class Flooder(threading.Thread):
    """One session sending large messages to itself (through the server) while stalled."""

    def __init__(self, url, index):
        super().__init__(daemon=True)
        self.client = BoshClient(url, DOMAIN, wait=1)
        self.jid = self.client.login_anonymous(resource=f"flood{index}")
        self.index = index
        self.sent = []  # ids
        self.bounced = {}  # id -> (error type, condition)
        self.failure = None

    def message(self, mid):
        return (f"<message xmlns='jabber:client' to='{self.jid}' type='chat' id='{mid}'>"
                f"<body>{'x' * FLOOD_STANZA_BYTES}</body></message>")

    def run(self):
        try:
            for r in range(FLOOD_REQUESTS_EACH):
                ids = [f"f{self.index}-{r}-{k}" for k in range(FLOOD_PER_REQUEST)]
                self.client.send("".join(self.message(i) for i in ids))
                self.sent += ids
                self.collect()
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.failure = repr(e)

    def collect(self):
        keep = []
        for s in self.client.received:
            if tag(s) == "message" and s.get("type") == "error":
                error = s.find("{jabber:client}error")
                self.bounced[s.get("id")] = (error.get("type") if error is not None else None,
                                             condition(s))
            else:
                keep.append(s)
        self.client.received = keep

    def receive_the_rest(self, timeout):
        """After the stall: polls until each accepted message came back; returns their ids."""
        got = set()
        deadline = time.monotonic() + timeout
        # (a bounce can still be on its way: what is expected shrinks as they come in)
        while not set(self.sent) - set(self.bounced) <= got and time.monotonic() < deadline:
            self.client.request()
            self.collect()
            for s in self.client.received:
                if tag(s) == "message" and s.get("id"):
                    got.add(s.get("id"))
            self.client.received = []
        return got


class SlowUpstreamTest(unittest.TestCase):
    def start(self, *args):
        self.server = Prosody(components={DOMAIN: SECRET}, log_level="info").start()
        self.addCleanup(self.server.cleanup)
        self.proxy = StallProxy(self.server.component_port).start()
        self.addCleanup(self.proxy.stop)
        self.boshmux = Boshmux(["--domain", DOMAIN, "--upstream",
                                f"127.0.0.1:{self.proxy.port}", "--listen", "127.0.0.1:0",
                                "--anonymous", "--no-local-routing", *args],
                               env={"BOSHMUX_SECRET": SECRET}).start()
        self.addCleanup(self.boshmux.cleanup)
        self.addCleanup(lambda: test_failed(self) and sys.stderr.write(
            "--- boshmux log ---\n" + self.boshmux.log_text()[-6000:] + "\n"))
        self.boshmux.wait_log("authenticated")
        self.port = self.boshmux.wait_log(r"BOSH endpoint http://127\.0\.0\.1:(\d+)/http-bind")[0]
        self.url = f"http://127.0.0.1:{self.port}/http-bind"
        self.rss = RssSampler(self.boshmux.proc.pid, interval=0.1)
        self.addCleanup(self.rss.stop)

    def load(self, sessions, *args):
        load = Boshload(self.port, DOMAIN, "--scenario", "chat", "--sessions", sessions,
                        "--wait", "10", "--no-presence", *args,
                        watch={"boshmux": self.boshmux.proc.pid}, timeout=120)
        self.addCleanup(load.kill)
        wait_for(lambda: metrics(self.port).get("boshmux_sessions_active", 0) >= sessions or
                 load.proc.poll() is not None, 60, f"{sessions} sessions")
        if load.proc.poll() is not None:
            load.result()
            self.fail("boshload ended early")
        return load

    def test_a_stalled_upstream_fills_the_bounded_queue_then_bounces(self):
        self.start()
        flooders = [Flooder(self.url, i) for i in range(FLOODERS)]
        sessions, rate = 20, 20
        load = Boshload(self.port, DOMAIN, "--scenario", "chat", "--sessions", sessions,
                        "--wait", "10", "--no-presence", "--rates", rate, "--step-seconds", 22,
                        watch={"boshmux": self.boshmux.proc.pid}, timeout=120)
        self.addCleanup(load.kill)
        wait_for(lambda: metrics(self.port).get("boshmux_sessions_active", 0) ==
                 sessions + FLOODERS or load.proc.poll() is not None, 60, "the sessions")
        self.assertIsNone(load.proc.poll())
        time.sleep(2)
        baseline = rss_bytes(self.boshmux.proc.pid)
        self.proxy.stall()
        stalled_at = self.rss.now()
        for f in flooders:
            f.start()
        full = wait_for(lambda: metric_sum(metrics(self.port),
                                           "boshmux_stanzas_undeliverable_total") > 0,
                        30, "the first stanza refused by the full queue")
        self.assertTrue(full)
        queue_when_full = metrics(self.port)["boshmux_component_link_queue_bytes"]
        for f in flooders:
            f.join(60)
            self.assertIsNone(f.failure, f"flooder {f.index}")
        m = metrics(self.port)
        peak_stalled = self.rss.peak_since(stalled_at)
        offered = sum(len(f.sent) for f in flooders) * FLOOD_STANZA_BYTES
        flood_bounces = sum(len(f.bounced) for f in flooders)
        # The queue is bounded, and full.
        self.assertLessEqual(m["boshmux_component_link_queue_bytes"], LINK_QUEUE_BYTES)
        self.assertGreater(m["boshmux_component_link_queue_bytes"],
                           LINK_QUEUE_BYTES - 2 * FLOOD_STANZA_BYTES)
        self.assertLessEqual(queue_when_full, LINK_QUEUE_BYTES)
        # What did not fit came back with the precise error, counted.
        self.assertGreater(flood_bounces, len(flooders))
        kinds = {v for f in flooders for v in f.bounced.values()}
        self.assertEqual(kinds, {("wait", "resource-constraint")})
        undeliverable = metric_sum(m, "boshmux_stanzas_undeliverable_total")
        self.assertGreaterEqual(undeliverable, flood_bounces)
        # Memory stayed bounded while far more than the bound was offered.
        self.assertGreater(offered, 1.5 * RSS_GROWTH_BOUND)
        self.assertLess(peak_stalled - baseline, RSS_GROWTH_BOUND,
                        f"baseline {baseline} peak {peak_stalled} offered {offered}")
        # The stall ends: the queue drains on the same stream, accepted stanzas all arrive.
        stalled_for = self.rss.now() - stalled_at
        self.proxy.resume()
        wait_for(lambda: metrics(self.port)["boshmux_component_link_queue_bytes"] == 0, 30,
                 "the link queue to drain")
        missing = {}
        accepted_total = 0
        for f in flooders:
            got = f.receive_the_rest(timeout=15)
            accepted = set(f.sent) - set(f.bounced)
            accepted_total += len(accepted)
            if accepted - got:
                missing[f.index] = sorted(accepted - got)
        flood_bounces = sum(len(f.bounced) for f in flooders)  # late ones included
        kinds = {v for f in flooders for v in f.bounced.values()}
        self.assertEqual(kinds, {("wait", "resource-constraint")})
        m = metrics(self.port)
        self.assertEqual(m["boshmux_component_link_handshakes_total"], 1)
        self.assertEqual(m["boshmux_component_link_up"], 1)
        result = load.result()
        self.rss.stop()
        chat = result["chat"]
        load_bounces = metric_sum(m, "boshmux_stanzas_undeliverable_total") - flood_bounces
        figures = chat_figures(result) + f" load bounces {load_bounces}"
        worst = max(s["latency_ms"]["max"] for s in chat["steps"])
        report("stalled-upstream", sessions=sessions, rate=rate, flooders=FLOODERS,
               offered_bytes=offered, stalled_seconds=round(stalled_for, 1),
               flood_bounces=flood_bounces, load_bounces=load_bounces,
               queue_bytes_max=queue_when_full, rss_baseline=baseline, rss_peak=peak_stalled,
               errors=result["errors"], load_sent=chat["sent"], load_received=chat["received"],
               max_latency_ms=worst, flood_accepted=accepted_total, flood_vanished=missing)
        errors = dict(result["errors"])
        errors.pop("message-bounced", None)  # if boshload ever counts body-less bounces
        self.assertEqual(errors, {}, figures)
        self.assertEqual(chat["lost_sessions"], 0, figures)
        self.assertEqual(chat["duplicates"], 0, figures)
        # Each message of the healthy population was delivered or bounced, none vanished.
        self.assertEqual(chat["sent"] - chat["received"], load_bounces, figures)
        # Those delivered waited at most for the stall to end.
        self.assertLess(worst, (stalled_for + 5) * 1000, figures)
        # Every flood stanza the queue accepted reached its recipient once the stall ended
        # (through the recipients' own session queues: see test_session_queue.py).
        self.assertEqual(missing, {}, "accepted, never arrived")

    def test_a_slow_upstream_adds_latency_and_loses_nothing(self):
        self.start()
        delay = 0.15
        self.proxy.set_delay(delay)
        sessions, rate = 40, 100
        load = self.load(sessions, "--rates", rate, "--step-seconds", 6)
        result = load.result()
        self.rss.stop()
        chat = result["chat"]
        figures = chat_figures(result)
        self.assertEqual(result["errors"], {}, figures)
        self.assertEqual((chat["lost"], chat["duplicates"], chat["out_of_order"]), (0, 0, 0),
                         figures)
        self.assertGreater(chat["sent"], rate * 5, figures)
        # Each message crosses the proxy twice (to Prosody and back).
        p50 = chat["steps"][0]["latency_ms"]["p50"]
        self.assertGreaterEqual(p50, 2 * delay * 1000, figures)
        self.assertLess(chat["steps"][0]["latency_ms"]["max"], 2 * delay * 1000 + 2000, figures)
        report("slow-upstream", sessions=sessions, rate=rate, delay_s=delay, sent=chat["sent"],
               lost=chat["lost"], p50_ms=p50, max_ms=chat["steps"][0]["latency_ms"]["max"],
               errors=result["errors"], peak_rss=self.rss.peak)

    def test_a_server_that_talks_but_does_not_read_is_declared_dead(self):
        self.start("--keepalive", "1")  # a ping after 1 s without reading or writing
        self.server.register("bob", "bobpw")
        client = BoshClient(self.url, DOMAIN)
        me = client.login_anonymous()
        bob = XmppClient(self.server.c2s_port, "localhost", "bob", "bobpw")
        self.addCleanup(bob.close)
        talking = threading.Event()
        talking.set()

        def talk():  # the server keeps writing to boshmux: bob's messages to our user
            n = 0
            while talking.is_set():
                n += 1
                bob.send(f"<message to='{me}' type='chat' id='b{n}'><body>{n}</body></message>")
                time.sleep(0.05)

        talker = threading.Thread(target=talk, daemon=True)
        talker.start()
        self.addCleanup(talker.join, 5)
        self.addCleanup(talking.clear)
        time.sleep(1.5)
        self.proxy.stall()  # boshmux's stream is no longer read; the server's still flows
        stalled = time.monotonic()
        self.boshmux.wait_log("did not answer a ping", timeout=10)
        detected = time.monotonic() - stalled
        self.proxy.resume()
        self.boshmux.wait_log("authenticated", count=2, timeout=15)
        # Detected within the keepalive (1 s) + the unanswered ping's bound (1.5 s), with room.
        self.assertLess(detected, 6.0)
        # Through the new stream, the server's messages reach the session again.
        client.received = []
        before = self.server_messages(client)
        wait_for(lambda: self.server_messages(client) > before, 10, "bob's messages again")
        self.assertIsNone(client.terminal)
        report("upstream-talks-but-does-not-read", detected_s=round(detected, 2))

    @staticmethod
    def server_messages(client):
        client.request()
        return sum(1 for s in client.received if tag(s) == "message" and s.get("type") == "chat")


if __name__ == "__main__":
    unittest.main()
