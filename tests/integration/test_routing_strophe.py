"""End-to-end routing through boshmux: Strophe.js (npm, under Node) as the web client, a
private XMPP server with a MUC component (Prosody, or ejabberd with BOSHMUX_TEST_UPSTREAM=
ejabberd), native users of that server on plain c2s.

Every Strophe session is a Node process (tests/e2e/session.mjs) scripted with JSON lines;
it reports every stanza it receives with the namespace the DOM gave it. Each test counts
what arrives, so a stanza lost, duplicated, mis-addressed or in the wrong namespace fails it.
Where the two servers legitimately send different stanzas (MUC details), the tests list what
each one sends and still account for every stanza received.
"""

import functools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from harness import Ejabberd, XmppClient, binary, start_boshmux, upstream_server  # noqa: E402

DOMAIN = "bosh.localhost"
SECRET = "routing-secret"
XMPP_DOMAIN = "localhost"
MUC = "conference.localhost"
CLIENT_NS = "jabber:client"
MUC_NS = "http://jabber.org/protocol/muc"
MUC_USER_NS = "http://jabber.org/protocol/muc#user"
CAPS_NS = "http://jabber.org/protocol/caps"
STANZAS_NS = "urn:ietf:params:xml:ns:xmpp-stanzas"
E2E_DIR = os.path.join(os.path.dirname(__file__), "..", "e2e")
SESSION_JS = os.path.join(E2E_DIR, "session.mjs")
SETTLE = 0.7  # quiet time before counting: a duplicate or a stray copy would show up by then


def bare(jid):
    return jid.split("/", 1)[0] if jid else jid


def xml_attr(value):
    return value.replace("&", "&amp;").replace("'", "&apos;").replace("<", "&lt;")


class Stanza:
    """One received stanza, the same view whichever client got it."""

    def __init__(self, elem, seq):
        self.elem = elem
        self.seq = seq  # arrival order within its client
        if elem.tag.startswith("{"):
            self.ns, self.name = elem.tag[1:].split("}", 1)
        else:
            self.ns, self.name = None, elem.tag
        self.frm = elem.get("from")
        self.to = elem.get("to")
        self.type = elem.get("type")
        self.id = elem.get("id")

    @property
    def body(self):
        return self.elem.findtext(f"{{{CLIENT_NS}}}body")

    @property
    def subject(self):
        """The text of a <subject/> child ("" when empty), None when there is none."""
        subject = self.elem.find(f"{{{CLIENT_NS}}}subject")
        return None if subject is None else (subject.text or "")

    def muc_statuses(self):
        return {s.get("code") for s in self.elem.iter(f"{{{MUC_USER_NS}}}status")}

    def error_condition(self):
        err = self.elem.find(f"{{{CLIENT_NS}}}error")
        if err is None:
            return None, None
        conds = [c.tag.split("}", 1)[1] for c in err if c.tag.startswith(f"{{{STANZAS_NS}}}")]
        return err.get("type"), conds

    def __repr__(self):
        return ET.tostring(self.elem, encoding="unicode")


class Inbox:
    """Stanzas received by one client, appended by a reader thread, waited on by the test."""

    def __init__(self, name):
        self.name = name
        self.items = []
        self.cond = threading.Condition()
        self.closed = False

    def add(self, elem, dom_ns=None):
        with self.cond:
            stanza = Stanza(elem, len(self.items))
            stanza.dom_ns = dom_ns if dom_ns is not None else stanza.ns
            self.items.append(stanza)
            self.cond.notify_all()

    def close(self):
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def all(self, predicate=lambda s: True):
        with self.cond:
            return [s for s in self.items if predicate(s)]

    def wait(self, predicate, timeout=10, what="a stanza", count=1):
        """Waits until `count` stanzas satisfy `predicate`; returns them."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                found = [s for s in self.items if predicate(s)]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"{self.name}: timed out after {timeout}s waiting for {what} "
                        f"(got {len(found)} of {count}); received:\n" + self.dump())
                self.cond.wait(remaining)

    def dump(self):
        return "\n".join(f"  {s!r}" for s in self.items) or "  (nothing)"


def message(body, type_="chat"):
    return lambda s: s.name == "message" and s.body == body and s.type == type_


class StropheSession:
    """A Node process running tests/e2e/session.mjs: one Strophe.js BOSH session."""

    def __init__(self, name, url, *args):
        if not os.path.isdir(os.path.join(E2E_DIR, "node_modules", "strophe.js")):
            raise AssertionError("tests/e2e/node_modules missing: deploy/local/test.sh installs it")
        self.name = name
        self.inbox = Inbox(name)
        self.events = []
        self.stderr = []
        self.cond = threading.Condition()
        self.proc = subprocess.Popen(
            ["node", SESSION_JS, "--url", url, "--domain", DOMAIN] + list(args),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            cwd=E2E_DIR, start_new_session=True)
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()
        self.jid = None
        self.sid = None

    def _read_stdout(self):
        for line in self.proc.stdout:
            line = line.strip()
            if not line.startswith("{"):
                continue
            event = json.loads(line)
            if event.get("ev") == "stanza":
                # The namespace Strophe's DOM gave the element, next to the one its
                # serialisation carries (they must agree; assert_clean_inbox checks both).
                self.inbox.add(ET.fromstring(event["xml"]), dom_ns=event.get("ns"))
            with self.cond:
                self.events.append(event)
                self.cond.notify_all()
        self.inbox.close()
        with self.cond:
            self.events.append({"ev": "eof"})
            self.cond.notify_all()

    def _read_stderr(self):
        for line in self.proc.stderr:
            self.stderr.append(line.rstrip("\n"))

    def wait_event(self, predicate, timeout=15, what="an event"):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for e in self.events:
                    if predicate(e):
                        return e
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"{self.name}: timed out waiting for {what}; "
                                         f"events: {self.events} stderr: {self.stderr}")
                self.cond.wait(remaining)

    def ready(self, timeout=15):
        """Waits for login (or attach); returns the full JID."""
        event = self.wait_event(lambda e: e["ev"] in ("ready", "eof") or (
            e["ev"] == "status" and e["status"] in ("AUTHFAIL", "CONNFAIL")), timeout,
            "login")
        if event["ev"] != "ready":
            raise AssertionError(f"{self.name}: login failed: {self.events} {self.stderr}")
        self.jid, self.sid = event["jid"], event["sid"]
        return self.jid

    def command(self, **cmd):
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()

    def send(self, xml):
        self.command(cmd="send", xml=xml)

    def state(self):
        """The jid, BOSH sid and next rid the session reports right now."""
        with self.cond:
            before = sum(1 for e in self.events if e["ev"] == "state")
        self.command(cmd="state")
        deadline = time.monotonic() + 10
        with self.cond:
            while True:
                states = [e for e in self.events if e["ev"] == "state"]
                if len(states) > before:
                    return states[before]
                if time.monotonic() > deadline:
                    raise AssertionError(f"{self.name}: no state reported: {self.events}")
                self.cond.wait(0.1)

    def disconnect(self, timeout=15):
        self.command(cmd="disconnect")
        self.wait_event(lambda e: e["ev"] == "status" and e["status"] == "DISCONNECTED",
                        timeout, "DISCONNECTED")
        self.proc.wait(timeout)

    def exit(self):
        """Leaves without a word to the server (a page reload); returns jid, sid, rid."""
        self.command(cmd="exit")
        event = self.wait_event(lambda e: e["ev"] == "exit", 10, "exit")
        self.proc.wait(10)
        return event

    def kill(self):
        """The browser tab vanishes: SIGKILL, its connections drop."""
        self.proc.kill()
        self.proc.wait(10)

    def cleanup(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                f.close()
            except OSError:
                pass

    def wire_out(self):
        with self.cond:
            return [e["data"] for e in self.events if e["ev"] == "wire-out"]

    def describe(self):
        events = [e for e in self.events if e["ev"] != "stanza"]
        return (f"--- strophe {self.name} ({self.jid}) received ---\n{self.inbox.dump()}\n"
                f"--- strophe {self.name} events and wire (last 60) ---\n"
                + "\n".join(json.dumps(e) for e in events[-60:])
                + ("\n--- stderr ---\n" + "\n".join(self.stderr[-30:]) if self.stderr else ""))


class NativeClient:
    """A Prosody user on plain c2s (harness.XmppClient) with a reader thread."""

    def __init__(self, prosody, user, password, resource="native"):
        self.name = user
        self.client = XmppClient(prosody.c2s_port, XMPP_DOMAIN, user, password, resource)
        self.jid = self.client.jid
        self.inbox = Inbox(user)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while True:
            try:
                elem = self.client.next_element(timeout=3600)
            except Exception:  # closed
                break
            self.inbox.add(elem)
        self.inbox.close()

    def send(self, xml):
        self.client.send(xml)

    def close(self):
        try:
            self.client.send("</stream:stream>")
            self.client.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.client.sock.close()

    def describe(self):
        return f"--- native {self.name} ({self.jid}) received ---\n{self.inbox.dump()}"


def dump_on_failure(test):
    """Prints boshmux's log and what every client received when the test fails."""

    @functools.wraps(test)
    def wrapper(self):
        try:
            test(self)
        except BaseException:
            parts = [f"\n===== {self.id()} failed ====="]
            for c in self.clients:
                parts.append(c.describe())
            if self.boshmux is not None:
                parts.append("--- boshmux log ---\n" + self.boshmux.log_text())
            sys.stderr.write("\n".join(parts) + "\n")
            raise

    return wrapper


class StropheRoutingTest(unittest.TestCase):
    def setUp(self):
        self.clients = []
        self.boshmux = None
        self.prosody = upstream_server(components={DOMAIN: SECRET}, muc=MUC).start()
        self.addCleanup(self.prosody.cleanup)
        # The XMPP server may be ejabberd (in self.prosody all the same): where it legitimately
        # sends other stanzas than Prosody, the tests branch on this.
        self.ejabberd = isinstance(self.prosody, Ejabberd)

    # --- fixtures -------------------------------------------------------------------------

    def start_boshmux(self, *extra):
        self.boshmux, port = start_boshmux(self, self.prosody, DOMAIN, SECRET, "--anonymous",
                                           "--log-level", "debug", *extra)
        self.url = f"http://127.0.0.1:{port}/http-bind"

    def users_file(self, *accounts):
        d = tempfile.mkdtemp(prefix="boshmux-routing-")
        self.addCleanup(shutil.rmtree, d, ignore_errors=True)
        path = os.path.join(d, "users")
        for user, password in accounts:
            add = subprocess.run([binary(), "user", "add", user, "--users-file", path],
                                 input=password + "\n", text=True, capture_output=True)
            self.assertEqual(add.returncode, 0, add.stderr)
        return path

    def strophe(self, name, *args):
        s = StropheSession(name, self.url, *args)
        self.clients.append(s)
        self.addCleanup(s.cleanup)
        s.ready()
        return s

    def native(self, user, password="pw", resource="native"):
        self.prosody.register(user, password)
        c = NativeClient(self.prosody, user, password, resource)
        self.clients.append(c)
        self.addCleanup(c.close)
        return c

    # --- checks ---------------------------------------------------------------------------

    def assert_clean_inbox(self, session):
        """Every stanza a Strophe session got is in jabber:client and addressed to it."""
        for s in session.inbox.all():
            self.assertEqual((s.dom_ns, s.ns), (CLIENT_NS, CLIENT_NS),
                             f"{session.name}: wrong namespace: {s!r}")
            self.assertIn(s.to, (session.jid, bare(session.jid)),
                          f"{session.name}: stanza not addressed to {session.jid}: {s!r}")

    def assert_one(self, client, predicate, what, frm=None, to=None):
        """Exactly one stanza matches; its from/to are as given."""
        found = client.inbox.all(predicate)
        self.assertEqual(len(found), 1, f"{client.name}: expected exactly one {what}, got "
                         f"{len(found)}:\n{client.inbox.dump()}")
        s = found[0]
        self.assertEqual((s.dom_ns, s.ns), (CLIENT_NS, CLIENT_NS), f"{what}: {s!r}")
        if frm is not None:
            self.assertEqual(s.frm, frm, f"{what}: wrong from: {s!r}")
        if to is not None:
            self.assertEqual(s.to, to, f"{what}: wrong to: {s!r}")
        return s

    def assert_received_exactly(self, client, expected, ordered=False):
        """Accounts for every stanza `client` received. `expected` lists (what, predicate,
        checks): each predicate matches exactly one stanza (none lost, none duplicated), in
        jabber:client, with the from/to given in checks (assert_one); no two entries match
        the same stanza; and no other stanza arrived. With `ordered`, they arrived in the
        order listed. Returns the matched stanzas by `what`."""
        whats = [what for what, _, _ in expected]
        assert len(set(whats)) == len(whats), whats  # a test's own mistake
        found = [self.assert_one(client, predicate, what, **checks)
                 for what, predicate, checks in expected]
        seqs = [s.seq for s in found]
        self.assertEqual(len(set(seqs)), len(seqs),
                         f"{client.name}: two expectations matched the same stanza: "
                         f"{whats} -> {seqs}\n{client.inbox.dump()}")
        unexpected = [s for s in client.inbox.all() if s.seq not in set(seqs)]
        self.assertEqual(unexpected, [], f"{client.name}: unexpected stanzas; received:\n"
                         f"{client.inbox.dump()}")
        if ordered:
            self.assertEqual(seqs, sorted(seqs), f"{client.name}: out of order, expected "
                             f"{whats}; received:\n{client.inbox.dump()}")
        return {what: s for (what, _, _), s in zip(expected, found)}

    def assert_no_errors(self, *clients):
        for c in clients:
            errors = c.inbox.all(lambda s: s.type == "error")
            self.assertEqual(errors, [], f"{c.name} got errors:\n{c.inbox.dump()}")

    def chat(self, sender, to, body):
        sender.send(f"<message xmlns='{CLIENT_NS}' to='{xml_attr(to)}' type='chat' "
                    f"id='{body}'><body>{body}</body></message>")

    def initial_presence(self, *sessions):
        """Sends initial presence and waits for its reflection (RFC 6121 4.2.2)."""
        for s in sessions:
            s.send(f"<presence xmlns='{CLIENT_NS}'/>")
        for s in sessions:
            s.inbox.wait(lambda p: p.name == "presence" and p.frm == s.jid and p.type is None,
                         what="own initial presence")

    # --- tests ----------------------------------------------------------------------------

    @dump_on_failure
    def test_1_chat_with_a_prosody_user_bare_and_full(self):
        self.start_boshmux()
        alice = self.native("alice")
        alice.send("<presence/>")
        alice.inbox.wait(lambda s: s.name == "presence" and s.frm == alice.jid,
                         what="alice's own presence")
        s = self.strophe("anon")
        self.initial_presence(s)

        self.chat(s, "alice@localhost", "s-to-alice-bare")
        self.chat(s, alice.jid, "s-to-alice-full")
        self.chat(alice, bare(s.jid), "alice-to-s-bare")
        self.chat(alice, s.jid, "alice-to-s-full")
        for client, body in ((alice, "s-to-alice-bare"), (alice, "s-to-alice-full"),
                             (s, "alice-to-s-bare"), (s, "alice-to-s-full")):
            client.inbox.wait(message(body), what=body)
        time.sleep(SETTLE)

        self.assert_one(alice, message("s-to-alice-bare"), "bare message to alice",
                        frm=s.jid, to="alice@localhost")
        self.assert_one(alice, message("s-to-alice-full"), "full message to alice",
                        frm=s.jid, to=alice.jid)
        self.assert_one(s, message("alice-to-s-bare"), "bare message to strophe",
                        frm=alice.jid, to=bare(s.jid))
        self.assert_one(s, message("alice-to-s-full"), "full message to strophe",
                        frm=alice.jid, to=s.jid)
        # A burst each way (BOSH batches and splits it over several responses): every one
        # arrives once, in order.
        burst = [f"burst-{i}" for i in range(10)]
        for body in burst:
            self.chat(alice, s.jid, f"a-{body}")
            self.chat(s, alice.jid, f"s-{body}")
        s.inbox.wait(message("a-burst-9"), what="the end of alice's burst")
        alice.inbox.wait(message("s-burst-9"), what="the end of strophe's burst")
        time.sleep(SETTLE)
        for client, prefix, frm in ((s, "a-", alice.jid), (alice, "s-", s.jid)):
            got = client.inbox.all(lambda x: x.name == "message" and
                                   (x.body or "").startswith(prefix + "burst-"))
            self.assertEqual([x.body for x in got], [prefix + b for b in burst],
                             client.inbox.dump())
            self.assertEqual({(x.frm, x.to) for x in got}, {(frm, client.jid)})
        self.assertEqual(len(s.inbox.all(lambda x: x.name == "message")), 12, s.inbox.dump())
        self.assertEqual(len(alice.inbox.all(lambda x: x.name == "message")), 12,
                         alice.inbox.dump())
        self.assert_one(s, lambda p: p.name == "presence", "presence (its own reflection)",
                        frm=s.jid, to=s.jid)
        self.assert_clean_inbox(s)
        self.assert_no_errors(s, alice)

    def two_users_chat(self, *boshmux_args):
        self.start_boshmux(*boshmux_args)
        a = self.strophe("a")
        b = self.strophe("b")
        self.initial_presence(a, b)
        self.chat(a, b.jid, "a-to-b-full")
        self.chat(b, a.jid, "b-to-a-full")
        self.chat(a, bare(b.jid), "a-to-b-bare")
        self.chat(b, bare(a.jid), "b-to-a-bare")
        for client, body in ((b, "a-to-b-full"), (a, "b-to-a-full"), (b, "a-to-b-bare"),
                             (a, "b-to-a-bare")):
            client.inbox.wait(message(body), what=body)
        time.sleep(SETTLE)
        self.assert_one(b, message("a-to-b-full"), "full message a->b", frm=a.jid, to=b.jid)
        self.assert_one(a, message("b-to-a-full"), "full message b->a", frm=b.jid, to=a.jid)
        self.assert_one(b, message("a-to-b-bare"), "bare message a->b", frm=a.jid,
                        to=bare(b.jid))
        self.assert_one(a, message("b-to-a-bare"), "bare message b->a", frm=b.jid,
                        to=bare(a.jid))
        for c in (a, b):
            self.assertEqual(len(c.inbox.all(lambda x: x.name == "message")), 2,
                             c.inbox.dump())
            self.assert_one(c, lambda p: p.name == "presence", "presence (own reflection)",
                            frm=c.jid, to=c.jid)
            self.assert_clean_inbox(c)
        self.assert_no_errors(a, b)
        return a, b

    @dump_on_failure
    def test_2a_two_boshmux_users_chat_short_circuited(self):
        self.two_users_chat()
        # Delivered inside boshmux: none of these came back over the component stream.
        up = [l for l in self.boshmux.log_text().splitlines() if "[up] stanza in" in l]
        self.assertFalse([l for l in up if "a-to-b" in l or "b-to-a" in l], up)

    @dump_on_failure
    def test_2b_two_boshmux_users_chat_through_prosody(self):
        self.two_users_chat("--no-local-routing")
        # Every message went out to Prosody and came back over the component stream, once.
        up = [l for l in self.boshmux.log_text().splitlines() if "[up] stanza in" in l]
        for body in ("a-to-b-full", "b-to-a-full", "a-to-b-bare", "b-to-a-bare"):
            self.assertEqual(len([l for l in up if f">{body}<" in l]), 1, (body, up))

    def create_room(self, owner, room, nick):
        """`owner` (native) creates `room` as an instant room and stays in it."""
        owner.send(f"<presence to='{room}/{nick}'><x xmlns='{MUC_NS}'/></presence>")
        owner.inbox.wait(lambda s: s.name == "presence" and s.frm == f"{room}/{nick}" and
                         {"110", "201"} <= s.muc_statuses(), what="room created")
        owner.send(f"<iq type='set' id='config' to='{room}'><query "
                   "xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' "
                   "type='submit'/></query></iq>")
        owner.inbox.wait(lambda s: s.name == "iq" and s.id == "config" and s.type == "result",
                         what="room configured")

    def join(self, session, room, nick):
        session.send(f"<presence xmlns='{CLIENT_NS}' to='{room}/{nick}'>"
                     f"<x xmlns='{MUC_NS}'/></presence>")
        return session.inbox.wait(
            lambda s: s.name == "presence" and s.frm == f"{room}/{nick}" and s.type is None
            and "110" in s.muc_statuses(), what="self-presence with status 110")[0]

    # What the servers send in and around a room. Each is an entry for
    # assert_received_exactly: (what, predicate, checks).

    @staticmethod
    def presence_from(frm, type_=None, status=None):
        return lambda p: (p.name == "presence" and p.frm == frm and p.type == type_ and
                          (status is None or status in p.muc_statuses()))

    def room_owner_expectations(self, alice, room):
        """What the native owner of a room created with create_room() receives for it, in
        order: own presence, (ejabberd's room presence), the creation, the subject, the
        config result."""
        to_a = {"to": alice.jid}
        expected = [self.own_native_presence(alice)]
        if self.ejabberd:
            expected.append(self.ejabberd_room_presence(room, alice.jid))
        return expected + [
            ("the room's creation", lambda p: (self.presence_from(f"{room}/alice")(p) and
                                               {"110", "201"} <= p.muc_statuses()), to_a),
            self.room_subject(room, alice.jid),
            ("config result", lambda p: p.name == "iq" and p.id == "config" and
             p.type == "result", {"frm": room, "to": alice.jid}),
        ]

    def own_native_presence(self, native):
        """A native user's initial presence, reflected by the XMPP server's c2s (not
        boshmux): Prosody 0.12 reflects it without a 'to', ejabberd 23.01 addresses it to
        the full JID."""
        to = native.jid if self.ejabberd else None
        return ("own presence (the server reflects it)",
                lambda p: self.presence_from(native.jid)(p) and p.to == to, {})

    def room_subject(self, room, to):
        """XEP-0045 7.2.15: after the occupants' presence, the room sends its (here empty)
        subject to an entering occupant. Both servers do."""
        return ("the room's subject",
                lambda p: (p.name == "message" and p.type == "groupchat" and p.frm == room and
                           p.subject is not None and p.body is None), {"to": to})

    def ejabberd_room_presence(self, room, to, type_=None):
        """ejabberd 23.01 only (mod_muc_room advertise_entity_capabilities and its
        counterpart on leave): the room sends its own presence, from the bare room JID with
        XEP-0115 caps, to whoever enters, before the occupants' presence; and presence
        unavailable from the bare room JID to whoever leaves, before the 110 unavailable.
        Prosody 0.12 sends neither. They come over the component stream once each."""
        if type_ is None:
            return ("the room's own presence with caps (ejabberd)",
                    lambda p: (self.presence_from(room)(p) and
                               p.elem.find(f"{{{CAPS_NS}}}c") is not None), {"to": to})
        return ("the room's own presence unavailable (ejabberd)",
                self.presence_from(room, type_), {"to": to})

    @dump_on_failure
    def test_3_muc_join_chat_leave(self):
        self.start_boshmux()
        room = f"lounge@{MUC}"
        alice = self.native("alice")
        alice.send("<presence/>")
        self.create_room(alice, room, "alice")
        s = self.strophe("anon")
        self.initial_presence(s)

        self_presence = self.join(s, room, "strophe")
        self.assertEqual(self_presence.to, s.jid)
        s.inbox.wait(lambda p: p.name == "presence" and p.frm == f"{room}/alice",
                     what="alice's occupant presence")
        alice.inbox.wait(lambda p: p.name == "presence" and p.frm == f"{room}/strophe",
                         what="strophe joining")

        alice.send(f"<message to='{room}' type='groupchat' id='g1'><body>from alice</body>"
                   "</message>")
        s.inbox.wait(message("from alice", "groupchat"), what="alice's groupchat")
        s.send(f"<message xmlns='{CLIENT_NS}' to='{room}' type='groupchat' id='g2'>"
               "<body>from strophe</body></message>")
        alice.inbox.wait(message("from strophe", "groupchat"), what="strophe's groupchat")
        s.inbox.wait(message("from strophe", "groupchat"), what="strophe's groupchat echo")

        s.send(f"<presence xmlns='{CLIENT_NS}' to='{room}/strophe' type='unavailable'/>")
        s.inbox.wait(lambda p: p.name == "presence" and p.frm == f"{room}/strophe" and
                     p.type == "unavailable" and "110" in p.muc_statuses(),
                     what="own leave presence")
        alice.inbox.wait(lambda p: p.name == "presence" and p.frm == f"{room}/strophe" and
                         p.type == "unavailable", what="strophe leaving")
        # Logging out now must not make it leave (or join) a second time.
        s.disconnect()
        time.sleep(SETTLE)

        # Everything the Strophe session got, each exactly once and in the order the room
        # sent it (one component stream, so boshmux must not reorder); nothing else.
        to_s = {"to": s.jid}
        expected = [("own presence (boshmux reflects it)", self.presence_from(s.jid),
                     {"frm": s.jid, "to": s.jid})]
        if self.ejabberd:
            expected.append(self.ejabberd_room_presence(room, s.jid))
        expected += [
            ("alice's occupant presence", self.presence_from(f"{room}/alice"), to_s),
            ("self-presence with status 110", self.presence_from(f"{room}/strophe",
                                                                 status="110"), to_s),
            self.room_subject(room, s.jid),
            ("alice's groupchat", message("from alice", "groupchat"),
             {"frm": f"{room}/alice", "to": s.jid}),
            ("own groupchat echo", message("from strophe", "groupchat"),
             {"frm": f"{room}/strophe", "to": s.jid}),
        ]
        if self.ejabberd:
            expected.append(self.ejabberd_room_presence(room, s.jid, "unavailable"))
        expected.append(("own leave with status 110",
                         self.presence_from(f"{room}/strophe", "unavailable", "110"), to_s))
        self.assert_received_exactly(s, expected, ordered=True)

        # Everything alice got (what boshmux sent reached the room once each; nothing else).
        to_a = {"to": alice.jid}
        expected = self.room_owner_expectations(alice, room) + [
            ("strophe's join", self.presence_from(f"{room}/strophe"), to_a),
            ("own groupchat echo", message("from alice", "groupchat"),
             {"frm": f"{room}/alice", "to": alice.jid}),
            ("strophe's groupchat", message("from strophe", "groupchat"),
             {"frm": f"{room}/strophe", "to": alice.jid}),
            ("strophe's leave", self.presence_from(f"{room}/strophe", "unavailable"), to_a),
        ]
        join = self.assert_received_exactly(alice, expected)["strophe's join"]
        # The room saw the occupant's real JID as boshmux stamped it (alice moderates).
        self.assertEqual([i.get("jid") for i in join.elem.iter(f"{{{MUC_USER_NS}}}item")],
                         [s.jid], repr(join))
        self.assert_clean_inbox(s)
        self.assert_no_errors(s, alice)

    @dump_on_failure
    def test_4_vanished_client_leaves_the_room_after_inactivity(self):
        inactivity = 3
        self.start_boshmux("--inactivity", str(inactivity))
        room = f"lounge@{MUC}"
        alice = self.native("alice")
        alice.send("<presence/>")
        self.create_room(alice, room, "alice")
        s = self.strophe("anon")
        self.join(s, room, "ghost")
        # The subject ends what the room sends an entering occupant: once it is in, the
        # session has all it will ever receive, whatever the timing of the kill.
        subject = self.room_subject(room, s.jid)
        s.inbox.wait(subject[1], what="the room's subject")
        alice.inbox.wait(lambda p: p.name == "presence" and p.frm == f"{room}/ghost",
                         what="ghost joining")
        left = self.presence_from(f"{room}/ghost", "unavailable")
        killed = time.monotonic()
        s.kill()
        alice.inbox.wait(left, timeout=inactivity + 7, what="ghost leaving after inactivity")
        elapsed = time.monotonic() - killed
        time.sleep(SETTLE)
        # Not before the inactivity period: a dropped connection alone ends no session.
        self.assertGreaterEqual(elapsed, inactivity - 0.5)
        self.assertRegex(self.boshmux.log_text(),
                         rf"\[sid={s.sid}\] session ended: .*\(inactivity after {inactivity} s\)")

        to_a = {"to": alice.jid}
        expected = self.room_owner_expectations(alice, room) + [
            ("ghost's join", self.presence_from(f"{room}/ghost"), to_a),
            ("ghost's leave", left, to_a),
        ]
        join = self.assert_received_exactly(alice, expected)["ghost's join"]
        self.assertEqual([i.get("jid") for i in join.elem.iter(f"{{{MUC_USER_NS}}}item")],
                         [s.jid], repr(join))

        # What the session got before it vanished, each once, in order; nothing else.
        to_s = {"to": s.jid}
        expected = [self.ejabberd_room_presence(room, s.jid)] if self.ejabberd else []
        expected += [
            ("alice's occupant presence", self.presence_from(f"{room}/alice"), to_s),
            ("self-presence with status 110", self.presence_from(f"{room}/ghost",
                                                                 status="110"), to_s),
            subject,
        ]
        self.assert_received_exactly(s, expected, ordered=True)
        self.assert_clean_inbox(s)
        self.assert_no_errors(alice)

    @dump_on_failure
    def test_5_reload_attaches_and_still_receives(self):
        self.start_boshmux()
        alice = self.native("alice")
        alice.send("<presence/>")
        first = self.strophe("before-reload")
        self.initial_presence(first)
        state = first.state()
        self.assertEqual((state["jid"], state["sid"]), (first.jid, first.sid))
        saved = first.exit()
        self.assertEqual((saved["jid"], saved["sid"]), (first.jid, first.sid))
        self.assertIsInstance(saved["rid"], int)
        # While the page reloads no request is held: boshmux keeps what arrives for it.
        self.chat(alice, first.jid, "during-reload")
        self.boshmux.wait_log(r"\[up\] stanza in: .*>during-reload<")
        time.sleep(0.2)

        second = self.strophe("after-reload", "--attach", saved["jid"], "--sid", saved["sid"],
                              "--rid", str(saved["rid"]))
        self.assertEqual(second.jid, first.jid)
        time.sleep(0.3)  # its first request is held by now
        self.chat(alice, first.jid, "after-reload-full")
        self.chat(alice, bare(first.jid), "after-reload-bare")
        second.inbox.wait(message("during-reload"), what="message sent during the reload")
        second.inbox.wait(message("after-reload-full"), what="message after the reload")
        second.inbox.wait(message("after-reload-bare"), what="bare message after the reload")
        # And it still sends, with its from stamped.
        self.chat(second, alice.jid, "back-from-reloaded")
        alice.inbox.wait(message("back-from-reloaded"), what="reply after the reload")
        time.sleep(SETTLE)
        self.assert_one(second, message("during-reload"), "message sent during the reload",
                        frm=alice.jid, to=first.jid)
        self.assert_one(second, message("after-reload-full"), "message to the full JID",
                        frm=alice.jid, to=first.jid)
        self.assert_one(second, message("after-reload-bare"), "message to the bare JID",
                        frm=alice.jid, to=bare(first.jid))
        self.assert_one(alice, message("back-from-reloaded"), "reply", frm=first.jid,
                        to=alice.jid)
        self.assertEqual(len(second.inbox.all()), 3, second.inbox.dump())
        self.assertEqual(len(first.inbox.all()), 1, first.inbox.dump())  # own presence
        self.assert_clean_inbox(second)
        self.assert_no_errors(second, alice)
        second.disconnect()

    @dump_on_failure
    def test_6_presence_to_own_resources(self):
        users = self.users_file(("romeo", "wherefore"))
        self.start_boshmux("--users-file", users, "--inactivity", "3")
        login = ("--mechanism", "PLAIN", "--jid", f"romeo@{DOMAIN}", "--password", "wherefore")
        r1 = self.strophe("web1", *login, "--resource", "web1")
        self.initial_presence(r1)

        def available(jid):
            return lambda p: p.name == "presence" and p.frm == jid and p.type is None

        def unavailable(jid):
            return lambda p: p.name == "presence" and p.frm == jid and p.type == "unavailable"

        # web2 comes and logs out (Strophe puts unavailable presence in its terminate body).
        r2 = self.strophe("web2", *login, "--resource", "web2")
        self.assertEqual((r1.jid, r2.jid), (f"romeo@{DOMAIN}/web1", f"romeo@{DOMAIN}/web2"))
        r2.send(f"<presence xmlns='{CLIENT_NS}'><status>second</status></presence>")
        r1.inbox.wait(available(r2.jid), what="web2's initial presence")
        r2.inbox.wait(available(r2.jid), what="web2's own presence reflected")
        r2.disconnect()
        r1.inbox.wait(unavailable(r2.jid), what="web2's unavailable presence")

        # web3 terminates the BOSH session without any presence: boshmux must say it.
        r3 = self.strophe("web3", *login, "--resource", "web3")
        self.initial_presence(r3)
        r1.inbox.wait(available(r3.jid), what="web3's initial presence")
        r3.command(cmd="disconnect", presence=False)
        r3.wait_event(lambda e: e["ev"] == "status" and e["status"] == "DISCONNECTED",
                      what="web3 disconnected")
        terminate = [b for b in r3.wire_out() if "type='terminate'" in b or
                     'type="terminate"' in b]
        self.assertEqual(len(terminate), 1, r3.wire_out())
        self.assertNotIn("presence", terminate[0])
        r1.inbox.wait(unavailable(r3.jid), what="web3's unavailable presence after terminate")

        # web4 vanishes: boshmux says it when the session times out.
        r4 = self.strophe("web4", *login, "--resource", "web4")
        self.initial_presence(r4)
        r1.inbox.wait(available(r4.jid), what="web4's initial presence")
        r4.kill()
        r1.inbox.wait(unavailable(r4.jid), timeout=10,
                      what="web4's unavailable presence after inactivity")
        time.sleep(SETTLE)

        s = self.assert_one(r1, available(r2.jid), "web2's available presence", to=r1.jid)
        self.assertEqual(s.elem.findtext(f"{{{CLIENT_NS}}}status"), "second")
        for other in (r2, r3, r4):
            self.assert_one(r1, available(other.jid), f"{other.name}'s available presence",
                            to=r1.jid)
            self.assert_one(r1, unavailable(other.jid), f"{other.name}'s unavailable presence",
                            to=r1.jid)
        self.assert_one(r1, available(r1.jid), "own presence", to=r1.jid)
        self.assertEqual(len(r1.inbox.all()), 7, r1.inbox.dump())
        self.assert_one(r2, available(r2.jid), "own presence", to=r2.jid)
        self.assertRegex(self.boshmux.log_text(),
                         rf"\[sid={r3.sid}\] session ended: .*\(client-terminate\)")
        self.assertRegex(self.boshmux.log_text(),
                         rf"\[sid={r4.sid}\] session ended: .*\(inactivity after 3 s\)")
        for r in (r1, r2, r3, r4):
            self.assert_clean_inbox(r)
        self.assert_no_errors(r1, r2, r3, r4)

    @dump_on_failure
    def test_7_iq_to_a_vanished_full_jid_gets_service_unavailable(self):
        self.start_boshmux()
        alice = self.native("alice")
        s = self.strophe("anon")
        self.initial_presence(s)
        gone = self.strophe("gone")
        gone_jid = gone.jid
        gone.disconnect()

        def ping(to, id_):
            alice.send(f"<iq type='get' id='{id_}' to='{xml_attr(to)}'>"
                       "<ping xmlns='urn:xmpp:ping'/></iq>")
            return alice.inbox.wait(lambda x: x.name == "iq" and x.id == id_,
                                    what=f"answer to {id_}")[0]

        for to, id_ in ((f"{bare(s.jid)}/no-such-resource", "ping-unknown"),
                        (gone_jid, "ping-gone")):
            answer = ping(to, id_)
            self.assertEqual(answer.ns, CLIENT_NS)
            self.assertEqual(answer.type, "error", repr(answer))
            self.assertEqual(answer.frm, to, repr(answer))
            self.assertEqual(answer.to, alice.jid, repr(answer))
            self.assertEqual(answer.error_condition(), ("cancel", ["service-unavailable"]),
                             repr(answer))
        time.sleep(SETTLE)
        for id_ in ("ping-unknown", "ping-gone"):
            self.assert_one(alice, lambda x, i=id_: x.name == "iq" and x.id == i, f"{id_} answer")
        self.assertEqual(len(alice.inbox.all()), 2, alice.inbox.dump())
        # The live session saw none of it (only its own presence).
        self.assertEqual(len(s.inbox.all()), 1, s.inbox.dump())
        self.assert_clean_inbox(s)

    @dump_on_failure
    def test_8_server_restart_within_the_grace_loses_nothing(self):
        # Reconnect attempts at least ~1 s apart: alice is back online before the link is.
        self.start_boshmux("--link-grace", "30", "--reconnect-min", "1.5", "--reconnect-max", "2")
        self.prosody.register("alice", "pw")
        s = self.strophe("anon")
        self.initial_presence(s)
        self.prosody.kill()
        self.boshmux.wait_log("component link lost: 1 sessions kept")
        for i in range(3):  # accepted while the server is down
            self.chat(s, "alice@localhost", f"outage-{i}")
        self.prosody.start()
        alice = NativeClient(self.prosody, "alice", "pw")
        self.clients.append(alice)
        self.addCleanup(alice.close)
        alice.send("<presence/>")
        self.boshmux.wait_log("authenticated", count=2, timeout=15)
        got = alice.inbox.wait(lambda m: m.name == "message" and m.body, count=3, timeout=15,
                               what="the messages sent during the outage")
        time.sleep(0.7)  # a duplicate would arrive now
        got = alice.inbox.all(lambda m: m.name == "message" and m.body)
        self.assertEqual([m.body for m in got], ["outage-0", "outage-1", "outage-2"])
        self.assertEqual({m.frm for m in got}, {s.jid})
        # The session lived through it and still routes both ways.
        self.chat(alice, s.jid, "after")
        s.inbox.wait(message("after"), what="alice's answer")
        time.sleep(0.5)
        self.assert_one(s, message("after"), "alice's answer", frm=alice.jid, to=s.jid)
        self.assert_no_errors(s)
        self.assert_clean_inbox(s)


if __name__ == "__main__":
    unittest.main()
