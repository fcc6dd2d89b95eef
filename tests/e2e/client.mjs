// A Strophe.js client for the end-to-end tests, run under Node.
//
//   node client.mjs --url URL --domain DOMAIN [--mechanism ANONYMOUS|PLAIN|SCRAM-SHA-1|SCRAM-SHA-256]
//                   [--jid user@domain --password PW] [--resource R]
//                   [--send-to JID --expect-reply]
//
// It logs in through the BOSH endpoint, checks the bound JID, pings the domain, optionally
// sends a chat message and waits for a reply, then disconnects. It prints one JSON line with
// what happened and exits 0 only if every step succeeded.
import { Strophe, $iq, $msg, $pres, args, mechanisms } from './node-strophe.mjs';

const mechanism = args.mechanism || 'ANONYMOUS';
const result = { mechanism, steps: [] };
const timeoutMs = Number(args.timeout || 20000);

function finish(code, error) {
  if (error) result.error = String(error);
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(code);
}
setTimeout(() => finish(1, 'timed out'), timeoutMs).unref();

const conn = new Strophe.Connection(args.url, { mechanisms: [mechanisms[mechanism]] });
const jid = mechanism === 'ANONYMOUS' ? args.domain : args.jid;
const resource = args.resource ? `/${args.resource}` : '';

function request(stanza) {
  return new Promise((resolve, reject) => {
    conn.sendIQ(stanza, resolve, (err) => reject(new Error(err ? Strophe.serialize(err) : 'iq timeout')), 10000);
  });
}

conn.connect(`${jid}${resource}`, args.password || '', async (status, condition) => {
  const name = Object.keys(Strophe.Status).find((k) => Strophe.Status[k] === status);
  result.steps.push(condition ? `${name}:${condition}` : name);
  if (status === Strophe.Status.AUTHFAIL || status === Strophe.Status.CONNFAIL) {
    finish(2, `login failed: ${name} ${condition || ''}`);
  }
  if (status === Strophe.Status.DISCONNECTED) {
    finish(result.error ? 1 : 0);
  }
  if (status !== Strophe.Status.CONNECTED) return;
  try {
    result.jid = conn.jid;
    await request($iq({ type: 'get', to: args.domain }).c('ping', { xmlns: 'urn:xmpp:ping' }));
    result.steps.push('PING');
    await request($iq({ type: 'get' }).c('query', { xmlns: 'jabber:iq:roster' }));
    result.steps.push('ROSTER');
    conn.send($pres());
    if (args['send-to']) {
      const reply = new Promise((resolve) => {
        conn.addHandler((m) => {
          result.reply = Strophe.getText(m.getElementsByTagName('body')[0]);
          resolve();
          return false;
        }, null, 'message', 'chat');
      });
      conn.send($msg({ to: args['send-to'], type: 'chat' }).c('body').t(args.body || 'hello from strophe'));
      result.steps.push('SENT');
      if (args['expect-reply']) {
        await reply;
        result.steps.push('REPLY');
      }
    }
  } catch (e) {
    result.error = String(e);
  }
  conn.disconnect('done');
});
