// An independent implementation of bwoc's sealed payloads (docs/ENVELOPE.md,
// "Sealed payloads"): X25519 from @noble/curves, keyed BLAKE2b from
// @noble/hashes, XChaCha20-Poly1305 from @noble/ciphers, RFC 8785 from
// `canonicalize`, Ed25519 from @noble/ed25519; nothing from bwoc.
//
//   node sealed.mjs vector FIXTURE_JSON
//       seals the vector's plaintext with its keys and nonce and checks every
//       byte (shared secret, AEAD key, ciphertext, signature), then opens it
//   node sealed.mjs open ENVELOPE_FILE X25519_SECRET_HEX
//       opens a sealed envelope bwoc made, printing the payload
//   node sealed.mjs seal FIXTURE_JSON TO_X25519 ED25519_SEED_HEX AUD ID
//       prints an envelope sealed to TO_X25519 by this implementation
import canonicalize from 'canonicalize';
import * as ed from '@noble/ed25519';
import { x25519 } from '@noble/curves/ed25519';
import { blake2b } from '@noble/hashes/blake2b';
import { xchacha20poly1305 } from '@noble/ciphers/chacha';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

ed.etc.sha512Sync = (...m) => createHash('sha512').update(Buffer.concat(m.map((x) => Buffer.from(x)))).digest();

const LABEL = 'bwoc-sealed-v1';
const hex = (s) => Buffer.from(s, 'hex');
const keyText = (prefix, bytes) => prefix + Buffer.from(bytes).toString('base64');
const keyBytes = (text) => Buffer.from(text.slice(text.indexOf(':') + 1), 'base64');

function associatedData(e) {
  return Buffer.from([LABEL, e.id, e.kind, e.from, e.to, e.key, e.aud].join('\n'), 'utf8');
}

function aeadKey(shared, epk, rcpt) {
  return blake2b(Buffer.concat([Buffer.from(LABEL), Buffer.from(epk), Buffer.from(rcpt)]), { key: shared, dkLen: 32 });
}

function signedBytes(envelope) {
  const { sig, ...rest } = envelope;
  return Buffer.concat([Buffer.from('bwoc-envelope-v2\n'), Buffer.from(canonicalize(rest), 'utf8')]);
}

function seal(fields, payload, rcpt, ephemeral, nonce, reply) {
  const epk = x25519.getPublicKey(ephemeral);
  const shared = x25519.getSharedSecret(ephemeral, rcpt);
  const key = aeadKey(shared, epk, rcpt);
  const ct = xchacha20poly1305(key, nonce, associatedData(fields)).encrypt(Buffer.from(canonicalize(payload), 'utf8'));
  const sealed = {
    alg: 'x25519-blake2b-xchacha20poly1305',
    rcpt: keyText('x25519:', rcpt),
    epk: keyText('x25519:', epk),
    nonce: Buffer.from(nonce).toString('base64'),
    ct: Buffer.from(ct).toString('base64'),
  };
  if (reply) sealed.reply = keyText('x25519:', reply);
  return { sealed, shared, key };
}

function open(envelope, secret) {
  const s = envelope.sealed;
  const shared = x25519.getSharedSecret(secret, keyBytes(s.epk));
  const key = aeadKey(shared, keyBytes(s.epk), keyBytes(s.rcpt));
  const pt = xchacha20poly1305(key, Buffer.from(s.nonce, 'base64'), associatedData(envelope)).decrypt(
    Buffer.from(s.ct, 'base64'),
  );
  return JSON.parse(Buffer.from(pt).toString('utf8'));
}

function sign(envelope, seed) {
  envelope.sig = Buffer.from(ed.sign(signedBytes(envelope), seed)).toString('base64');
  return envelope;
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'vector') {
  const f = JSON.parse(readFileSync(args[0], 'utf8'));
  const want = f.envelope;
  const rcpt = x25519.getPublicKey(hex(f.recipient_x25519_secret));
  const ephemeral = hex(f.ephemeral_x25519_secret);
  const fields = { id: want.id, kind: want.kind, from: want.from, to: want.to, key: want.key, aud: want.aud };
  if (associatedData(fields).toString('utf8') !== f.associated_data) throw new Error('associated data differs');
  const { sealed, shared, key } = seal(fields, JSON.parse(f.plaintext), rcpt, ephemeral, hex(f.nonce),
    x25519.getPublicKey(ephemeral));
  if (Buffer.from(shared).toString('hex') !== f.shared_secret) throw new Error('shared secret differs');
  if (Buffer.from(key).toString('hex') !== f.aead_key) throw new Error('AEAD key differs');
  const envelope = sign({ v: 2, ...fields, ts: want.ts, sealed }, hex(f.sender_ed25519_seed));
  if (canonicalize(envelope) !== canonicalize(want)) throw new Error('the sealed envelope differs');
  if (canonicalize(open(want, hex(f.recipient_x25519_secret))) !== f.plaintext) throw new Error('does not open');
  console.log('ok');
} else if (cmd === 'open') {
  const envelope = JSON.parse(readFileSync(args[0], 'utf8'));
  const { sig } = envelope;
  if (!ed.verify(Buffer.from(sig, 'base64'), signedBytes(envelope), keyBytes(envelope.key))) throw new Error('bad signature');
  console.log(JSON.stringify(open(envelope, hex(args[1]))));
} else if (cmd === 'seal') {
  const [fixture, to, seedHex, aud, id] = args;
  const f = JSON.parse(readFileSync(fixture, 'utf8'));
  const seed = hex(seedHex);
  const fields = { id, kind: 'message', from: 'agent-js', to: 'agent-b',
    key: keyText('ed25519:', ed.getPublicKey(seed)), aud };
  const ephemeral = x25519.utils.randomPrivateKey();
  const nonce = crypto.getRandomValues(new Uint8Array(24));
  const { sealed } = seal(fields, { note: 'sealed by JS' }, keyBytes(to), ephemeral, nonce, null);
  console.log(JSON.stringify(sign({ v: 2, ...fields, ts: new Date().toISOString(), sealed }, seed)));
  void f;
} else {
  console.error('usage: sealed.mjs vector FIXTURE | open FILE SECRET_HEX | seal FIXTURE TO SEED AUD ID');
  process.exit(2);
}
