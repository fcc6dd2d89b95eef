"""The XEP-0114 component link against a real Prosody (issue: foundation)."""

import os
import re
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from harness import STANZAS_NS, Boshmux, Prosody, XmppClient, wait_for  # noqa: E402

DOMAIN = "bosh.localhost"
SECRET = "t0p-s3cret"


class ComponentLinkTest(unittest.TestCase):
    def setUp(self):
        self.prosody = Prosody(components={DOMAIN: SECRET}).start()
        self.addCleanup(self.prosody.cleanup)

    def boshmux(self, *extra, secret=SECRET, env=None):
        args = ["--domain", DOMAIN, "--upstream", f"127.0.0.1:{self.prosody.component_port}",
                "--listen", "127.0.0.1:0", "--log-level", "debug"] + list(extra)
        env = dict(env or {})
        env["BOSHMUX_SECRET"] = secret
        b = Boshmux(args, env=env).start()
        self.addCleanup(b.cleanup)
        return b

    def test_authenticates_as_the_component(self):
        b = self.boshmux()
        b.wait_log(rf"component {re.escape(DOMAIN)} authenticated")
        wait_for(lambda: "External component successfully authenticated" in self.prosody.log_text(),
                 5, "prosody to log the component authentication")

    def test_message_from_prosody_user_reaches_boshmux_and_is_answered(self):
        self.prosody.register("alice", "alicepw")
        b = self.boshmux()
        b.wait_log("authenticated")
        alice = XmppClient(self.prosody.c2s_port, "localhost", "alice", "alicepw")
        self.addCleanup(alice.close)
        alice.send(f"<message to='someone@{DOMAIN}' id='m1' type='chat'><body>hello</body>"
                   "</message>")
        line = b.wait_log(r"stanza in: (<message[^\n]*)")[0]
        self.assertIn(f"from='{alice.jid}'", line.replace('"', "'"))
        self.assertIn("<body>hello</body>", line)
        # Nobody is logged in as someone@DOMAIN: the sender learns so (RFC 6121 8.5).
        reply = alice.wait_for(lambda e: e.get("id") == "m1")
        self.assertEqual(reply.get("type"), "error")
        self.assertEqual(reply.get("from"), f"someone@{DOMAIN}")
        self.assertIsNotNone(reply.find(f".//{{{STANZAS_NS}}}service-unavailable"))

    def test_wrong_secret_is_reported_once_and_retried(self):
        b = self.boshmux("--reconnect-min", "0.05", "--reconnect-max", "0.2", secret="wrong")
        b.wait_log(r"(link down|refused): not-authorized", timeout=10, count=3)
        log = b.log_text()
        errors = [l for l in log.splitlines() if " error " in l]
        self.assertEqual(len(errors), 1, log)
        self.assertIn("not-authorized", errors[0])
        self.assertIn("secret", errors[0])
        self.assertNotIn("wrong", log)  # the secret itself never reaches the log
        self.assertNotIn("authenticated", log)

    def test_unknown_domain_is_reported_as_host_unknown(self):
        args = ["--domain", "other.localhost", "--upstream",
                f"127.0.0.1:{self.prosody.component_port}", "--log-level", "info",
                "--reconnect-min", "0.05", "--reconnect-max", "0.2"]
        b = Boshmux(args, env={"BOSHMUX_SECRET": SECRET}).start()
        self.addCleanup(b.cleanup)
        b.wait_log(r"error .*host-unknown.*other\.localhost")

    def test_reconnects_after_prosody_restart_within_backoff_bound(self):
        reconnect_max = 1.0
        b = self.boshmux("--reconnect-min", "0.1", "--reconnect-max", str(reconnect_max))
        b.wait_log("authenticated")
        self.prosody.kill()
        b.wait_log("component link down")
        time.sleep(2 * reconnect_max)  # let the backoff reach its bound
        self.prosody.start()
        started = time.monotonic()
        b.wait_log("authenticated", timeout=10, count=2)
        elapsed = time.monotonic() - started
        # Bound: one maximal backoff delay plus connect/handshake time.
        self.assertLess(elapsed, reconnect_max + 1.0, f"reconnected after {elapsed:.2f}s")

    def test_dead_peer_is_detected_and_link_reestablished(self):
        b = self.boshmux("--keepalive", "0.4", "--reconnect-min", "0.1", "--reconnect-max", "0.5")
        b.wait_log("authenticated")
        os.killpg(self.prosody.proc.pid, signal.SIGSTOP)
        try:
            b.wait_log(r"did not answer", timeout=10)
        finally:
            os.killpg(self.prosody.proc.pid, signal.SIGCONT)
        b.wait_log("authenticated", timeout=15, count=2)

    def test_keepalive_ping_round_trip_keeps_an_idle_link_up(self):
        b = self.boshmux("--keepalive", "0.3")
        b.wait_log("authenticated")
        time.sleep(2.0)  # several keepalive intervals of silence
        log = b.log_text()
        self.assertNotIn("link down", log)
        self.assertEqual(len(re.findall("authenticated", log)), 1)
        self.assertNotIn("stanza in", log)  # our own pings are consumed by the link

    def test_sigterm_closes_the_stream_cleanly_and_exits_zero(self):
        b = self.boshmux()
        b.wait_log("authenticated")
        b.signal(signal.SIGTERM)
        self.assertEqual(b.wait(10), 0)
        b.wait_log("boshmux stopped")
        # Prosody saw our stream end before the connection closed (not a dropped socket).
        wait_for(lambda: "Received </stream:stream>" in self.prosody.log_text(), 5,
                 "prosody to receive the stream close")
        wait_for(lambda: f"component disconnected: {DOMAIN}" in self.prosody.log_text(), 5,
                 "prosody to drop the component")
        self.assertNotIn("reconnecting", b.log_text())


if __name__ == "__main__":
    unittest.main()
