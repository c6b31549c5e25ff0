// Checks a bwoc agent card's signature with implementations bwoc did not
// write: `jose` (RFC 7515 JWS, EdDSA) over the RFC 8785 form that the
// `canonicalize` package makes of the card without its `signatures`.
//
//   node card_jws.mjs CARD_URL PINNED_KEY   -> "ok", or an error and exit 1
import canonicalize from 'canonicalize';
import { flattenedVerify, importJWK } from 'jose';

const [url, pinned] = process.argv.slice(2);
const card = await (await fetch(url)).json();
const { signatures, ...unsigned } = card;
if (!Array.isArray(signatures) || signatures.length === 0) {
  console.error('the card has no signatures');
  process.exit(1);
}
const raw = Buffer.from(pinned.replace(/^ed25519:/, ''), 'base64');
const key = await importJWK({ kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, 'EdDSA');
const payload = Buffer.from(canonicalize(unsigned), 'utf8').toString('base64url');
for (const s of signatures) {
  try {
    const { protectedHeader } = await flattenedVerify({ protected: s.protected, payload, signature: s.signature }, key);
    if (protectedHeader.alg === 'EdDSA') {
      console.log('ok');
      process.exit(0);
    }
  } catch (e) {
    console.error(`signature does not verify: ${e.code ?? e.message}`);
  }
}
process.exit(1);
