"""The real gloox 1.0.24 BOSH client (tests/support/gloox_client) through boshmux, against a
real Prosody.

gloox is an old, quirky BOSH client: it puts the XMPP port in the Host header, sends
route='xmpp:<domain>:5222' and ack='0', parses response headers only as `Name: value`, asks
for private storage and the roster before it reports the login, and logs out with
type='terminal'. Every one of those has to work for it to get this far.
"""

import json
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from harness import NativeResponder, start_boshmux, test_binary, upstream_server  # noqa: E402

DOMAIN = "bosh.localhost"
SECRET = "gloox-secret"


def gloox(port, *args, timeout=20):
    """Runs gloox_client to completion; returns (exit code, [events], stderr)."""
    proc = subprocess.run([test_binary("gloox_client"), "--host", "127.0.0.1", "--port",
                           str(port), "--domain", DOMAIN, "--timeout", str(timeout), "--verbose"]
                          + list(args), capture_output=True, text=True, timeout=timeout + 10)
    events = [json.loads(l) for l in proc.stdout.splitlines() if l.startswith("{")]
    return proc.returncode, events, proc.stderr


def first(events, name):
    return next((e for e in events if e["event"] == name), None)


class GlooxTest(unittest.TestCase):
    def setUp(self):
        self.prosody = upstream_server(components={DOMAIN: SECRET}).start()
        self.addCleanup(self.prosody.cleanup)
        self.boshmux, self.port = start_boshmux(self, self.prosody, DOMAIN, SECRET,
                                                "--anonymous", "--log-level", "debug")

    def test_anonymous_login_and_clean_logout(self):
        code, events, err = gloox(self.port, "--anonymous")
        self.assertEqual(code, 0, f"{events}\n{err}")
        connected = first(events, "connected")
        self.assertIsNotNone(connected, events)
        self.assertRegex(connected["jid"], rf"^[0-9a-f-]{{36}}@{re.escape(DOMAIN)}/.+$")
        self.assertEqual(events[-1], {"event": "disconnected", "reason": "ConnUserDisconnected"})
        # The session ends at once because of gloox's terminating request (type='terminal');
        # an inactivity end would come only after 60 s.
        sid = self.boshmux.wait_log(r"\[sid=(\S+)\] session created")[0]
        self.boshmux.wait_log(rf"\[sid={re.escape(sid)}\] session ended: clean "
                              r"\(client-terminate\)", timeout=5)
        self.assertNotIn("(inactivity after", self.boshmux.log_text())

    def test_chat_both_ways_with_a_prosody_user(self):
        alice = NativeResponder(self.prosody, ["hi gloox"])
        self.addCleanup(alice.close)
        code, events, err = gloox(self.port, "--anonymous", "--send-to", "alice@localhost",
                                  "--body", "hello alice", "--expect", "1")
        received = alice.join()
        self.assertEqual(code, 0, f"{events}\n{err}")
        jid = first(events, "connected")["jid"]
        self.assertEqual(received["body"], "hello alice")
        self.assertEqual(received["from"], jid)  # stamped with gloox's full JID
        self.assertEqual(first(events, "message"),
                         {"event": "message", "from": "alice@localhost/test", "body": "hi gloox"})
        self.assertEqual(events[-1], {"event": "disconnected", "reason": "ConnUserDisconnected"})


if __name__ == "__main__":
    unittest.main()
