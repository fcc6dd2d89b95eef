"""Faults (issue 9, part 3b): boshmux drained (SIGTERM) under chat load.

boshload chats at a steady rate through Prosody (--no-local-routing), and boshmux gets SIGTERM
in the middle of it. New sessions are refused at once with system-shutdown and /readyz fails;
the live sessions keep chatting for the drain period, then end with system-shutdown, and
boshmux exits 0. Nothing accepted before the signal is lost: every message boshload sent (all
of them before the sessions end, most of them before the signal) is delivered exactly once and
in order.
"""

import os
import signal
import sys
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from bosh_client import BoshClient  # noqa: E402
from harness import Prosody, start_boshmux, test_failed, wait_for  # noqa: E402
from reliability import (Boshload, RssSampler, chat_figures, metric_sum, metrics,  # noqa: E402
                         report)  # noqa: E402

DOMAIN = "bosh.localhost"
SECRET = "drain-secret"


class DrainTest(unittest.TestCase):
    def setUp(self):
        self.server = Prosody(components={DOMAIN: SECRET}, log_level="info").start()
        self.addCleanup(self.server.cleanup)

    def test_sigterm_under_load_loses_nothing_and_ends_with_system_shutdown(self):
        drain = 3
        self.boshmux, port = start_boshmux(self, self.server, DOMAIN, SECRET, "--anonymous",
                                           "--no-local-routing", "--drain-period", str(drain))
        self.addCleanup(lambda: test_failed(self) and sys.stderr.write(
            "--- boshmux log ---\n" + self.boshmux.log_text()[-6000:] + "\n"))
        rss = RssSampler(self.boshmux.proc.pid)
        self.addCleanup(rss.stop)
        sessions, rate = 100, 150
        # Step 1 sends for 4 s; step 2 sends nothing and keeps the sessions polling until
        # boshmux ends them.
        load = Boshload(port, DOMAIN, "--scenario", "chat", "--sessions", sessions,
                        "--wait", "10", "--no-presence", "--rates", f"{rate},0",
                        "--step-seconds", "4", timeout=120)
        self.addCleanup(load.kill)
        wait_for(lambda: metrics(port).get("boshmux_sessions_active") == sessions or
                 load.proc.poll() is not None, 60, f"{sessions} sessions")
        self.assertIsNone(load.proc.poll())
        time.sleep(2)  # half of step 1
        sent_before = metrics(port)
        self.boshmux.signal(signal.SIGTERM)
        signalled = time.monotonic()
        self.boshmux.wait_log(rf"signal 15: draining {sessions} sessions for up to {drain} s")
        # Draining: no new session, and the balancer is told so.
        late = BoshClient(f"http://127.0.0.1:{port}/http-bind", DOMAIN)
        self.assertEqual(late.open().get("condition"), "system-shutdown")
        with self.assertRaises(urllib.error.HTTPError) as ready:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5)
        self.assertEqual(ready.exception.code, 503)
        self.assertEqual(metrics(port)["boshmux_draining"], 1)
        code = self.boshmux.wait(timeout=drain + 15)
        exited_after = time.monotonic() - signalled
        self.assertEqual(code, 0, self.boshmux.log_text()[-3000:])
        self.assertGreaterEqual(exited_after, drain - 0.5)  # the sessions had their period
        result = load.result()
        rss.stop()
        chat = result["chat"]
        figures = chat_figures(result)
        # The only error any session saw is the end of the service, once per session.
        self.assertEqual(result["errors"], {"terminate:system-shutdown": sessions}, figures)
        self.assertEqual(chat["lost_sessions"], sessions, figures)
        # The signal came while boshload was sending ...
        self.assertGreater(metric_sum(sent_before, "boshmux_stanzas_received_total",
                                      **{"from": "client", "kind": "message"}), rate, figures)
        self.assertGreater(chat["sent"], rate * 3, figures)
        # ... and every message is accounted for: delivered, once, in order.
        self.assertEqual((chat["lost"], chat["duplicates"], chat["out_of_order"]), (0, 0, 0),
                         figures)
        self.assertEqual(chat["received"], chat["sent"], figures)
        report("drain-under-load", sessions=sessions, rate=rate, drain_period=drain,
               sent=chat["sent"], lost=chat["lost"], errors=result["errors"],
               exit_seconds=round(exited_after, 2), peak_rss=rss.peak)


if __name__ == "__main__":
    unittest.main()
