"""The XEP-0114 component link against a real ejabberd 23.01 (the second upstream server)."""

import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from harness import STANZAS_NS, Boshmux, Ejabberd, XmppClient, port_open, wait_for  # noqa: E402

DOMAIN = "bosh.localhost"
SECRET = "t0p-s3cret"


class EjabberdLinkTest(unittest.TestCase):
    def setUp(self):
        self.ejabberd = Ejabberd(components={DOMAIN: SECRET}).start()
        self.addCleanup(self.ejabberd.cleanup)

    def boshmux(self, *extra, secret=SECRET):
        args = ["--domain", DOMAIN, "--upstream", f"127.0.0.1:{self.ejabberd.component_port}",
                "--listen", "127.0.0.1:0", "--log-level", "debug"] + list(extra)
        b = Boshmux(args, env={"BOSHMUX_SECRET": secret}).start()
        self.addCleanup(b.cleanup)
        return b

    def test_authenticates_as_the_component(self):
        b = self.boshmux()
        b.wait_log(rf"component {re.escape(DOMAIN)} authenticated")
        wait_for(lambda: "Accepted external component handshake authentication for "
                 f"{DOMAIN}" in self.ejabberd.log_text(), 5,
                 "ejabberd to log the component authentication")
        self.assertNotIn("link down", b.log_text())

    def test_chat_to_an_unknown_full_jid_is_answered_service_unavailable(self):
        self.ejabberd.register("alice", "alicepw")
        b = self.boshmux()
        b.wait_log("authenticated")
        alice = XmppClient(self.ejabberd.c2s_port, "localhost", "alice", "alicepw")
        self.addCleanup(alice.close)
        alice.send(f"<message to='nobody@{DOMAIN}/x' id='m1' type='chat'><body>hello</body>"
                   "</message>")
        line = b.wait_log(r"stanza in: (<message[^\n]*)")[0]
        self.assertIn(f"from='{alice.jid}'", line.replace('"', "'"))
        reply = alice.wait_for(lambda e: e.get("id") == "m1")
        self.assertEqual(reply.get("type"), "error")
        self.assertEqual(reply.get("from"), f"nobody@{DOMAIN}/x")
        self.assertIsNotNone(reply.find(f".//{{{STANZAS_NS}}}service-unavailable"))
        # ejabberd's check_from accepted boshmux's answer: the link stayed up.
        self.assertNotIn("link down", b.log_text())

    def test_wrong_secret_is_reported_once_and_retried(self):
        b = self.boshmux("--reconnect-min", "0.05", "--reconnect-max", "0.2", secret="wrong")
        b.wait_log(r"(link down|refused): not-authorized", timeout=10, count=3)
        self.assertIsNone(b.proc.poll(), "boshmux exited")
        log = b.log_text()
        errors = [l for l in log.splitlines() if " error " in l]
        self.assertEqual(len(errors), 1, log)
        self.assertIn("not-authorized", errors[0])
        self.assertIn("secret", errors[0])
        self.assertNotIn("wrong", log)  # the secret itself never reaches the log
        self.assertNotIn("authenticated", log)
        self.assertIsNotNone(self.ejabberd.proc and self.ejabberd.pids())  # still running

    def test_link_comes_back_after_ejabberd_is_killed_and_restarted(self):
        b = self.boshmux("--reconnect-min", "0.1", "--reconnect-max", "0.5")
        b.wait_log("authenticated")
        self.ejabberd.kill()
        self.assertFalse(port_open(self.ejabberd.component_port))
        b.wait_log("component link down")
        time.sleep(1.0)  # a few failed reconnects while ejabberd is down
        self.ejabberd.start()
        started = time.monotonic()
        b.wait_log("authenticated", timeout=10, count=2)
        self.assertLess(time.monotonic() - started, 0.5 + 1.0)  # one backoff + handshake
        # The new link works: a c2s user reaches boshmux through it.
        self.ejabberd.register("bob", "bobpw")
        bob = XmppClient(self.ejabberd.c2s_port, "localhost", "bob", "bobpw")
        self.addCleanup(bob.close)
        bob.send(f"<message to='nobody@{DOMAIN}/x' id='m2' type='chat'><body>hi</body>"
                 "</message>")
        reply = bob.wait_for(lambda e: e.get("id") == "m2")
        self.assertIsNotNone(reply.find(f".//{{{STANZAS_NS}}}service-unavailable"))


if __name__ == "__main__":
    unittest.main()
