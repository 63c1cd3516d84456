// Verifies a Sigstore bundle with sigstore-js (@sigstore/verify), given a trusted_root.json and the signer's public
// key: an independent peer's verdict on bundles Attest issues. Usage:
//   node verify-with-key.cjs BUNDLE TRUSTED_ROOT PUBLIC_KEY_PEM ARTIFACT
// Prints "OK" and exits 0 when verified; prints "FAIL: <code> <message>" and exits 1 otherwise.
'use strict';
const fs = require('node:fs');
const crypto = require('node:crypto');
const { bundleFromJSON } = require('@sigstore/bundle');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');
const { TrustedRoot } = require('@sigstore/protobuf-specs');

const [bundlePath, trustedRootPath, keyPath, artifactPath] = process.argv.slice(2);
if (!artifactPath) {
  console.error('usage: node verify-with-key.cjs BUNDLE TRUSTED_ROOT PUBLIC_KEY_PEM ARTIFACT');
  process.exit(2);
}

try {
  const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(bundlePath, 'utf8')));
  const publicKey = crypto.createPublicKey(fs.readFileSync(keyPath, 'utf8'));
  // The key is trusted for whatever hint the bundle names: the test decides which key it expects.
  const keys = () => ({ publicKey, validFor: () => true });
  const trust = toTrustMaterial(TrustedRoot.fromJSON(JSON.parse(fs.readFileSync(trustedRootPath, 'utf8'))), keys);
  const artifact = fs.readFileSync(artifactPath);
  const entity = toSignedEntity(bundle, artifact);
  new Verifier(trust, { tlogThreshold: 1, ctlogThreshold: 0, tsaThreshold: 0 }).verify(entity);
  // @sigstore/verify checks a DSSE envelope's signature, not what the statement is about (its callers do, as the
  // sigstore-conformance protocol asks): the artifact's SHA-256 must be one of the statement's subjects.
  if (bundle.content.$case === 'dsseEnvelope') {
    const statement = JSON.parse(Buffer.from(bundle.content.dsseEnvelope.payload).toString('utf8'));
    const digest = crypto.createHash('sha256').update(artifact).digest('hex');
    if (!(statement.subject ?? []).some((s) => s?.digest?.sha256 === digest)) {
      const error = new Error('no subject of the statement has the artifact\'s sha256');
      error.code = 'SUBJECT_MISMATCH';
      throw error;
    }
  }
  console.log('OK');
} catch (e) {
  console.log(`FAIL: ${e.code ?? e.name} ${e.message}`);
  process.exit(1);
}
