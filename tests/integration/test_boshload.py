"""A smoke run of boshload (the benchmarks' load generator) against boshmux and a real Prosody,
so that the tool never rots: a few sessions for a few seconds, each scenario, every message
accounted for."""

import json
import os
import subprocess
import sys
import tempfile
import unittest
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from harness import binary, start_boshmux, upstream_server  # noqa: E402

DOMAIN = "bosh.localhost"
SECRET = "boshload-secret"


class BoshloadSmokeTest(unittest.TestCase):
    def setUp(self):
        self.server = upstream_server(components={DOMAIN: SECRET}).start()
        self.addCleanup(self.server.cleanup)
        self.boshmux, self.port = start_boshmux(self, self.server, DOMAIN, SECRET, "--anonymous")

    def boshload(self, *args):
        """Runs boshload to completion; returns its result document."""
        out = os.path.join(tempfile.mkdtemp(prefix="boshload-"), "result.json")
        proc = subprocess.run(
            [binary("boshload"), "--url", f"http://127.0.0.1:{self.port}/http-bind",
             "--domain", DOMAIN, "--watch", f"boshmux={self.boshmux.proc.pid}", "--json", out,
             "--max-time", "60"] + list(args), capture_output=True, text=True, timeout=90)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertIn("boshload", proc.stdout)  # the human summary
        with open(out) as f:
            return json.load(f)

    def test_chat_pairs_deliver_every_message_once_in_order(self):
        result = self.boshload("--scenario", "chat", "--sessions", "10", "--rates", "20,50",
                               "--step-seconds", "2")
        self.assertEqual(result["errors"], {})
        self.assertEqual(result["logins"], {"completed": 10, "failed": 0})
        chat = result["chat"]
        self.assertEqual([s["offered_per_second"] for s in chat["steps"]], [20, 50])
        self.assertGreaterEqual(chat["sent"], 120)  # 2 s at 20/s and 2 s at 50/s, give or take
        self.assertEqual(chat["received"], chat["sent"])
        self.assertEqual((chat["lost"], chat["duplicates"], chat["out_of_order"]), (0, 0, 0))
        for step in chat["steps"]:
            self.assertEqual(step["delivered"], step["sent"])
            self.assertIsNotNone(step["latency_ms"]["p99"])
            self.assertLess(step["latency_ms"]["max"], 2000)
        # The watched process was measured: boshmux's resident memory is known.
        self.assertGreater(chat["steps"][0]["servers"]["boshmux"]["rss_bytes"], 1e6)
        self.assertGreater(result["self"]["cpu_seconds"], 0)

    def test_idle_sessions_are_held_and_measured(self):
        result = self.boshload("--scenario", "idle", "--sessions", "20", "--duration", "2",
                               "--wait", "5")
        self.assertEqual(result["errors"], {})
        idle = result["idle"]
        self.assertEqual((idle["sessions"], idle["lost_sessions"]), (20, 0))
        self.assertGreater(idle["servers"]["boshmux"]["rss_bytes"], 1e6)
        # One held request per session.
        self.assertGreaterEqual(result["connections"]["peak"], 20)

    def test_churn_logs_in_and_out_in_a_loop(self):
        result = self.boshload("--scenario", "churn", "--sessions", "8", "--login-concurrency",
                               "4", "--duration", "2")
        self.assertEqual(result["errors"], {})
        churn = result["churn"]
        self.assertGreater(churn["logins_per_second"], 5)
        self.assertGreater(churn["logouts_per_second"], 5)
        # Every session boshload ended was ended by boshmux as a client termination.
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=10) as r:
            metrics = r.read().decode()
        self.assertRegex(metrics, r'boshmux_sessions_ended_total\{[^}]*reason="client-terminate"')


if __name__ == "__main__":
    unittest.main()
