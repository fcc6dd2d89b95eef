"""The component link lost and regained under live sessions (DESIGN: link loss): sessions are
kept for the grace period with their stanzas queued and flushed in order, and what the server
took without confirming it is written again; past the grace they end with
remote-connection-failed and what never reached the server comes back as errors.
Runs against Prosody, or ejabberd with BOSHMUX_TEST_UPSTREAM=ejabberd."""

import os
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from bosh_client import BoshClient, condition, tag  # noqa: E402
from harness import (XmppClient, start_boshmux, test_failed, upstream_server,  # noqa: E402
                     wait_for)
from test_operations import sample  # noqa: E402

DOMAIN = "bosh.localhost"
SECRET = "link-loss-secret"


class LinkLossTest(unittest.TestCase):
    def start(self, grace):
        self.server = upstream_server(components={DOMAIN: SECRET}).start()
        self.addCleanup(self.server.cleanup)
        self.server.register("alice", "alicepw")
        self.boshmux, port = start_boshmux(self, self.server, DOMAIN, SECRET,
                                           "--anonymous", "--log-level", "debug", "--link-grace",
                                           str(grace), "--reconnect-min", "0.1",
                                           "--reconnect-max", "0.3")
        self.addCleanup(self.dump_log_on_failure)  # runs first
        self.base = f"http://127.0.0.1:{port}"
        self.url = f"{self.base}/http-bind"

    def dump_log_on_failure(self):
        if test_failed(self):
            sys.stderr.write("--- boshmux log ---\n" + self.boshmux.log_text()[-8000:] + "\n")

    def test_messages_sent_while_the_server_restarts_arrive_once_and_in_order(self):
        self.start(grace=30)
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
        self.boshmux.wait_log("authenticated", count=2, timeout=15)
        # Flushed and confirmed before Alice comes online: the server keeps them for her in
        # order (with Alice coming online meanwhile, ejabberd can hand her a message it stored
        # while she was not yet available after later ones routed live).
        wait_for(lambda: self.link_metric("queue_bytes") == 0, 10, "the queue flushed")
        alice = self.alice_gets(me, ["seq 1", "seq 2", "seq 3"])
        # Nothing was bounced to the client, and the session still routes both ways.
        self.assertEqual([s for s in client.received if s.get("type") == "error"], [])
        alice.send(f"<message to='{me}' type='chat' id='back'><body>welcome back</body>"
                   "</message>")
        back = client.wait_for(lambda s: s.get("id") == "back", what="alice's answer")
        self.assertEqual(back.get("from"), "alice@localhost/test")
        self.assertIsNone(client.terminal)
        # Exactly once: no duplicate of seq 1..3 follows.
        with self.assertRaises((AssertionError, TimeoutError)):
            self.next_chat(alice, 1)

    def test_stanzas_the_server_took_but_never_handled_are_written_again(self):
        """The server frozen (SIGSTOP), then killed: what boshmux wrote meanwhile sat unread in
        its socket and died with it. The link kept those stanzas, unconfirmed, and writes them
        again on the next stream; they arrive once and in order."""
        self.start(grace=30)
        client = BoshClient(self.url, DOMAIN)
        me = client.login_anonymous()
        wait_for(lambda: self.link_metric("unconfirmed_stanzas") == 0, 5, "login confirmed")
        self.server.freeze()
        for i in range(1, 4):
            client.send(f"<message xmlns='jabber:client' to='alice@localhost' type='chat' "
                        f"id='f{i}'><body>frozen {i}</body></message>")
        # Written to the kernel, never confirmed: the frozen server answers no checkpoint.
        wait_for(lambda: self.link_metric("unconfirmed_stanzas") == 3, 5, "3 unconfirmed")
        self.server.kill()
        self.boshmux.wait_log("3 stanzas not confirmed by the server will be written again")
        self.server.start()
        self.boshmux.wait_log("authenticated", count=2, timeout=15)
        # Written again and confirmed: nothing left to write or to confirm.
        wait_for(lambda: self.link_metric("queue_bytes") == 0, 10, "all confirmed")
        self.assertEqual(self.link_metric("requeued_stanzas_total"), 3)
        # Alice was offline: the server stored them, and gives them to her now.
        alice = self.alice_gets(me, ["frozen 1", "frozen 2", "frozen 3"])
        with self.assertRaises((AssertionError, TimeoutError)):  # and no second copy
            self.next_chat(alice, 1)
        self.assertEqual([s for s in client.received if s.get("type") == "error"], [])
        self.assertIsNone(client.terminal)

    def alice_gets(self, sender, bodies):
        """Alice comes online and gets exactly `bodies` from `sender`, in order (from her
        offline storage); returns her connection."""
        alice = XmppClient(self.server.c2s_port, "localhost", "alice", "alicepw")
        self.addCleanup(alice.close)
        alice.send("<presence/>")
        chats = [self.next_chat(alice, 10) for _ in bodies]
        self.assertEqual([m.get("from") for m in chats], [sender] * len(bodies))
        self.assertEqual([m.find("{jabber:client}body").text for m in chats], bodies)
        return alice

    @staticmethod
    def next_chat(xmpp_client, timeout):
        return xmpp_client.wait_for(lambda e: e.tag.endswith("message") and
                                    e.find("{jabber:client}body") is not None, timeout=timeout)

    def link_metric(self, name):
        with urllib.request.urlopen(f"{self.base}/metrics", timeout=10) as r:
            text = r.read().decode()
        return sample(text, f"boshmux_component_link_{name}")

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
