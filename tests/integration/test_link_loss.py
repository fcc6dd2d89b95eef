"""The component link lost and regained under live sessions (DESIGN: link loss): sessions are
kept for the grace period with their stanzas queued and flushed in order; past the grace they
end with remote-connection-failed and what never reached the server comes back as errors.
Runs against Prosody, or ejabberd with BOSHMUX_TEST_UPSTREAM=ejabberd."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from bosh_client import BoshClient, condition, tag  # noqa: E402
from harness import XmppClient, start_boshmux, test_failed, upstream_server  # noqa: E402

DOMAIN = "bosh.localhost"
SECRET = "link-loss-secret"


class LinkLossTest(unittest.TestCase):
    def start(self, grace, reconnect=("0.1", "0.3")):
        self.server = upstream_server(components={DOMAIN: SECRET}).start()
        self.addCleanup(self.server.cleanup)
        self.server.register("alice", "alicepw")
        self.boshmux, port = start_boshmux(self, self.server, DOMAIN, SECRET,
                                           "--anonymous", "--log-level", "debug", "--link-grace",
                                           str(grace), "--reconnect-min", reconnect[0],
                                           "--reconnect-max", reconnect[1])
        self.addCleanup(self.dump_log_on_failure)  # runs first
        self.url = f"http://127.0.0.1:{port}/http-bind"

    def dump_log_on_failure(self):
        if test_failed(self):
            sys.stderr.write("--- boshmux log ---\n" + self.boshmux.log_text()[-8000:] + "\n")

    def test_messages_sent_while_the_server_restarts_arrive_once_and_in_order(self):
        self.start(grace=30, reconnect=("1.5", "2"))
        client = BoshClient(self.url, DOMAIN)
        me = client.login_anonymous()
        client.send("<presence xmlns='jabber:client'/>")
        self.server.kill()
        self.boshmux.wait_log("component link lost: 1 sessions kept")
        # New sessions are refused meanwhile, the existing one keeps working.
        refused = BoshClient(self.url, DOMAIN)
        self.assertEqual(refused.open().get("condition"), "remote-connection-failed")
        for i in range(1, 4):
            client.send(f"<message xmlns='jabber:client' to='alice@localhost' type='chat' "
                        f"id='m{i}'><body>seq {i}</body></message>")
        self.server.start()
        alice = XmppClient(self.server.c2s_port, "localhost", "alice", "alicepw")
        self.addCleanup(alice.close)
        alice.send("<presence/>")
        self.boshmux.wait_log("authenticated", count=2, timeout=15)

        def next_chat(timeout):
            return alice.wait_for(lambda e: e.tag.endswith("message") and
                                  e.find("{jabber:client}body") is not None, timeout=timeout)

        chats = []
        try:
            while len(chats) < 3:
                chats.append(next_chat(5))
        except (AssertionError, TimeoutError):
            # boshmux's link came back, and flushed its queue, before the server had Alice
            # online again (a slow server start and a reconnect attempt can meet): the rest
            # went to her offline storage, which she gets when she comes online again.
            alice.close()
            alice = XmppClient(self.server.c2s_port, "localhost", "alice", "alicepw")
            self.addCleanup(alice.close)
            alice.send("<presence/>")
            while len(chats) < 3:
                chats.append(next_chat(15))
        self.assertEqual([m.get("from") for m in chats], [me] * 3)
        self.assertEqual([m.find("{jabber:client}body").text for m in chats],
                         ["seq 1", "seq 2", "seq 3"])
        # Nothing was bounced to the client, and the session still routes both ways.
        self.assertEqual([s for s in client.received if s.get("type") == "error"], [])
        alice.send(f"<message to='{me}' type='chat' id='back'><body>welcome back</body>"
                   "</message>")
        back = client.wait_for(lambda s: s.get("id") == "back", what="alice's answer")
        self.assertEqual(back.get("from"), "alice@localhost/test")
        self.assertIsNone(client.terminal)
        # Exactly once: no duplicate of seq 1..3 follows.
        with self.assertRaises((AssertionError, TimeoutError)):
            alice.wait_for(lambda e: e.tag.endswith("message") and
                           e.find("{jabber:client}body") is not None, timeout=1)

    def test_past_the_grace_sessions_end_and_queued_stanzas_bounce(self):
        self.start(grace=2)
        client = BoshClient(self.url, DOMAIN, wait=10)
        me = client.login_anonymous()
        self.server.kill()
        self.boshmux.wait_log("component link lost: 1 sessions kept")
        # Held until the grace ends: then the bounce and the terminal condition arrive.
        client.send("<message xmlns='jabber:client' to='alice@localhost' type='chat' id='lost'>"
                    "<body>never delivered</body></message>")
        while client.terminal is None:
            client.request()
        self.assertEqual(client.terminal.get("condition"), "remote-connection-failed")
        bounce = [s for s in client.received if tag(s) == "message" and s.get("id") == "lost"]
        self.assertEqual(len(bounce), 1, client.received)
        self.assertEqual(bounce[0].get("type"), "error")
        self.assertEqual(bounce[0].get("to"), me)
        self.assertEqual(bounce[0].get("from"), "alice@localhost")
        self.assertEqual(condition(bounce[0]), "remote-server-timeout")
        self.boshmux.wait_log(r"ending 1 sessions, bouncing 1 stanzas")
        self.boshmux.wait_log(r"session ended: remote-connection-failed \(link-lost\)")


if __name__ == "__main__":
    unittest.main()
