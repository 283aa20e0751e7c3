// The Digital Credentials Consortium's verifier (@digitalcredentials/verifier-core), driven by
// bench/verify_credentials.py: one credential per line of JSON on stdin, one verdict per line
// on stdout, in the same order.
//
// It runs offline, as the benchmark must: the verifier's document loader carries its own
// copies of the VC, Data Integrity, Bitstring status and Open Badges 3.0 contexts, did:key
// resolves locally, and every network request is refused here before it leaves the process.
//
// A verdict line is {"verdict": "valid" | "invalid" | "revoked" | "expired", "reason": ...}.
// The first line written, before any credential is read, is {"ready": true}.

import { createInterface } from 'node:readline';

globalThis.fetch = async (resource) => {
  throw new Error(`offline benchmark: no fetch of ${resource}`);
};

const { verifyCredential } = await import('@digitalcredentials/verifier-core');

function verdictOf(result) {
  if (result.errors && result.errors.length) {
    return { verdict: 'invalid', reason: result.errors.map((e) => e.name).join(',') };
  }
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
