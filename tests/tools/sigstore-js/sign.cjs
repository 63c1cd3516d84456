// Signs with sigstore-js (the `sigstore` package, pinned in package.json) against an Attest server as Fulcio, Rekor
// and TSA: a real Sigstore client, no Attest code on the signing side. Usage:
//   node sign.cjs URL IDENTITY_TOKEN_FILE ARTIFACT OUT [dsse]
// With dsse, ARTIFACT is an in-toto statement signed as a DSSE envelope (sigstore.attest);
// otherwise its bytes are signed (sigstore.sign; hashedrekord 0.0.1). DSSE is logged as dsse 0.0.1 in a bundle v0.3;
// env LEGACY=1 asks for sigstore-js's legacy-compatible bundle (v0.2 with the chain; DSSE logged as intoto 0.0.2);
// env REKOR_V2=1 logs through Rekor v2 (POST /api/v2/log/entries: hashedrekord or dsse 0.0.2, no SET), building the
// bundle with @sigstore/sign as the sigstore package does, since its options do not reach the witness's API version.
// Prints "wrote OUT" and exits 0, or "FAIL: <code> <message>" and exits 1.
'use strict';
const fs = require('node:fs');
const sigstore = require('sigstore');

const [url, tokenFile, artifact, out, mode] = process.argv.slice(2);
if (!out || (mode && mode !== 'dsse')) {
  console.error('usage: node sign.cjs URL IDENTITY_TOKEN_FILE ARTIFACT OUT [dsse]');
  process.exit(2);
}
const options = {
  identityToken: fs.readFileSync(tokenFile, 'utf8').trim(),
  fulcioURL: url,
  rekorURL: url,
  tsaServerURL: url,
  tlogUpload: true,
  legacyCompatibility: process.env.LEGACY === '1',
  timeout: 20000,
  retry: 0,
};

async function signRekorV2(data) {
  const sign = require('@sigstore/sign');
  const { bundleToJSON } = require('@sigstore/bundle');
  const bundler = {
    signer: new sign.FulcioSigner({
      fulcioBaseURL: url,
      identityProvider: { getToken: () => Promise.resolve(options.identityToken) },
      retry: 0,
      timeout: options.timeout,
    }),
    witnesses: [
      new sign.RekorWitness({ rekorBaseURL: url, majorApiVersion: 2, retry: 0, timeout: options.timeout }),
      new sign.TSAWitness({ tsaBaseURL: url, retry: 0, timeout: options.timeout }),
    ],
  };
  const builder = mode === 'dsse' ? new sign.DSSEBundleBuilder(bundler) : new sign.MessageSignatureBundleBuilder(bundler);
  const bundle = mode === 'dsse'
    ? await builder.create({ data, type: 'application/vnd.in-toto+json' })
    : await builder.create({ data });
  return bundleToJSON(bundle);
}

(async () => {
  const data = fs.readFileSync(artifact);
  const bundle = process.env.REKOR_V2 === '1'
    ? await signRekorV2(data)
    : mode === 'dsse'
      ? await sigstore.attest(data, 'application/vnd.in-toto+json', options)
      : await sigstore.sign(data, options);
  fs.writeFileSync(out, JSON.stringify(bundle, null, 2));
  console.log(`wrote ${out}`);
})().catch((e) => {
  console.log(`FAIL: ${e.code ?? e.name} ${e.message}${e.cause ? ` (${e.cause.message ?? e.cause})` : ''}`);
  process.exit(1);
});
