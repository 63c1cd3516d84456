// Verifies a keyless Sigstore bundle with sigstore-js (@sigstore/verify) against a trusted_root.json, requiring the
// certificate identity and OIDC issuer, a transparency-log entry, an SCT and an RFC 3161 timestamp. Usage:
//   node verify-keyless.cjs BUNDLE TRUSTED_ROOT IDENTITY ISSUER ARTIFACT
// Prints "OK" and exits 0 when verified; prints "FAIL: <code> <message>" and exits 1 otherwise.
'use strict';
const fs = require('node:fs');
const crypto = require('node:crypto');
const { bundleFromJSON } = require('@sigstore/bundle');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');
const { TrustedRoot } = require('@sigstore/protobuf-specs');

const [bundlePath, trustedRootPath, identity, issuer, artifactPath] = process.argv.slice(2);
if (!artifactPath) {
  console.error('usage: node verify-keyless.cjs BUNDLE TRUSTED_ROOT IDENTITY ISSUER ARTIFACT');
  process.exit(2);
}
try {
  const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(bundlePath, 'utf8')));
  const trust = toTrustMaterial(TrustedRoot.fromJSON(JSON.parse(fs.readFileSync(trustedRootPath, 'utf8'))));
  const artifact = fs.readFileSync(artifactPath);
  new Verifier(trust, { tlogThreshold: 1, ctlogThreshold: 1, tsaThreshold: 1 })
    .verify(toSignedEntity(bundle, artifact), { subjectAlternativeName: identity, extensions: { issuer } });
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
