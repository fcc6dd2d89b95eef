#!/usr/bin/env python3
"""Writes the hand-made seed inputs of every fuzz target into corpus/<target>/, each file named
by the SHA-256 of its content (existing files are kept). Run it from anywhere; it only adds.

The layout of each target's input is described at the top of its fuzz_<target>.cpp."""

import base64
import hashlib
import hmac
import json
import os
import random
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, data):
    if isinstance(data, str):
        data = data.encode()
    directory = os.path.join(HERE, "corpus", target)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, hashlib.sha256(data).hexdigest()), "wb") as f:
        f.write(data)


# --- BOSH bodies as Strophe.js, gloox and JSJaC send them (XEP-0124, XEP-0206) ---
BODIES = [
    "<body content='text/xml; charset=utf-8' from='user@example.com' hold='1' rid='1573741820' "
    "to='example.com' route='xmpp:example.com:9999' secure='true' wait='60' xml:lang='en' "
    "xmpp:version='1.0' xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh'/>",
    "<body rid='1573741821' sid='n1-SomeSID' xmlns='http://jabber.org/protocol/httpbind'>"
    "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AHVzZXIAcGVuY2ls</auth></body>",
    "<body rid='1573741822' sid='n1-SomeSID' to='example.com' xml:lang='en' xmpp:restart='true' "
    "xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh'/>",
    "<body rid='1573741823' sid='n1-SomeSID' xmlns='http://jabber.org/protocol/httpbind'>"
    "<iq type='set' id='_bind_auth_2' xmlns='jabber:client'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
    "<resource>strophe</resource></bind></iq></body>",
    "<body rid='1573741824' sid='n1-SomeSID' xmlns='http://jabber.org/protocol/httpbind'>"
    "<message to='juliet@capulet.lit' type='chat' xmlns='jabber:client'><body>Wherefore art thou &amp; "
    "&lt;Romeo&gt;? &#x263A; &#9731;</body></message><presence xmlns='jabber:client'/></body>",
    "<body rid='1573741825' sid='n1-SomeSID' type='terminate' xmlns='http://jabber.org/protocol/httpbind'>"
    "<presence type='unavailable' xmlns='jabber:client'/></body>",
    "<body rid='1573741826' sid='n1-SomeSID' pause='60' xmlns='http://jabber.org/protocol/httpbind'/>",
    "<body rid='1573741827' sid='n1-SomeSID' ack='1573741826' xmlns='http://jabber.org/protocol/httpbind'/>",
    "<body rid='42' wait='30' hold='1' ver='1.10' newkey='ca393b51b682f61f98e7877d61146407f3d0a770' "
    "to='example.com' xmlns='http://jabber.org/protocol/httpbind' xml:lang='en'/>",
    "<body rid='43' sid='s' key='bfb06a6f113cd6fd3838ab9d300fdb4fe3da2f7d' "
    "xmlns='http://jabber.org/protocol/httpbind'/>",
    "<body xmlns=\"http://jabber.org/protocol/httpbind\" rid=\"2951937408\" sid=\"x\" "
    "content=\"text/xml; charset=utf-8\" ack=\"0\" route=\"xmpp:example.com:5222\" "
    "xmpp:version=\"1.0\" xmlns:xmpp=\"urn:xmpp:xbosh\" xml:lang=\"en\" wait=\"30\" hold=\"2\" "
    "to=\"example.com\" ver=\"1.6\"/>",
    "<?xml version='1.0' encoding='UTF-8'?>\n<body rid='7' sid='s' xmlns='http://jabber.org/protocol/httpbind'>"
    "<stream:features xmlns:stream='http://etherx.jabber.org/streams'/>"
    "<message xmlns='jabber:client'><body><![CDATA[<not a tag>]]></body></message></body>",
    "<b:body xmlns:b='http://jabber.org/protocol/httpbind' rid='9007199254740991'>"
    "<iq xmlns='jabber:client' type='get' id='1'><ping xmlns='urn:xmpp:ping'/></iq></b:body>",
    "<body rid='9007199254740992' xmlns='http://jabber.org/protocol/httpbind'/>",
    "<body rid='1' sid='s' xmlns='http://jabber.org/protocol/httpbind'><message/><!-- no --></body>",
    "<body rid='1' xmlns='http://jabber.org/protocol/httpbind'><a><b><c><d/></c></b></a></body>",
    "<!DOCTYPE body [<!ENTITY a 'aaaa'>]><body rid='1' xmlns='http://jabber.org/protocol/httpbind'>&a;</body>",
    "<body rid='1' xmlns='http://jabber.org/protocol/httpbind' sid='s'>  \r\n<iq/>\t</body>",
    "<body/>",
]

for i, body in enumerate(BODIES):
    write("bosh_body", bytes([0]) + body.encode())
    if i % 3 == 0:
        write("bosh_body", bytes([0x41]) + body.encode())  # tight limits

# --- HTTP requests as browsers and BOSH clients send them ---


def post(body, extra=""):
    return (
        "POST /http-bind HTTP/1.1\r\nHost: 127.0.0.1:5280\r\nUser-Agent: Mozilla/5.0\r\n"
        "Content-Type: text/xml; charset=utf-8\r\nOrigin: https://example.com\r\n" + extra +
        "Content-Length: %d\r\n\r\n%s" % (len(body.encode()), body))


HTTP = [
    post(BODIES[0]),
    post(BODIES[1]) + post(BODIES[2]),  # pipelined
    "POST /http-bind HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
    "1a\r\n<body rid='1' xmlns='http:\r\n"
    "26;ext=1\r\n//jabber.org/protocol/httpbind'/>    \r\n0\r\nTrailer: x\r\n\r\n",
    "OPTIONS /http-bind HTTP/1.1\r\nHost: localhost:5280\r\nOrigin: https://app.example\r\n"
    "Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type\r\n\r\n",
    "GET /metrics HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n"
    "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\nGET /readyz HTTP/1.1\r\n\r\n",
    "POST /http-bind HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello",
    "POST /http-bind HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
    post(BODIES[3], "Expect: 100-continue\r\n"),
    # gloox puts the XMPP port in the Host header and folds nothing
    "POST /http-bind HTTP/1.1\r\nHost: example.com:5222\r\nContent-Type: text/xml; charset=utf-8\r\n"
    "Content-Length: 61\r\n\r\n<body rid='1' xmlns='http://jabber.org/protocol/httpbind'/>\r\n",
    "POST /http-bind?x=1#frag HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
    "POST /http-bind HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
    "POST /http-bind HTTP/2.0\r\nHost: a\r\n\r\n",
    "\r\n\r\nGET / HTTP/1.1\r\nX-Long: " + "a" * 200 + "\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nObs-Fold: a\r\n b\r\n\r\n",
    "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    "GET /http-bind HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
]
for i, req in enumerate(HTTP):
    write("http_request", bytes([0, 0]) + req.encode())
    write("http_request", bytes([0, 1 + i % 7]) + req.encode())
    if i % 4 == 0:
        write("http_request", bytes([0x21, 3]) + req.encode())

# --- XML streams: the component link (XEP-0114) and client streams (RFC 6120) ---
STREAMS = [
    "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' "
    "xmlns:stream='http://etherx.jabber.org/streams' from='bosh.example.com' id='3BF96D32'>"
    "<handshake/>"
    "<message from='juliet@example.com/balcony' to='romeo@bosh.example.com' type='chat' "
    "xml:lang='en'><body>Art thou not Romeo, and a Montague?</body></message> \n\t"
    "<iq type='get' id='p1' from='example.com' to='bosh.example.com'><ping xmlns='urn:xmpp:ping'/></iq>"
    "</stream:stream>",
    "<stream:stream xmlns='jabber:client' xmlns:stream=\"http://etherx.jabber.org/streams\" version='1.0'>"
    "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1"
    "</mechanism></mechanisms></stream:features>"
    "<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>",
    "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' a='&lt;&amp;&#65;&#x1F600;&quot;&apos;&gt;'>"
    "<x a=\"'\" b='\"'>text &amp; more<![CDATA[ ]]> ]] <y/><z></z></x>",
    "<body xmlns='http://jabber.org/protocol/httpbind' rid='1'><a/><b>t</b></body>",
    "<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>"
    "<presence/>" + " " * 100 + "<presence/>" + "<a>" * 70 + "</a>" * 70,
    "<stream:stream><?pi x?><!-- c --><!DOCTYPE x>",
    "<stream:stream><a>&unknown;&#0;&#xD800;</a>",
    "<s:s xmlns:s='u'><m/></s:t>",
    "\xef\xbb\xbf<stream:stream\r\n a = '1'\t>\r\n<m\r\n/>",
]
for i, st in enumerate(STREAMS):
    write("stream_framer", bytes([0, 0]) + st.encode("utf-8", "surrogateescape"))
    write("stream_framer", bytes([0, 1 + i % 8]) + st.encode("utf-8", "surrogateescape"))
    if i % 3 == 0:
        write("stream_framer", bytes([0x61, 2]) + st.encode("utf-8", "surrogateescape"))

# --- JIDs: RFC 7622 section 3 examples and edge cases ---
JIDS = [
    "juliet@example.com", "juliet@example.com/foo", "juliet@example.com/foo bar",
    "juliet@example.com/foo@bar", "foo\\20bar@example.com", "fussball@example.com",
    "fu\u00dfball@example.com", "\u03c0@example.com", "\u03a3@example.com/foo",
    "\u03c3@example.com/foo", "\u03c2@example.com/foo", "king@example.com/\u265a",
    "example.com", "example.com/foobar", "a.example.com/b@example.net", "EXAMPLE.COM.",
    "user@[::1]/res", "user@192.168.0.1", "\"juliet\"@example.com", "foo bar@example.com",
    "juliet@@example.com", "@example.com/", "juliet@", "/foobar", "juliet@example.com/",
    "henry\u2163@example.com", "\u265a@example.com", "user@xn--bcher-kva.example",
    "user@b\u00fccher.example/R\u00e9sum\u00e9", "a" * 1024 + "@example.com",
    "user@exa_mple.com", "user@-example.com", "u\u0000ser@example.com",
    "\u0627\u0644\u0639\u0631\u0628\u064a\u0629@example.com", "a\u0300@example.com/\ufb01",
]
for i, j in enumerate(JIDS):
    write("jid", bytes([i % 2]) + j.encode("utf-8"))

# --- SASL: RFC 4616 (PLAIN), RFC 5802 and RFC 7677 (SCRAM), RFC 4505 (ANONYMOUS) ---
SNONCE = base64.b64encode(b"r" * 18).decode()  # what fuzz_sasl's random source gives
CNONCE = "fyko+d2lbbFgONRv9qkxdawL"
SASL = [
    bytes([0, 1]) + b"\0user\0pencil",
    bytes([0, 0]) + b"user@example.com\0user\0pencil",
    bytes([0, 1]) + b"\0user\0wrong",
    bytes([0, 1]) + b"admin\0user\0pencil",
    bytes([0, 1]) + b"\0\xe2\x85\xa3user\0pencil",
    # SCRAM-SHA-1, fuzzed proof (the RFC 5802 one) and computed proof
    bytes([1, 1]) + ("n,,n=user,r=%s\nc=biws,r=%s%s,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=" % (CNONCE, CNONCE, SNONCE)).encode(),
    bytes([1, 3]) + ("n,,n=user,r=%s\nc=biws,r=%s%s" % (CNONCE, CNONCE, SNONCE)).encode(),
    bytes([1, 2]) + ("n,a=user@example.com,n=user,r=%s\nc=bixhPXVzZXJAZXhhbXBsZS5jb20sr=%s%s" % (CNONCE, CNONCE, SNONCE)).encode(),
    bytes([1, 3]) + ("y,,n=a=2Cb=3Dc,r=%s,ext=1\nc=eSws,r=%s%s,ext=2" % (CNONCE, CNONCE, SNONCE)).encode(),
    bytes([1, 1]) + ("p=tls-unique,,n=user,r=%s\n" % CNONCE).encode(),
    bytes([1, 1]) + b"n,,m=x,n=user,r=abc\n",
    # SCRAM-SHA-256 (RFC 7677 client nonce)
    bytes([2, 3]) + ("n,,n=user,r=rOprNGfwEbeRWgbNEkqO\nc=biws,r=rOprNGfwEbeRWgbNEkqO%s" % SNONCE).encode(),
    bytes([2, 1]) + ("n,,n=nobody,r=rOprNGfwEbeRWgbNEkqO\nc=biws,r=rOprNGfwEbeRWgbNEkqO%s,"
                     "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=" % SNONCE).encode(),
    # ANONYMOUS trace data
    bytes([3]) + b"sirhc",
    bytes([3]) + b"",
]
for s in SASL:
    write("sasl", s)

# --- JWT (RFC 7519) tokens given as a PLAIN password ---
KEY = b"0123456789abcdef0123456789abcdef"


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def token(header, claims, key=KEY):
    signing_input = b64url(header.encode()) + "." + b64url(claims.encode())
    return signing_input + "." + b64url(hmac.new(key, signing_input.encode(), hashlib.sha256).digest())


NOW = 1700000000
HS = '{"alg":"HS256","typ":"JWT"}'
CLAIMS = [
    json.dumps({"sub": "alice", "exp": NOW + 300, "iat": NOW - 10}),
    json.dumps({"sub": "Alice", "exp": NOW + 300, "nbf": NOW - 5, "iss": "issuer", "aud": ["x", "boshmux"]}),
    json.dumps({"user": "bob", "exp": NOW + 1.5, "aud": "boshmux"}),
    json.dumps({"sub": "alice", "exp": NOW - 100}),
    json.dumps({"sub": "", "exp": NOW + 300}),
    json.dumps({"sub": "a@b", "exp": 1e300}),
    '{"sub":"alice","exp":17000000000,"sub":"mallory"}',
]
HEADERS = [HS, '{"alg":"none"}', '{"alg":"HS256","crit":["x"]}', '{"alg":"HS512","typ":"JWT"}',
           '{"typ":1,"alg":"HS256"}', '[]']
for c in CLAIMS:
    write("jwt", bytes([0x10]) + (token(HS, c) + "\nalice").encode())
    write("jwt", bytes([0x17]) + (HS + "\n" + c + "\n").encode())
for h in HEADERS:
    write("jwt", bytes([0x11]) + (h + "\n" + CLAIMS[0] + "\nalice").encode())
write("jwt", bytes([0x80]) + b"eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.")
write("jwt", bytes([0x80]) + (token(HS, CLAIMS[0], b"x" * 32) + "\n").encode())
write("jwt", bytes([0x80]) + b"a.b.c\n")

# --- BOSH session machine: event scripts (see fuzz_session_machine.cpp for the opcodes) ---
# create(): limits byte, inactivity, polling, max_pause, report_after (u16), max_queued (u16),
# body flags, rid choice (+u32 when >= 8), [wait], [hold], [key seed]
# ops: 0-2 request(how, what[, arg], dt), 3 abort(pick, dt), 4 send(size), 5 time(u16),
# 6 timer, 7 terminate(how)


def creation(limits, flags, wait=None, hold=None, key_seed=None, rid=1000, rid_choice=200):
    b = bytes([limits, 55, 2, 120]) + struct.pack("<HH", 2000, 1000) + bytes([flags, rid_choice])
    if rid_choice >= 8:
        b += struct.pack("<I", rid)
    if flags & 1:
        b += bytes([wait])
    if flags & 2:
        b += bytes([hold])
    if flags & 32:
        b += bytes([key_seed])
    return b


REQ = 0  # opcode for a client request


def req(how=0, what=0, dt=0, arg=None):
    b = bytes([REQ, how, what])
    if arg is not None:
        b += bytes([arg])
    return b + bytes([dt])


SCRIPTS = [
    # a normal chat: hold 1, requests in order, server payloads, timers
    creation(0x25 | 0x20, 1 | 2 | 4, wait=20, hold=1) + req(0, 1) + bytes([4, 1]) + req(0, 0, 5) +
    bytes([6]) + bytes([4, 2, 4, 3]) + req(0, 2) + bytes([6, 6]) + req(0, 0, 0),
    # out of order then gap filled, resend, abort
    creation(0x05, 1 | 2 | 4, wait=30, hold=1) + req(3, 1) + req(6, 0) + req(4 | 8, 0) +
    bytes([3, 0, 0]) + req(4, 0) + bytes([6]),
    # pause then resume, terminate
    creation(0x25, 1 | 2 | 4, wait=10, hold=1) + req(0, 4 << 2 | 0, 0, 30)[:0] +
    bytes([REQ, 0, 1 << 2, 30, 0]) + req(0, 0) + bytes([5, 0x10, 0x27]) + req(0, 1 << 0 | 0 << 2),
    # polling session (hold 0) with overactivity
    creation(0x20, 1 | 2 | 4, wait=0, hold=0) + req(0, 5 << 2) + req(0, 5 << 2) + req(0, 5 << 2, 200),
    # client acks and report
    creation(0x05, 1 | 2 | 4 | 16, wait=60, hold=2) + bytes([4, 1]) + req(0, 3 << 2, 0, 0) +
    bytes([3, 0, 0, 4, 0]) + bytes([5, 0xff, 0xff]) + req(0, 3 << 2, 0, 2) + bytes([6]),
    # key sequencing, then a wrong key
    creation(0x05, 1 | 2 | 4 | 32, wait=60, hold=1, key_seed=7) + req(0, 5 << 2) + req(0, 5 << 2) +
    req(0, 5 << 2 | 0xc0),
    # legacy client (no ver), server terminates with a stream error
    creation(0x05, 1 | 2, wait=60, hold=1) + bytes([4, 0x90]) + bytes([7, 0x31]) + req(0, 0),
    # rid near 2^53 - 1
    creation(0x05, 1 | 2 | 4, wait=60, hold=1, rid_choice=3) + req(0, 1) + req(0, 1) + req(5 | 0x80, 1, 0, 9),
    # restart and terminate with payloads
    creation(0x09, 1 | 2 | 4, wait=60, hold=3) + req(0, 2 << 2) + req(0, 1) + bytes([4, 0x85]) * 3 + req(0, 3),
]
for s in SCRIPTS:
    write("session_machine", s)
rng = random.Random(9)
for _ in range(12):
    s = creation(rng.randrange(256), rng.randrange(128), wait=rng.randrange(70), hold=rng.randrange(4),
                 key_seed=rng.randrange(256), rid_choice=rng.choice([3, 200]))
    for _ in range(rng.randrange(5, 40)):
        op = rng.choice([0, 0, 0, 1, 2, 3, 4, 4, 5, 6, 6, 7] if rng.random() < 0.05 else [0, 0, 1, 3, 4, 5, 6])
        s += bytes([op]) + bytes(rng.randrange(256) for _ in range(3))
    write("session_machine", s)

# --- Component link outbox: event scripts (see fuzz_outbox.cpp for the opcodes) ---
PUSH, WRITE, KEEPALIVE, HANDLE, LOSE, WAIT, OTHER = 0, 2, 3, 4, 6, 7, 8


def outbox(bound, interval, *steps):
    return bytes([bound, interval]) + b"".join(bytes(x) for x in steps)


def forged(text, number=1):
    data = text.encode()
    return bytes([OTHER, 0, len(data)]) + data + struct.pack("<I", number)


write("outbox", outbox(4, 0, *[[PUSH, 5]] * 5, [WRITE, 255], [HANDLE, 255], [KEEPALIVE],
                       [HANDLE, 255]))
# a stream lost after the server handled part of it: written again, a repeat but no loss
write("outbox", outbox(4, 0, *[[PUSH, 3]] * 3, [WRITE, 255], [HANDLE, 2], [LOSE], [WRITE, 255],
                       [KEEPALIVE], [HANDLE, 255]))
# a bound of 16 bytes: pushes refused
write("outbox", outbox(0, 0, *[[PUSH, 10]] * 4, [WRITE, 1], [HANDLE, 255], [PUSH, 1]))
# checkpoints 10 ms apart
write("outbox", outbox(3, 10, [PUSH, 0], [WRITE, 255], [PUSH, 0], [WAIT, 5], [WRITE, 255],
                       [HANDLE, 255], [WAIT, 10], [WRITE, 255], [HANDLE, 255]))
# the grace expires: everything handed back
write("outbox", outbox(3, 0, *[[PUSH, 2]] * 4, [WRITE, 2], [HANDLE, 1], [OTHER, 1], [PUSH, 0]))
# confirmations only the server can send
write("outbox", outbox(4, 0, [PUSH, 0], [WRITE, 255])
      + forged("<iq to='c.example' from='mallory@example.org/x' type='get' id='boshmux-ping-1'/>")
      + forged("<iq to='c.example' from='c.example' type='result' id='boshmux-ping-1'/>")
      + forged("<iq to='c.example' from='c.example' type='error' id='boshmux-ping-1'/>", 7))
rng = random.Random(11)
for _ in range(10):
    script = bytes([rng.randrange(5), rng.randrange(16)])
    for _ in range(rng.randrange(10, 80)):
        script += bytes([rng.choice([PUSH, PUSH, WRITE, KEEPALIVE, HANDLE, HANDLE, LOSE, WAIT]),
                         rng.randrange(256)])
    write("outbox", script)

# --- Regression inputs: each reproduced a bug before its fix (README, "Findings and fixes") ---
# A resent pause request was not replayed: the pause answer was never cached, so the resend
# ended the session with item-not-found (proto/bosh/session_machine.cpp).
write("session_machine", creation(0x05, 1 | 2 | 4, wait=30, hold=1) +
      bytes([REQ, 0, 1 << 2, 30, 0]) + bytes([REQ, 4, 5 << 2, 0]))
