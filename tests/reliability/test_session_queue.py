"""The other bound on the way to a client: a session's own queue (session_limits::
max_queued_bytes, 1 MiB, proto/bosh/session_machine.hpp) for stanzas waiting for the client's
next request. A recipient that stops polling (or polls slower than stanzas arrive, as after a
stalled upstream lets 8 MiB through at once) fills it. Memory must stay bounded, and nothing
may vanish (DESIGN: "Nothing is dropped silently"): each stanza sent to it is either delivered
or comes back to its sender as an error.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from bosh_client import BoshClient, tag  # noqa: E402
from harness import Prosody, start_boshmux, test_failed  # noqa: E402
from reliability import metric_sum, metrics, report  # noqa: E402

DOMAIN = "bosh.localhost"
SECRET = "session-queue-secret"
SESSION_QUEUE_BYTES = 1024 * 1024
STANZA_BYTES = 200 * 1024


class SessionQueueTest(unittest.TestCase):
    def test_a_full_session_queue_bounces_instead_of_dropping(self):
        server = Prosody(components={DOMAIN: SECRET}, log_level="info").start()
        self.addCleanup(server.cleanup)
        boshmux, port = start_boshmux(self, server, DOMAIN, SECRET, "--anonymous")
        self.addCleanup(lambda: test_failed(self) and sys.stderr.write(
            "--- boshmux log ---\n" + boshmux.log_text()[-4000:] + "\n"))
        url = f"http://127.0.0.1:{port}/http-bind"
        receiver = BoshClient(url, DOMAIN, wait=1)
        to = receiver.login_anonymous()
        sender = BoshClient(url, DOMAIN, wait=1)
        sender.login_anonymous()
        # The receiver has no request open: eight 200 KiB messages (1.6 MiB) wait for it.
        count = 8
        ids = [f"q{i}" for i in range(count)]
        for pair in range(0, count, 2):
            sender.send("".join(
                f"<message xmlns='jabber:client' to='{to}' type='chat' id='{i}'>"
                f"<body>{'y' * STANZA_BYTES}</body></message>" for i in ids[pair:pair + 2]))
        delivered = []
        empty = 0
        while empty < 2:  # polls until two answers in a row bring nothing
            got = [s.get("id") for s in receiver.request() if tag(s) == "message"]
            delivered += got
            empty = 0 if got else empty + 1
        for _ in range(3):
            sender.request()
        bounced = [s.get("id") for s in sender.received
                   if tag(s) == "message" and s.get("type") == "error"]
        m = metrics(port)
        figures = (f"delivered {delivered} bounced {bounced} dropped "
                   f"{metric_sum(m, 'boshmux_stanzas_dropped_total')} undeliverable "
                   f"{metric_sum(m, 'boshmux_stanzas_undeliverable_total')}")
        report("session-queue-overflow", sent=count, delivered=len(delivered),
               bounced=len(bounced))
        # The bound holds: not all of it was queued for the receiver ...
        self.assertLess(len(delivered), count, figures)
        self.assertEqual(delivered, ids[:len(delivered)], figures)  # in order, no gap
        # ... and what was not queued came back to the sender.
        self.assertEqual(sorted(delivered + bounced), sorted(ids), figures)


if __name__ == "__main__":
    unittest.main()
