"""xmpp4r (Debian ruby-xmpp4r 0.5.6, Jabber::HTTPBinding::Client) logging in through boshmux.

xmpp4r is a legacy BOSH client: its session request carries neither `ver` nor `xmpp:version`,
yet it must get the stream features, log in (it knows DIGEST-MD5, PLAIN and ANONYMOUS; boshmux
offers PLAIN for users-file accounts and ANONYMOUS with --anonymous), bind and chat.
The client is tests/support/xmpp4r_client.rb (it works around xmpp4r's own bugs).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from harness import NativeResponder, binary, start_boshmux, upstream_server  # noqa: E402

DOMAIN = "bosh.localhost"
SECRET = "xmpp4r-secret"
PASSWORD = "wherefore art thou"
# After the replies xmpp4r re-polls (empty rid N) and sends its flush ping (rid N+1) at once, on
# two connections, so N+1 often reaches boshmux first. Overactivity is judged in rid order, so
# the session must survive that race (it once ended with policy-violation here).
LINGER = ("--linger", "0")
CLIENT = os.path.join(os.path.dirname(__file__), "..", "support", "xmpp4r_client.rb")


def xmpp4r(url, *args, timeout=20):
    """Runs the client with --debug; returns (exit status, [JSON events], stderr)."""
    if shutil.which("ruby") is None:
        raise AssertionError("ruby is not installed (apt-get install ruby-xmpp4r)")
    proc = subprocess.run(["ruby", CLIENT, "--url", url, "--timeout", str(timeout), "--debug"]
                          + list(args), capture_output=True, text=True, timeout=timeout + 10)
    events = [json.loads(l) for l in proc.stdout.splitlines() if l.startswith("{")]
    return proc.returncode, events, proc.stderr


def creation_request(debug_log):
    """The body of xmpp4r's session creation request, from its --debug log."""
    m = re.search(r"HTTP REQUEST \(\d+/\d+\) sid=new rid=\d+:\n\s*(<body[^>]*>)", debug_log)
    return m.group(1) if m else None


class Xmpp4rTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="boshmux-xmpp4r-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        users = os.path.join(self.dir, "users")
        add = subprocess.run([binary(), "user", "add", "romeo", "--users-file", users],
                             input=PASSWORD + "\n", text=True, capture_output=True)
        self.assertEqual(add.returncode, 0, add.stderr)
        self.prosody = upstream_server(components={DOMAIN: SECRET}).start()
        self.addCleanup(self.prosody.cleanup)
        self.boshmux, port = start_boshmux(self, self.prosody, DOMAIN, SECRET,
                                           "--users-file", users, "--anonymous", "--log-level",
                                           "debug")
        self.url = f"http://127.0.0.1:{port}/http-bind"

    def assertEvent(self, events, name, stderr):
        found = [e for e in events if e.get("event") == name]
        self.assertTrue(found, f"no {name!r} event in {events}\n--- xmpp4r log ---\n{stderr}")
        return found[0]

    def test_legacy_client_logs_in_binds_and_terminates(self):
        code, events, err = xmpp4r(self.url, "--jid", f"romeo@{DOMAIN}", "--password", PASSWORD,
                                   "--resource", "ruby")
        self.assertEqual(code, 0, f"{events}\n--- xmpp4r log ---\n{err}")
        # What makes it a legacy client: no ver, no xmpp:version on the session request.
        request = creation_request(err)
        self.assertIsNotNone(request, err)
        self.assertNotIn(" ver=", request)
        self.assertNotIn("xmpp:version", request)
        self.assertEqual(self.assertEvent(events, "connected", err)["jid"], f"romeo@{DOMAIN}/ruby")
        self.assertEvent(events, "closed", err)
        self.boshmux.wait_log(rf"authenticated romeo@{re.escape(DOMAIN)} with PLAIN")
        self.boshmux.wait_log(r"session ended: clean \(client-terminate\)")

    def test_wrong_password_is_refused(self):
        code, events, err = xmpp4r(self.url, "--jid", f"romeo@{DOMAIN}", "--password", "wrong")
        self.assertEqual(code, 2, f"{events}\n--- xmpp4r log ---\n{err}")
        self.assertIn("not-authorized", self.assertEvent(events, "error", err)["error"])
        self.assertFalse([e for e in events if e["event"] == "connected"], events)

    def test_anonymous_login(self):
        code, events, err = xmpp4r(self.url, "--jid", DOMAIN, "--anonymous")
        self.assertEqual(code, 0, f"{events}\n--- xmpp4r log ---\n{err}")
        self.assertRegex(self.assertEvent(events, "connected", err)["jid"],
                         rf"^[0-9a-f-]{{36}}@{re.escape(DOMAIN)}/xmpp4r$")
        self.boshmux.wait_log(r"authenticated [0-9a-f-]{36}@\S+ with ANONYMOUS")

    def test_chats_both_ways_with_a_prosody_user(self):
        alice = NativeResponder(self.prosody, ["hi xmpp4r", "&lt;b&gt; &amp; ça"], timeout=15)
        self.addCleanup(alice.close)
        code, events, err = xmpp4r(self.url, "--jid", f"romeo@{DOMAIN}", "--password", PASSWORD,
                                   "--send-to", "alice@localhost", "--body", "hello alice",
                                   "--expect", "2", *LINGER)
        received = alice.join(20)
        self.assertEqual(code, 0, f"{events} {received}\n--- xmpp4r log ---\n{err}")
        jid = self.assertEvent(events, "connected", err)["jid"]
        self.assertEqual(jid, f"romeo@{DOMAIN}/xmpp4r")
        self.assertEqual(received.get("body"), "hello alice", received)
        self.assertEqual(received.get("from"), jid)
        replies = [e for e in events if e["event"] == "message"]
        self.assertEqual([r["body"] for r in replies], ["hi xmpp4r", "<b> & ça"])
        for r in replies:
            self.assertEqual(r["from"], "alice@localhost/test")
            self.assertEqual(r["to"], jid)
            self.assertEqual(r["type"], "chat")
        self.assertEvent(events, "closed", err)


if __name__ == "__main__":
    unittest.main()
