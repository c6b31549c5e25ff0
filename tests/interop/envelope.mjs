// An independent implementation of the bwoc envelope (spec envelope-v1):
// RFC 8785 from the `canonicalize` package, Ed25519 from `@noble/ed25519`,
// nothing from bwoc. Used to check bwoc against it in both directions.
//
//   node envelope.mjs keygen                      -> {"seed": hex, "key": "ed25519:..."}
//   node envelope.mjs sign SEED_HEX FIELDS_JSON   -> a signed envelope
//   node envelope.mjs verify FILE                 -> ok | bad_signature | malformed
import canonicalize from 'canonicalize';
import * as ed from '@noble/ed25519';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

ed.etc.sha512Sync = (...m) => createHash('sha512').update(Buffer.concat(m.map((x) => Buffer.from(x)))).digest();

const PREFIX = Buffer.from('bwoc-envelope-v1\n', 'utf8');

export function publicKeyText(seed) {
  return 'ed25519:' + Buffer.from(ed.getPublicKey(seed)).toString('base64');
}

export function signedBytes(envelope) {
  const { sig, ...rest } = envelope;
  return Buffer.concat([PREFIX, Buffer.from(canonicalize(rest), 'utf8')]);
}

export function signEnvelope(seed, fields) {
  const envelope = {
    v: 1,
    id: randomBytes(16).toString('hex'),
    ts: new Date().toISOString(),
    key: publicKeyText(seed),
    payload: {},
    ...fields,
  };
  envelope.sig = Buffer.from(ed.sign(signedBytes(envelope), seed)).toString('base64');
  return envelope;
}

export function verifyEnvelope(envelope) {
  if (typeof envelope?.key !== 'string' || !envelope.key.startsWith('ed25519:')) return 'malformed';
  const key = Buffer.from(envelope.key.slice(8), 'base64');
  const sig = Buffer.from(envelope.sig ?? '', 'base64');
  if (key.length !== 32 || sig.length !== 64) return 'malformed';
  return ed.verify(sig, signedBytes(envelope), key) ? 'ok' : 'bad_signature';
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [cmd, a, b] = process.argv.slice(2);
  if (cmd === 'keygen') {
    const seed = randomBytes(32);
    console.log(JSON.stringify({ seed: seed.toString('hex'), key: publicKeyText(seed) }));
  } else if (cmd === 'sign') {
    console.log(JSON.stringify(signEnvelope(Buffer.from(a, 'hex'), JSON.parse(b))));
  } else if (cmd === 'verify') {
    let envelope;
    try {
      envelope = JSON.parse(readFileSync(a === '-' ? 0 : a, 'utf8'));
    } catch {
      console.log('malformed');
      process.exit(1);
    }
    const result = verifyEnvelope(envelope);
    console.log(result);
    process.exit(result === 'ok' ? 0 : 1);
  } else {
    console.error('usage: node envelope.mjs keygen | sign SEED_HEX FIELDS_JSON | verify FILE');
    process.exit(2);
  }
}
