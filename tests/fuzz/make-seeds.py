#!/usr/bin/env python3
"""Builds tests/fuzz/corpus/TARGET/ from tests/vectors (provenance in each vectors folder's PROVENANCE.md) and the
hand seeds below. Run once when vectors or targets change; the output is committed (small: afl++ wants small seeds).
   python3 tests/fuzz/make-seeds.py"""
import base64, io, json, os, shutil, zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
V = os.path.join(HERE, "..", "vectors")
OUT = os.path.join(HERE, "corpus")
seeds = {}

def add(target, name, data):
    if isinstance(data, str): data = data.encode()
    seeds.setdefault(target, {})[name] = data

def read(*path):
    with open(os.path.join(V, *path), "rb") as f: return f.read()

conf = ("sigstore", "conformance")
# bundles: small conformance bundles of every shape (v0.1-0.3, managed key, DSSE, Rekor v2 with checkpoint + TSA)
for case in ["managed-key-happy-path", "managed-key-and-trusted-root", "bundle-empty-certificate-chain_fail", "happy-path-v0.1",
             "happy-path-v0.3", "happy-path-intoto-in-dsse-v3", "rekor2-happy-path", "rekor2-dsse-happy-path", "bundle-with-sct-with-extensions"]:
    add("bundle", case + ".json", read(*conf, case, "bundle.sigstore.json"))
for case in ["intoto-with-custom-trust-root", "rekor2-happy-path", "managed-key-and-trusted-root"]:
    add("trusted-root", case + ".json", read(*conf, case, "trusted_root.json"))

def bundle(case): return json.loads(read(*conf, case, "bundle.sigstore.json"))
# DSSE envelopes and statements
for case in ["happy-path-intoto-in-dsse-v3", "rekor2-dsse-happy-path"]:
    envelope = bundle(case)["dsseEnvelope"]
    add("dsse", case + ".envelope.json", json.dumps(envelope))
    add("dsse", case + ".statement.json", base64.b64decode(envelope["payload"]))
add("dsse", "mock-statement.json", read("sigstore", "mock-generated", "statement.json"))
add("dsse", "minimal.envelope.json", '{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"keyid":"","sig":"MEUCIQ=="}]}')

# certificates: bundle leaves (Fulcio extensions, SCTs), chain and TSA certificates
def certs(b):
    vm = b["verificationMaterial"]
    if "certificate" in vm: yield vm["certificate"]["rawBytes"]
    for c in vm.get("x509CertificateChain", {}).get("certificates", []): yield c["rawBytes"]
n = 0
for case in ["happy-path-v0.3", "happy-path-v0.1", "bundle-with-sct-with-extensions", "rekor2-happy-path"]:
    for raw in certs(bundle(case)):
        add("certificate", f"{case}-{n}.der", base64.b64decode(raw)); n += 1
root = json.loads(read(*conf, "rekor2-timestamp-with-embedded-cert", "trusted_root.json"))
for i, tsa in enumerate(root.get("timestampAuthorities", [])[:1]):
    for j, c in enumerate(tsa["certChain"]["certificates"]):
        add("certificate", f"tsa-{i}-{j}.der", base64.b64decode(c["rawBytes"]))

# RFC 3161 TimeStampResp
for case in ["rekor2-timestamp-with-embedded-cert", "rekor2-timestamp-without-embedded-cert", "rekor2-happy-path"]:
    for i, ts in enumerate(bundle(case)["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"]):
        add("rfc3161", f"{case}-{i}.der", base64.b64decode(ts["signedTimestamp"]))

# signed notes, checkpoints, sumdb lookups, verifier keys
notes = read("go", "note-vectors.txt").decode()
for i, part in enumerate(notes.split("-----BEGIN NOTE ")[1:3]):
    add("signed-note", f"sumdb-head-{i}.txt", part.split("-----\n", 1)[1].split("-----END NOTE")[0])
for case in ["rekor2-happy-path", "rekor2-checkpoint-cosigned"]:
    for e in bundle(case)["verificationMaterial"]["tlogEntries"]:
        add("signed-note", case + ".checkpoint.txt", e["inclusionProof"]["checkpoint"]["envelope"])
add("signed-note", "lookup.txt", read("go", "real-sumdb-cache-2022", "cache", "sum.golang.org", "lookup", "golang.org", "x", "text@v0.3.0"))
add("signed-note", "vkey.txt", "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\n")

# AdmissionReviews (Connaisseur's test vectors)
for name in ["01_deployment.json", "02_pod.json", "04_cronjob.json", "10_update.json", "12_err_pod.json", "19_pod_initcontainer.json", "26_broken_update_admission_request.json"]:
    add("admission-review", name, read("admission", "connaisseur", name))

# policies
with open(os.path.join(HERE, "..", "..", "policies", "example.yaml"), "rb") as f: add("policy", "example.yaml", f.read())
for name in ["admission-policies.yaml", "sbom-policy.yaml"]:
    with open(os.path.join(HERE, "fixtures", name), "rb") as f: add("policy", name, f.read())
add("policy", "gosum.yaml", "apiVersion: attest.dev/v1\nkind: GoSumPolicy\nmetadata: {name: go}\nspec:\n  deniedModules: [\"github.com/evil/mod@<1.2.3\"]\n  allowLocalReplace: false\n  privatePatterns: [\"corp.example.com/*\"]\n")
add("policy", "key-platforms.yaml", """apiVersion: attest.dev/v1
kind: ImagePolicy
metadata: {name: p}
spec:
  match: {images: ["docker.io/library/*"], kinds: [Pod]}
  mode: warn
  authorities:
    - {name: k, key: {file: cosign.pub}, transparencyLog: optional}
    - {name: r, trustedRoot: trusted_root.json, keyless: {identities: [{issuerRegExp: '.*', subject: a@b.c}]}}
  signatures: {threshold: 1, authorities: [k]}
  attestations:
    - name: prov
      predicateType: https://slsa.dev/provenance/v1
      authorities: [k]
      conditions:
        - {path: /runDetails/builder/id, equals: "x"}
        - {path: /a/b, matches: 'x.+'}
        - {path: /c, oneOf: ["a", "b"]}
        - {path: /d, exists: true}
  platforms: {required: [linux/amd64, linux/arm/v7], signed: true}
""")

# OCI manifests and indexes
add("oci-manifest", "manifest.json", '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":1234,"annotations":{"dev.sigstore.cosign/signature":"MEUC"}}],"subject":{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:1111111111111111111111111111111111111111111111111111111111111111","size":99},"annotations":{"org.opencontainers.image.created":"2024-01-01T00:00:00Z"}}')
add("oci-manifest", "index.json", '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:2222222222222222222222222222222222222222222222222222222222222222","size":500,"platform":{"architecture":"arm","os":"linux","variant":"v7"}},{"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/spdx+json","digest":"sha384:333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333","size":12,"annotations":{"a":"b"}}]}')
add("oci-manifest", "docker-v2.json", '{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":1469,"digest":"sha256:feb5d9fea6a5e9606aa995e879d862b825965ba48de054caab5ef356dc6b3412"},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":2479,"digest":"sha256:2db29710123e3e53a794f2694094b9b4338aa9ee5c40b930cb8063a1be392c54"}]}')

# WWW-Authenticate challenges (first line) and token responses (the rest)
add("www-authenticate", "bearer.txt", 'Bearer realm="https://auth.fuzz.test/token",service="registry.fuzz.test",scope="repository:app:pull"\n{"token":"abc","expires_in":300}')
add("www-authenticate", "bearer-access-token.txt", 'Bearer realm=https://auth.fuzz.test/token,service=registry\n{"access_token":"xyz","issued_at":"2024-01-01T00:00:00Z"}')
add("www-authenticate", "basic.txt", 'Basic realm="registry"\n')
add("www-authenticate", "other-scheme.txt", 'Negotiate abc\n')

# go.mod, go.sum, modules.txt
add("go-mod", "all-directives.mod", """// comment
module example.com/m

go 1.21
toolchain go1.21.5
godebug default=go1.21
godebug (
	panicnil=1
)

require (
	golang.org/x/text v0.3.0 // indirect
	"example.com/quoted" v1.2.3
	`example.com/raw` v2.0.0+incompatible
)
require example.com/b v1.0.0

exclude example.com/c v1.1.0
replace example.com/a => ./local
replace example.com/b v1.0.0 => example.com/fork v1.0.1
retract [v1.0.0, v1.0.5] // bad
retract v0.9.0
""")
for name in os.listdir(os.path.join(V, "go", "attest-own-txtar-modules"))[:2]:
    text = read("go", "attest-own-txtar-modules", name).decode()
    if "-- go.mod --" in text: add("go-mod", name + ".mod", text.split("-- go.mod --\n", 1)[1].split("\n-- ", 1)[0])
add("go-sum", "go.sum", """golang.org/x/text v0.3.0 h1:g61tztE5qeGQ89tm6NTjjM9VPIm088od1l6aSorWRWg=
golang.org/x/text v0.3.0/go.mod h1:NqM8EUOU14njkJ3fqMW+pc6Ldnwhi/IjpwHt7yyuwOQ=
gopkg.in/yaml.v3 v3.0.0-20200313102051-9f266ea9e77c/go.mod h1:K4uyk7z7BCEPqu6E+C64Yfv1cQ7kz7rIZviUmN+EgEM=
example.com/!upper v1.0.0+incompatible h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
""")
lines = read("go", "cmdgo-1.19-script-gosum-lines.tsv").decode().splitlines()
add("go-sum", "cmdgo-lines.sum", "\n".join(l.split("\t")[-1] for l in lines[1:40] if "\t" in l) + "\n")
add("modules-txt", "modules.txt", """# golang.org/x/text v0.3.0
## explicit; go 1.17
golang.org/x/text/language
golang.org/x/text/internal/tag
# example.com/a v1.0.0 => ./local
## explicit
example.com/a
# example.com/b v1.0.0 => example.com/fork v1.0.1
example.com/b
# example.com/c => ../c
## workspace
""")

# zips: a module zip, a vendor upload, a module cache upload, odd shapes (empty, stored, comment)
def z(entries, comment=b"", compression=zipfile.ZIP_DEFLATED):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", compression) as f:
        for name, data in entries: f.writestr(name, data)
        f.comment = comment
    return b.getvalue()
add("module-zip", "module.zip", z([("example.com/m@v1.0.0/go.mod", "module example.com/m\n\ngo 1.21\n"), ("example.com/m@v1.0.0/m.go", "package m\n"), ("example.com/m@v1.0.0/LICENSE", "MIT\n")]))
add("module-zip", "vendor.zip", z([("modules.txt", "# example.com/m v1.0.0\n## explicit\nexample.com/m\n"), ("example.com/m/m.go", "package m\n"), ("example.com/m/sub/", "")]))
add("module-zip", "stored-comment.zip", z([("example.com/m@v1.0.0/go.mod", "module example.com/m\n")], b"a comment", zipfile.ZIP_STORED))
add("module-zip", "empty.zip", z([]))

# SBOMs: small documents of every format, and one in an in-toto statement
for p in [("sbom", "spdx23", "spdx-examples__presentations_OSS-NA-2023_SPDXVersion2.3_01-MinimalSBOM.json"),
          ("sbom", "spdx23", "spdx-examples__presentations_OSS-NA-2023_SPDXVersion2.3_04-SBOMwSecurity.json"),
          ("sbom", "spdx3", "spdx-examples__software_example13_spdx3.0_example13.spdx3.json"),
          ("sbom", "cdx", "1.6", "valid-license-expression-1.6.json"),
          ("sbom", "cdx", "1.6", "valid-component-hashes-1.6.json"),
          ("sbom", "cdx", "1.6", "valid-metadata-author-1.6.json"),
          ("sbom", "generated", "npm-sbom.cdx.json")]:
    add("sbom", p[-1], read(*p))
cdx = json.loads(read("sbom", "cdx", "1.6", "valid-license-expression-1.6.json"))
add("sbom", "intoto-cdx.json", json.dumps({"_type": "https://in-toto.io/Statement/v1", "subject": [{"name": "app", "digest": {"sha256": "0" * 64}}],
                                           "predicateType": "https://cyclonedx.org/bom", "predicate": cdx}))

# multipart uploads: the Content-Type line, then the body
def mp(parts, boundary="XyZ"):
    body = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{n}"{"; filename=" + chr(34) + n + chr(34) if f else ""}\r\n\r\n{v}\r\n' for n, v, f in parts)
    return f"multipart/form-data; boundary={boundary}\n" + body + f"--{boundary}--\r\n"
add("multipart", "gosum.txt", mp([("go.mod", "module example.com/m\n", True), ("go.sum", "", True), ("subjectDigest", "sha256:" + "0" * 64, False), ("module", "PK", True), ("module", "PK", True)]))
add("multipart", "quoted-boundary.txt", mp([("subjectName", "registry.example.com/app", False)], '"a b"').replace("boundary=a b", 'boundary="a b"'))
add("multipart", "unknown-field.txt", mp([("other", "x", False)]))

# licence expressions and package URLs
for i, e in enumerate(["MIT", "Apache-2.0 OR MIT", "(GPL-2.0-only WITH Classpath-exception-2.0 OR MIT) AND BSD-3-Clause",
                       "LicenseRef-proprietary", "DocumentRef-spdx-tool-1.2:LicenseRef-MIT-Style-2", "GPL-2.0+", "NOASSERTION", "mit and (apache-2.0 or isc)"]):
    add("license-expression", f"expr-{i}.txt", e)
for i, p in enumerate(["pkg:npm/%40angular/animation@12.3.1", "pkg:golang/github.com/gorilla/context@234fd47e07d1004f0aed9c#api",
                       "pkg:maven/org.apache.xmlgraphics/batik-anim@1.9.1?repository_url=repo.spring.io%2Frelease&classifier=sources",
                       "pkg:deb/debian/curl@7.50.3-1?arch=i386&distro=jessie", "pkg:docker/customer/dockerimage@sha256%3A244fd47e07d10?repository_url=gcr.io",
                       "pkg:pypi/django@1.11.1", "pkg:npm/lodash@>=4.0.0 <4.17.21", "pkg:golang/github.com/evil/mod@<1.2.3"]):
    add("purl", f"purl-{i}.txt", p)

if os.path.isdir(OUT): shutil.rmtree(OUT)
for target, files in seeds.items():
    os.makedirs(os.path.join(OUT, target))
    for name, data in files.items():
        with open(os.path.join(OUT, target, name), "wb") as f: f.write(data)
    print(f"{target}: {len(files)} seeds, {sum(map(len, files.values()))} bytes")
