// Strophe.js under Node, as the end-to-end drivers use it: the browser pieces it needs, its
// SASL mechanisms by name, and the command line as `--name value` pairs.
import NodeXMLHttpRequest from 'xhr2';

// Strophe's Node entry installs DOMParser and document (@xmldom/xmldom). xhr2 supplies
// XMLHttpRequest but no responseXML, which Strophe's BOSH transport reads: parse the text as
// a browser would.
class XMLHttpRequest extends NodeXMLHttpRequest {
  get responseXML() {
    if (this.readyState !== 4 || !this.responseText) return null;
    return new DOMParser().parseFromString(this.responseText, 'text/xml');
  }
}
const strophe = await import('strophe.js');
globalThis.XMLHttpRequest = XMLHttpRequest;

export const { Strophe, $iq, $msg, $pres } = strophe;

/** `--name value` (or a bare `--flag`: true) pairs of the command line. */
export const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => {
    if (arg.startsWith('--')) {
      const next = all[i + 1];
      pairs.push([arg.slice(2), next === undefined || next.startsWith('--') ? true : next]);
    }
    return pairs;
  }, []),
);

export const mechanisms = {
  ANONYMOUS: Strophe.SASLAnonymous,
  PLAIN: Strophe.SASLPlain,
  'SCRAM-SHA-1': Strophe.SASLSHA1,
  'SCRAM-SHA-256': Strophe.SASLSHA256,
};
