// A scriptable Strophe.js session for the end-to-end routing tests, run under Node.
//
//   node session.mjs --url URL --domain DOMAIN [--mechanism ANONYMOUS|PLAIN|SCRAM-SHA-1|SCRAM-SHA-256]
//                    [--jid user@domain --password PW] [--resource R]
//   node session.mjs --url URL --attach FULLJID --sid SID --rid RID
//
// It logs in through the BOSH endpoint (or attaches to a session another process left behind,
// as a web page does after a reload), then:
//   - prints every event as one JSON line on stdout:
//       {"ev":"status","status":"CONNECTED","condition":null}
//       {"ev":"ready","jid":...,"sid":...,"rid":...}        once logged in or attached
//       {"ev":"stanza","name":"message","ns":"jabber:client","from":...,"to":...,"type":...,
//        "id":...,"xml":"<message ...>"}                    every stanza received
//       {"ev":"state","jid":...,"sid":...,"rid":...}        answer to {"cmd":"state"}
//       {"ev":"wire-in","data":"<body ...>"}  every BOSH body received, likewise
//       {"ev":"wire-out","data":"<body ...>"} for every body sent
//       {"ev":"error","error":...}
//   - reads commands as JSON lines on stdin:
//       {"cmd":"send","xml":"<message xmlns='jabber:client' to='...'>...</message>"}
//       {"cmd":"state"}        prints the jid, the BOSH sid and the rid the next request uses
//       {"cmd":"disconnect"}   logs out (Strophe sends unavailable presence and terminates)
//       {"cmd":"disconnect","presence":false}   terminates without that presence
//       {"cmd":"exit"}         exits at once without telling the server (a page reload)
//
// `rid` is the rid of the next request: pass it to --rid to attach after an "exit".
import readline from 'node:readline';

import { Strophe, args, mechanisms } from './node-strophe.mjs';

const mechanism = args.mechanism || 'ANONYMOUS';

function emit(event) {
  process.stdout.write(JSON.stringify(event) + '\n');
}

const serializer = new XMLSerializer();
const conn = new Strophe.Connection(args.url, { mechanisms: [mechanisms[mechanism]] });
let ready = false;

function state() {
  return { jid: conn.jid, sid: conn._proto.sid, rid: conn._proto.rid };
}

function onStanza(elem) {
  emit({
    ev: 'stanza',
    name: elem.localName || elem.nodeName,
    ns: elem.namespaceURI,
    from: elem.getAttribute('from'),
    to: elem.getAttribute('to'),
    type: elem.getAttribute('type'),
    id: elem.getAttribute('id'),
    xml: serializer.serializeToString(elem),
  });
  return true; // keep the handler
}

function onStatus(status, condition) {
  const name = Object.keys(Strophe.Status).find((k) => Strophe.Status[k] === status);
  emit({ ev: 'status', status: name, condition: condition || null });
  if ((status === Strophe.Status.CONNECTED || status === Strophe.Status.ATTACHED) && !ready) {
    ready = true;
    // Every stanza, message, presence or iq, from here on (this also keeps Strophe's
    // fallback from answering iqs: the test sees them all).
    conn.addHandler(onStanza);
    emit({ ev: 'ready', ...state() });
  }
  if (status === Strophe.Status.DISCONNECTED) {
    // Let stdout drain before leaving.
    setTimeout(() => process.exit(0), 50);
  }
}

// The wire, both ways (every BOSH <body/>), for diagnosis and for checks on what was sent.
conn.rawInput = (data) => emit({ ev: 'wire-in', data });
conn.rawOutput = (data) => emit({ ev: 'wire-out', data });

if (args.attach) {
  conn.attach(args.attach, args.sid, Number(args.rid), onStatus);
} else {
  const jid = mechanism === 'ANONYMOUS' ? args.domain : args.jid;
  const resource = args.resource ? `/${args.resource}` : '';
  conn.connect(`${jid}${resource}`, args.password || '', onStatus);
}

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  if (!line.trim()) return;
  let command;
  try {
    command = JSON.parse(line);
    switch (command.cmd) {
      case 'send': {
        const doc = new DOMParser().parseFromString(command.xml, 'text/xml');
        conn.send(doc.documentElement);
        conn.flush();
        break;
      }
      case 'state':
        emit({ ev: 'state', ...state() });
        break;
      case 'disconnect':
        if (command.presence === false) {
          // Terminate without the unavailable presence Strophe normally puts in the
          // terminate body: the server must clean the presence up itself.
          conn.authenticated = false;
        }
        conn.disconnect(command.reason || 'done');
        break;
      case 'exit':
        // A page reload: the held request is abandoned, nothing is said to the server.
        process.stdout.write(JSON.stringify({ ev: 'exit', ...state() }) + '\n', () =>
          process.exit(0),
        );
        break;
      default:
        emit({ ev: 'error', error: `unknown command ${line}` });
    }
  } catch (e) {
    emit({ ev: 'error', error: String(e && e.stack ? e.stack : e) });
  }
});
// The test closing our stdin (or dying) ends the process without a logout.
rl.on('close', () => process.exit(0));
