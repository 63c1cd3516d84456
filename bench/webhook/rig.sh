# The admission rig the webhook benchmarks share (sourced, not run): a real registry on a free loopback port with one
# image, a policy requiring the release key, a TLS certificate for 127.0.0.1 and an AdmissionReview for the image.
# Needs WORK, PIDS, free_port from the caller; sets REG, DIGEST and writes $WORK/{policies/,tls.crt,tls.key,review.json}.
# --- registry with one image ---
RP=$(free_port); REG="127.0.0.1:$RP"
cat >"$WORK/registry.yml" <<YAML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $WORK/storage}, delete: {enabled: true}}
http: {addr: $REG, secret: bench}
YAML
docker-registry serve "$WORK/registry.yml" >"$WORK/registry.log" 2>&1 & PIDS+=($!)
for _ in $(seq 100); do curl -sf "http://$REG/v2/" >/dev/null && break; sleep 0.1; done
push_blob() { # file -> digest
  local d; d="sha256:$(sha256sum "$1" | cut -d' ' -f1)"
  local loc; loc=$(curl -sf -X POST -D - -o /dev/null "http://$REG/v2/bench/app/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  case "$loc" in http*) ;; *) loc="http://$REG$loc" ;; esac
  curl -sf -X PUT --data-binary @"$1" -H 'Content-Type: application/octet-stream' "$loc&digest=$d" >/dev/null
  echo "$d"
}
printf '{"architecture":"amd64","os":"linux"}' >"$WORK/config.json"
CONFIG=$(push_blob "$WORK/config.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},"layers":[]}' \
  "$CONFIG" "$(stat -c %s "$WORK/config.json")" >"$WORK/manifest.json"
curl -sf -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary @"$WORK/manifest.json" "http://$REG/v2/bench/app/manifests/v1" >/dev/null
DIGEST="sha256:$(sha256sum "$WORK/manifest.json" | cut -d' ' -f1)"

# --- policies, TLS, AdmissionReview ---
mkdir -p "$WORK/policies"
openssl ecparam -name prime256v1 -genkey -noout -out "$WORK/release.key" 2>/dev/null
openssl ec -in "$WORK/release.key" -pubout -out "$WORK/policies/release.pub" 2>/dev/null
cat >"$WORK/policies/bench.yaml" <<YAML
apiVersion: attest.dev/v1
kind: ImagePolicy
metadata: {name: bench}
spec:
  match: {images: ["$REG/**"]}
  signatures: {authorities: [{name: release, key: {file: release.pub}}]}
YAML
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=bench \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$WORK/tls.key" -out "$WORK/tls.crt" 2>/dev/null
cat >"$WORK/review.json" <<JSON
{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"bench-1","kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},"name":"web","namespace":"default","operation":"CREATE","userInfo":{"username":"bench"},"object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"default"},"spec":{"containers":[{"name":"app","image":"$REG/bench/app@$DIGEST"}]}},"oldObject":null,"dryRun":false}}
JSON

