// The Digital Credentials Consortium's verifier (@digitalcredentials/verifier-core), driven by
// bench/verify_credentials.py: one credential per line of JSON on stdin, one verdict per line
// on stdout, in the same order.
//
// It runs offline, as the benchmark must: the verifier's document loader carries its own
// copies of the VC, Data Integrity, Bitstring status and Open Badges 3.0 contexts, did:key
// resolves locally, the documents an issuer would publish (a status list) are handed in
// (DCC_DOCUMENTS), and every other network request is refused before it leaves the process.
//
// A verdict line is {"verdict": "valid" | "invalid" | "revoked" | "expired", "reason": ...}.
// The first line written, before any credential is read, is {"ready": true}.

import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

// verifier-core also validates an Open Badges credential against 1EdTech's JSON Schema,
// fetched from purl.imsglobal.org. That step decides no verdict (its result is extra
// information), and the official schemas are bundled nowhere (our library has none either,
// and checks a schema only when a credential names one): it is given an empty schema, so
// that it costs what a compiled, cached schema costs and never reaches the network.
const SCHEMAS = 'https://purl.imsglobal.org/spec/ob/v3p0/schema/';
// Documents an issuer would publish (a status list credential) come from the JSON file
// DCC_DOCUMENTS names, URL to document, as if fetched.
const published = process.env.DCC_DOCUMENTS
  ? JSON.parse(readFileSync(process.env.DCC_DOCUMENTS, 'utf8'))
  : {};
globalThis.fetch = async (resource) => {
  const url = String(resource instanceof Request ? resource.url : resource);
  if (url.startsWith(SCHEMAS)) return new Response('{}');
  if (url in published) {
    const headers = { 'content-type': 'application/json' };
    return new Response(JSON.stringify(published[url]), { headers });
  }
  throw new Error(`offline benchmark: no fetch of ${resource}`);
};
// Its log lines go to stderr: stdout carries the verdicts only.
console.log = console.error;

const { verifyCredential } = await import('@digitalcredentials/verifier-core');

function verdictOf(result) {
  if (result.errors && result.errors.length) {
    return { verdict: 'invalid', reason: result.errors.map((e) => e.name).join(',') };
  }
  // A check that throws without a log entry (a validFrom or issuanceDate still to come) is
  // left in the response as `error`, next to a log that looks clean: it is a failure all
  // the same (see bench/README.md).
  if (result.error) return { verdict: 'invalid', reason: String(result.error.message) };
  const failed = (id) => (result.log || []).some((entry) => entry.id === id && entry.valid === false);
  if (failed('valid_signature')) return { verdict: 'invalid', reason: 'valid_signature' };
  if (failed('revocation_status')) return { verdict: 'revoked', reason: 'revocation_status' };
  if (failed('expiration')) return { verdict: 'expired', reason: 'expiration' };
  return { verdict: 'valid', reason: null };
}

process.stdout.write(JSON.stringify({ ready: true }) + '\n');
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  let answer;
  try {
    const result = await verifyCredential({ credential: JSON.parse(line), knownDIDRegistries: [] });
    answer = verdictOf(result);
  } catch (error) {
    answer = { verdict: 'invalid', reason: String(error && error.message) };
  }
  process.stdout.write(JSON.stringify(answer) + '\n');
}
