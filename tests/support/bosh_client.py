"""A small synchronous BOSH client (XEP-0124/0206) for the integration tests: one request at a
time, each held by the server until it has something to say or `wait` seconds have passed.
Standard library only."""

import base64
import random
import time
import urllib.request
import xml.etree.ElementTree as ET

HTTPBIND = "http://jabber.org/protocol/httpbind"
CLIENT = "jabber:client"
STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"


def tag(element):
    """Local name of an element."""
    return element.tag.rsplit("}", 1)[-1]


def condition(error_stanza):
    """The defined condition inside a stanza's <error/>, or None."""
    error = error_stanza.find(f"{{{CLIENT}}}error")
    if error is None:
        return None
    for child in error:
        if child.tag.startswith(f"{{{STANZAS}}}") and tag(child) != "text":
            return tag(child)
    return None


class BoshError(AssertionError):
    pass


class BoshClient:
    def __init__(self, url, domain, wait=1, timeout=30):
        self.url = url
        self.domain = domain
        self.wait = wait
        self.timeout = timeout
        self.rid = random.randint(1 << 20, 1 << 40)
        self.sid = None
        self.jid = None
        self.received = []  # stanzas (Elements) not yet taken by wait_for()
        self.terminal = None  # the terminal <body/>, once the session has ended

    def _post(self, body):
        request = urllib.request.Request(self.url, data=body.encode(), method="POST",
                                         headers={"Content-Type": "text/xml; charset=utf-8"})
        with urllib.request.urlopen(request, timeout=self.timeout + self.wait) as response:
            return ET.fromstring(response.read())

    def request(self, payload="", extra=""):
        """Sends one request; returns the response <body/>. Stanzas in it go to `received`."""
        if self.terminal is not None:
            raise BoshError(f"session already ended: {ET.tostring(self.terminal).decode()}")
        self.rid += 1
        body = self._post(f"<body xmlns='{HTTPBIND}' rid='{self.rid}' sid='{self.sid}'"
                          f"{extra}>{payload}</body>")
        if body.get("type") == "terminate":
            self.terminal = body
        self.received.extend(child for child in body if tag(child) in
                             ("message", "presence", "iq"))
        return body

    def open(self):
        """Creates the session; returns the creation response."""
        self.rid += 1
        body = self._post(
            f"<body xmlns='{HTTPBIND}' xmlns:xmpp='urn:xmpp:xbosh' rid='{self.rid}' "
            f"to='{self.domain}' wait='{self.wait}' hold='1' ver='1.11' xml:lang='en' "
            "xmpp:version='1.0'/>")
        if body.get("type") == "terminate":
            self.terminal = body
            return body
        self.sid = body.get("sid")
        return body

    def login_anonymous(self, resource="bosh"):
        """ANONYMOUS, restart, bind; returns the bound full JID."""
        return self._login("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='ANONYMOUS'/>",
                           resource)

    def login_plain(self, user, password, resource="bosh"):
        """PLAIN, restart, bind; returns the bound full JID."""
        return self._login("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
                           f"{self.plain(user, password)}</auth>", resource)

    def _login(self, auth, resource):
        body = self.open()
        if self.terminal is not None:
            raise BoshError(f"creation refused: {body.get('condition')}")
        reply = self.request(auth)
        if not any(tag(c) == "success" for c in reply):
            raise BoshError(f"SASL failed: {ET.tostring(reply).decode()}")
        self.request(extra=" xmlns:xmpp='urn:xmpp:xbosh' xmpp:restart='true'")
        reply = self.request("<iq type='set' id='bind' xmlns='jabber:client'>"
                             "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                             f"<resource>{resource}</resource></bind></iq>")
        jid = reply.find(".//{urn:ietf:params:xml:ns:xmpp-bind}jid")
        if jid is None:
            raise BoshError(f"bind failed: {ET.tostring(reply).decode()}")
        self.jid = jid.text
        self.received = [s for s in self.received if s.get("id") != "bind"]
        return self.jid

    def send(self, stanza):
        return self.request(stanza)

    def ping(self, id, to=None):
        """An XEP-0199 ping (to the user's server, or to `to`); returns the reply stanza."""
        to_attr = f" to='{to}'" if to else ""
        reply = self.send(f"<iq xmlns='{CLIENT}' type='get' id='{id}'{to_attr}>"
                          "<ping xmlns='urn:xmpp:ping'/></iq>")
        for stanza in reply:
            if stanza.get("id") == id:
                self.received.remove(stanza)
                return stanza
        return self.wait_for(lambda s: s.get("id") == id, what="the ping result")

    def wait_for(self, predicate, timeout=10, what="a stanza"):
        """Polls until a received stanza matches; removes and returns it."""
        deadline = time.monotonic() + timeout
        while True:
            for i, s in enumerate(self.received):
                if predicate(s):
                    return self.received.pop(i)
            if self.terminal is not None or time.monotonic() > deadline:
                got = [ET.tostring(s).decode() for s in self.received]
                raise BoshError(f"no {what} within {timeout} s (received {got}, "
                                f"terminal {self.terminal is not None})")
            self.request()

    def terminate(self, payload="<presence type='unavailable' xmlns='jabber:client'/>"):
        return self.request(payload, extra=" type='terminate'")

    @staticmethod
    def plain(user, password):
        return base64.b64encode(f"\0{user}\0{password}".encode()).decode()
