"""Faults (issue 9, part 3a): the upstream Prosody killed (SIGKILL) under chat load.

boshmux runs with --no-local-routing, so every chat message of boshload crosses Prosody
(boshmux -> Prosody -> boshmux). tests/integration/test_link_loss.py proves the mechanism
with one client and a handful of stanzas; these tests hold it under a population:

- within the grace (default --link-grace 30), ten kills and restarts lose and reorder
  nothing: boshload's per-pair sequence numbers all arrive, in order, and no healthy session
  sees any error. boshmux writes again what the server had not confirmed when it died
  (lib/component/link.hpp), so a message can arrive twice: every duplicate must be one of the
  stanzas boshmux counted as requeued;
- past the grace, every session ends with remote-connection-failed, and every message that was
  still queued or unconfirmed comes back to its sender as a remote-server-timeout error, none
  silently dropped: received + bounced >= sent, where bounced is what boshmux logged and
  counted, and a message is both only when Prosody handled it without confirming it.
"""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from bosh_client import BoshClient, condition, tag  # noqa: E402
from harness import Prosody, start_boshmux, test_failed, wait_for  # noqa: E402
from reliability import (Boshload, RssSampler, chat_figures, metric_sum, metrics,  # noqa: E402
                         report)

DOMAIN = "bosh.localhost"
SECRET = "restart-secret"


class UpstreamRestartTest(unittest.TestCase):
    def start(self, *args):
        # Prosody logs at info: at debug it writes every stanza of the load.
        self.server = Prosody(components={DOMAIN: SECRET}, log_level="info").start()
        self.addCleanup(self.server.cleanup)
        self.boshmux, self.port = start_boshmux(
            self, self.server, DOMAIN, SECRET, "--anonymous", "--no-local-routing",
            "--reconnect-min", "0.2", "--reconnect-max", "0.5", *args)
        self.addCleanup(self.dump_log_on_failure)
        self.rss = RssSampler(self.boshmux.proc.pid)
        self.addCleanup(self.rss.stop)

    def dump_log_on_failure(self):
        if test_failed(self):
            sys.stderr.write("--- boshmux log ---\n" + self.boshmux.log_text()[-6000:] + "\n")

    def load(self, sessions, *args, timeout=200):
        load = Boshload(self.port, DOMAIN, "--scenario", "chat", "--sessions", sessions,
                        "--wait", "10", "--no-presence", *args,
                        watch={"boshmux": self.boshmux.proc.pid}, timeout=timeout)
        self.addCleanup(load.kill)
        # Chat starts as soon as the last login completed.
        wait_for(lambda: metrics(self.port).get("boshmux_sessions_active") == sessions or
                 load.proc.poll() is not None, 60, f"{sessions} sessions")
        if load.proc.poll() is not None:
            load.result()  # raises with boshload's output
            self.fail("boshload ended before the test could start its fault")
        return load

    def test_ten_restarts_within_the_grace_lose_nothing(self):
        self.start()
        sessions, rate, kills = 100, 100, 10
        load = self.load(sessions, "--rates", rate, "--step-seconds", 36)
        started = time.monotonic()
        time.sleep(2)  # chat under way
        for k in range(1, kills + 1):
            self.server.kill()
            self.boshmux.wait_log("component link lost", count=k, timeout=10)
            time.sleep(0.5)  # messages pile up in boshmux's link queue meanwhile
            self.server.start()
            self.boshmux.wait_log("authenticated", count=k + 1, timeout=20)
            time.sleep(1.5)  # and flow again
        kill_seconds = time.monotonic() - started
        # All ten restarts happened while boshload was still sending.
        running = load.proc.poll() is None
        result = load.result()
        self.assertTrue(running, "the load ended before the last restart: " + load.output)
        chat = result["chat"]
        figures = chat_figures(result)
        self.rss.stop()
        m = metrics(self.port)

        def messages(**labels):
            return int(metric_sum(m, "boshmux_stanzas_received_total" if "from" in labels else
                                  "boshmux_stanzas_sent_total", kind="message", **labels))
        # Where a lost message went missing: between boshmux's write to the server and its
        # return from it (to_server > to_clients), or on boshmux's side. (from="server" would
        # say it directly, but it is never counted: README.md, bug 6.)
        path = {"from_clients": messages(**{"from": "client"}),
                "to_server": messages(to="server"), "to_clients": messages(to="client")}
        requeued = int(m["boshmux_component_link_requeued_stanzas_total"])
        report("upstream-restart-within-grace", sessions=sessions, rate=rate, kills=kills,
               path=path, requeued=requeued,
               kill_seconds=round(kill_seconds, 1), sent=chat["sent"], lost=chat["lost"],
               duplicates=chat["duplicates"], out_of_order=chat["out_of_order"],
               errors=result["errors"], p99_ms=chat["steps"][0]["latency_ms"]["p99"],
               max_ms=chat["steps"][0]["latency_ms"]["max"], peak_rss=self.rss.peak)
        self.assertEqual(result["errors"], {}, figures)
        self.assertEqual(chat["lost_sessions"], 0, figures)
        self.assertGreater(chat["sent"], rate * 30, figures)
        self.assertEqual((chat["lost"], chat["out_of_order"]), (0, 0), figures)
        self.assertEqual(chat["received"], chat["sent"], figures)
        # At least once: a duplicate is a stanza Prosody handled and had not confirmed when it
        # died, which boshmux wrote again on the next stream.
        self.assertLessEqual(chat["duplicates"], requeued, figures)
        # The same sessions all along, and every restart was a new component stream.
        self.assertEqual(m["boshmux_sessions_created_total"], sessions)
        self.assertEqual(m["boshmux_component_link_handshakes_total"], kills + 1)
        self.assertEqual(metric_sum(m, "boshmux_stanzas_undeliverable_total"), 0)

    def test_past_the_grace_sessions_end_and_queued_messages_bounce(self):
        self.start("--link-grace", "3")
        sessions, rate = 40, 100
        load = self.load(sessions, "--rates", rate, "--step-seconds", 8)
        # An observer session of our own, to read the bounce's exact condition.
        observer = BoshClient(f"http://127.0.0.1:{self.port}/http-bind", DOMAIN, wait=10)
        me = observer.login_anonymous()
        time.sleep(2)
        self.server.kill()
        killed = time.monotonic()
        self.boshmux.wait_log(rf"component link lost: {sessions + 1} sessions kept")
        observer.send(f"<message xmlns='jabber:client' to='{me}' type='chat' id='queued'>"
                      "<body>after the kill</body></message>")
        while observer.terminal is None:
            observer.request()
        ended_after = time.monotonic() - killed
        self.assertEqual(observer.terminal.get("condition"), "remote-connection-failed")
        bounce = [s for s in observer.received if tag(s) == "message" and
                  s.get("id") == "queued"]
        self.assertEqual(len(bounce), 1, observer.received)
        self.assertEqual(bounce[0].get("type"), "error")
        self.assertEqual(condition(bounce[0]), "remote-server-timeout")
        self.assertGreaterEqual(ended_after, 2.5)  # the grace (3 s) runs from the detection
        logged = self.boshmux.wait_log(
            r"still down after 3 s: ending (\d+) sessions, bouncing (\d+) stanzas")
        ended, bounced = (int(x) for x in logged[0])
        result = load.result()
        chat = result["chat"]
        figures = chat_figures(result) + f" boshmux ended {ended} bounced {bounced}"
        # Every boshload session, and the observer, ended with remote-connection-failed and
        # nothing else went wrong.
        self.assertEqual(ended, sessions + 1, figures)
        errors = dict(result["errors"])
        self.assertEqual(errors.pop("terminate:remote-connection-failed", 0), sessions, figures)
        # boshload counts a bounce only when it carries a <body> (see the README: boshmux's
        # bounces carry none), so the bounces are accounted from boshmux's side below.
        errors.pop("message-bounced", 0)
        self.assertEqual(errors, {}, figures)
        self.assertEqual(chat["lost_sessions"], sessions, figures)
        # The load went on during the grace (3 s at `rate`): its queued messages came back.
        bounced_to_load = bounced - 1  # the observer's is one of them
        self.assertGreater(bounced_to_load, rate, figures)
        # None vanished: each message boshmux accepted was delivered or bounced, even those in
        # Prosody's custody at the SIGKILL (boshmux keeps them until Prosody confirms them). A
        # message Prosody handled but had not confirmed is both delivered and bounced: at
        # most the stanzas boshmux took back unconfirmed when the stream was lost.
        m = metrics(self.port)
        requeued = int(m["boshmux_component_link_requeued_stanzas_total"])
        accepted = int(metric_sum(m, "boshmux_stanzas_received_total", kind="message",
                                  **{"from": "client"})) - 1  # the observer's
        both = chat["received"] + bounced_to_load - accepted
        figures += f" requeued {requeued} accepted from clients {accepted}"
        self.assertGreaterEqual(both, 0, figures)
        self.assertLessEqual(both, requeued, figures)
        # And boshmux took every message boshload sent, but for those in a request that came
        # after its session had ended (the request gets the session's terminal answer, kept
        # for it, and its payload is not taken): one per session at most. Messages still
        # waiting for a request when their session ended boshload counts apart, as unsent.
        self.assertGreaterEqual(chat["sent"] - accepted, 0, figures)
        self.assertLessEqual(chat["sent"] - accepted, sessions, figures)
        self.assertEqual((chat["duplicates"], chat["out_of_order"]), (0, 0), figures)
        self.assertEqual(metric_sum(m, "boshmux_sessions_ended_total",
                                    condition="remote-connection-failed", reason="link-lost"),
                         sessions + 1)
        self.assertEqual(metric_sum(m, "boshmux_stanzas_undeliverable_total"), bounced)
        # Each bounce was written to its sender's session as an error stanza.
        self.assertGreaterEqual(metric_sum(m, "boshmux_stanza_errors_sent_total"), bounced)
        self.assertEqual(m["boshmux_sessions_active"], 0)
        self.rss.stop()
        report("upstream-down-past-grace", sessions=sessions, rate=rate, grace=3,
               sent=chat["sent"], unsent=chat["unsent"], accepted=accepted,
               received=chat["received"],
               bounced=bounced,
               delivered_and_bounced=both, requeued=requeued,
               errors=result["errors"], peak_rss=self.rss.peak)


if __name__ == "__main__":
    unittest.main()
