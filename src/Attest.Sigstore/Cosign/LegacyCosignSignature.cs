using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Attest.Core;
using Attest.Core.Crypto;
using Attest.Core.Dsse;
using Attest.Core.Json;
using Attest.Sigstore.Bundles;
using Attest.Sigstore.Verification;

namespace Attest.Sigstore.Cosign;

/// <summary>
/// One layer of a legacy cosign signature manifest (tag <c>sha256-&lt;hex&gt;.sig</c>, cosign specs/SIGNATURE_SPEC.md):
/// the simple-signing payload blob and the layer's annotations.
/// </summary>
public sealed record LegacyCosignSignature(byte[] Payload, IReadOnlyDictionary<string, string> Annotations)
{
    public const string SimpleSigningMediaType = "application/vnd.dev.cosign.simplesigning.v1+json";
    public const string SignatureAnnotation = "dev.cosignproject.cosign/signature";
    public const string CertificateAnnotation = "dev.sigstore.cosign/certificate";
    public const string ChainAnnotation = "dev.sigstore.cosign/chain";
    public const string BundleAnnotation = "dev.sigstore.cosign/bundle";
    public const string Rfc3161Annotation = "dev.sigstore.cosign/rfc3161timestamp";
    public const string SignatureType = "cosign container image signature";
    public const int MaxPayloadBytes = 1 << 20;
}

/// <summary>
/// One layer of a legacy cosign attestation manifest (tag <c>sha256-&lt;hex&gt;.att</c>, cosign specs/ATTESTATION_SPEC.md):
/// a DSSE envelope of an in-toto statement (media type <see cref="DsseMediaType"/>) and the layer's annotations
/// (certificate, chain, Rekor bundle; cosign leaves the signature annotation empty since the envelope carries it).
/// </summary>
public sealed record LegacyCosignAttestation(byte[] Envelope, IReadOnlyDictionary<string, string> Annotations)
{
    public const string DsseMediaType = "application/vnd.dsse.envelope.v1+json";
    public const string PredicateTypeAnnotation = "predicateType";

    /// <summary>An SBOM statement can be large; the envelope is never more than this.</summary>
    public const int MaxEnvelopeBytes = 32 << 20;
}

/// <summary>
/// Verifies legacy cosign image signatures by re-expressing a layer as the Sigstore bundle it is equivalent to — a
/// message signature over the payload blob, the certificate (and chain) as verification material, the Rekor bundle
/// annotation as a transparency log entry with its SET — and running <see cref="BundleVerifier"/>'s pipeline on it;
/// then checks the claim: the payload names the image digest and is a cosign container image signature
/// (cosign pkg/cosign/verify.go: VerifyBundle, SimpleClaimVerifier). An RFC 3161 annotation becomes the bundle's
/// timestamp and is verified like any bundle timestamp.
/// </summary>
public sealed class LegacyCosignVerifier
{
    private readonly BundleVerifier _verifier;
    private readonly SigstoreLimits _limits;

    public LegacyCosignVerifier(BundleVerifier verifier, SigstoreLimits? limits = null)
    {
        _verifier = verifier;
        _limits = limits ?? SigstoreLimits.Default;
    }

    public VerificationResult Verify(LegacyCosignSignature layer, Digest imageDigest, ArtifactPolicy policy)
    {
        if (!TryCheckClaim(layer.Payload, imageDigest, out var claimFinding)) return VerificationResult.Fail(claimFinding);
        if (!TryToBundle(layer, _limits, out var bundle, out var finding)) return VerificationResult.Fail(finding);
        return _verifier.Verify(bundle, Artifact.FromBytes(layer.Payload), policy);
    }

    /// <summary>A legacy cosign attestation: its DSSE envelope as a bundle (certificate, chain and Rekor bundle from
    /// the annotations) verified like any DSSE bundle: the signature over the PAE with the authority's key or
    /// certificate, the payload an in-toto statement, and <paramref name="imageDigest"/> one of its subjects.</summary>
    public VerificationResult VerifyAttestation(LegacyCosignAttestation layer, Digest imageDigest, ArtifactPolicy policy)
    {
        if (!TryToBundle(layer, _limits, out var bundle, out var finding)) return VerificationResult.Fail(finding);
        return _verifier.Verify(bundle, Artifact.FromDigest(imageDigest), policy);
    }

    /// <summary>The simple-signing claim: <c>critical.image.docker-manifest-digest</c> equals the image digest and
    /// <c>critical.type</c> is a cosign container image signature. Member names match case-insensitively, as Go's decoder does.</summary>
    internal static bool TryCheckClaim(byte[] payload, Digest imageDigest, [NotNullWhen(false)] out Finding? finding)
    {
        finding = null;
        if (payload.Length > LegacyCosignSignature.MaxPayloadBytes)
            return Fail(SigstoreCodes.CosignPayload, $"The signature payload is larger than {LegacyCosignSignature.MaxPayloadBytes} bytes.", out finding);
        try
        {
            using var document = JsonDocument.Parse(payload, new JsonDocumentOptions { MaxDepth = 16 });
            var critical = Member(document.RootElement, "critical");
            var type = Member(critical, "type");
            var digest = Member(Member(critical, "image"), "docker-manifest-digest");
            if (type.ValueKind != JsonValueKind.String || type.GetString() != LegacyCosignSignature.SignatureType)
                return Fail(SigstoreCodes.CosignPayload, $"The signature payload is not a '{LegacyCosignSignature.SignatureType}'.", out finding);
            if (digest.ValueKind != JsonValueKind.String || digest.GetString() != imageDigest.ToString())
            {
                var found = digest.ValueKind == JsonValueKind.String ? digest.GetString() : "(none)";
                return Fail(SigstoreCodes.CosignClaimMismatch, $"The signature is for image {found}, not {imageDigest}.", out finding);
            }
            return true;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return Fail(SigstoreCodes.CosignPayload, $"The signature payload is not valid simple-signing JSON: {e.Message}", out finding);
        }
    }

    /// <summary>Builds the equivalent bundle (v0.1 rules: a SET is required, no inclusion proof).</summary>
    internal static bool TryToBundle(LegacyCosignSignature layer, SigstoreLimits limits, [NotNullWhen(true)] out Bundle? bundle, [NotNullWhen(false)] out Finding? finding)
    {
        bundle = null;
        if (!layer.Annotations.TryGetValue(LegacyCosignSignature.SignatureAnnotation, out var signatureText) || !Base64Any.TryDecode(signatureText, out var signature) || signature.Length == 0)
            return Fail(SigstoreCodes.BundleBase64, "The layer has no valid base64 'dev.cosignproject.cosign/signature' annotation.", out finding);
        if (!TryReadMaterial(layer.Annotations, limits, out var material, out finding)) return false;
        bundle = material.ToBundle("cosign legacy signature", new MessageSignature("SHA2_256", SHA256.HashData(layer.Payload), signature), null, null);
        return true;
    }

    /// <summary>Builds the bundle equivalent to an attestation layer: its DSSE envelope (exactly one signature, as
    /// cosign writes and as bundles carry) with the annotations' verification material.</summary>
    internal static bool TryToBundle(LegacyCosignAttestation layer, SigstoreLimits limits, [NotNullWhen(true)] out Bundle? bundle, [NotNullWhen(false)] out Finding? finding)
    {
        bundle = null;
        if (layer.Envelope.Length > LegacyCosignAttestation.MaxEnvelopeBytes)
            return Fail(SigstoreCodes.BundleLimit, $"The attestation envelope is larger than {LegacyCosignAttestation.MaxEnvelopeBytes} bytes.", out finding);
        byte[] canonical;
        DsseEnvelope? envelope;
        try
        {
            using var document = JsonDocument.Parse(layer.Envelope, new JsonDocumentOptions { MaxDepth = limits.MaxJsonDepth });
            if (!DsseEnvelope.TryRead(document.RootElement, out envelope, out var error, new DsseLimits(LegacyCosignAttestation.MaxEnvelopeBytes, 16, limits.MaxJsonDepth)))
                return Fail(SigstoreCodes.BundleDsse, $"The attestation layer is not a valid DSSE envelope: {error}.", out finding);
            canonical = CanonicalJson.Canonicalize(document.RootElement);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return Fail(SigstoreCodes.BundleDsse, $"The attestation layer is not a valid DSSE envelope: {e.Message}", out finding);
        }
        if (envelope.Payload.Length > limits.MaxDssePayloadBytes)
            return Fail(SigstoreCodes.BundleLimit, $"The DSSE payload is larger than {limits.MaxDssePayloadBytes} bytes.", out finding);
        if (envelope.Signatures.Count != 1)
            return Fail(SigstoreCodes.BundleDsse, $"The attestation's DSSE envelope has {envelope.Signatures.Count} signatures; cosign writes exactly one.", out finding);
        if (!TryReadMaterial(layer.Annotations, limits, out var material, out finding)) return false;
        bundle = material.ToBundle("cosign legacy attestation", null, envelope, canonical);
        return true;
    }

    private sealed record Material(List<Core.X509.CertificateFields> Certificates, List<TransparencyLogEntry> Entries, List<byte[]> Timestamps)
    {
        /// <summary>The v0.1-style bundle a legacy layer amounts to: exactly one of a message signature or a DSSE envelope,
        /// with this verification material (a public key when the annotations carry no certificate).</summary>
        public Bundle ToBundle(string mediaType, MessageSignature? messageSignature, DsseEnvelope? envelope, byte[]? canonicalEnvelope) => new()
        {
            MediaType = mediaType,
            MinorVersion = 1,
            ParsedCertificates = Certificates,
            PublicKeyHint = null,
            HasPublicKey = Certificates.Count == 0,
            TlogEntries = Entries,
            Rfc3161Timestamps = Timestamps,
            MessageSignature = messageSignature,
            DsseEnvelope = envelope,
            CanonicalDsseEnvelope = canonicalEnvelope,
        };
    }

    /// <summary>Certificate and chain, Rekor bundle and RFC 3161 timestamp annotations, shared by signatures and attestations.</summary>
    private static bool TryReadMaterial(IReadOnlyDictionary<string, string> annotations, SigstoreLimits limits, [NotNullWhen(true)] out Material? material, [NotNullWhen(false)] out Finding? finding)
    {
        material = null;
        var certificates = new List<Core.X509.CertificateFields>();
        if (annotations.TryGetValue(LegacyCosignSignature.CertificateAnnotation, out var certificatePem) && certificatePem.Length > 0)
        {
            var pems = new List<byte[]>();
            if (!Pem.TryReadAll(certificatePem, Pem.CertificateLabel, 1, out pems, out var pemError))
                return Fail(SigstoreCodes.BundleCertificate, $"The certificate annotation is not one PEM certificate: {pemError}.", out finding);
            if (annotations.TryGetValue(LegacyCosignSignature.ChainAnnotation, out var chainPem) && chainPem.Length > 0)
            {
                if (!Pem.TryReadAll(chainPem, Pem.CertificateLabel, limits.MaxChainLength, out var chain, out pemError))
                    return Fail(SigstoreCodes.BundleCertificateChain, $"The chain annotation is not a list of PEM certificates: {pemError}.", out finding);
                pems.AddRange(chain);
            }
            foreach (var der in pems)
            {
                if (!Core.X509.CertificateFields.TryParse(der, out var certificate, out var certificateError))
                    return Fail(SigstoreCodes.BundleCertificate, $"An annotation certificate cannot be read: {certificateError}.", out finding);
                certificates.Add(certificate);
            }
        }

        var entries = new List<TransparencyLogEntry>();
        if (annotations.TryGetValue(LegacyCosignSignature.BundleAnnotation, out var rekorBundle) && rekorBundle.Length > 0)
        {
            if (!TryReadRekorBundle(rekorBundle, limits, out var entry, out finding)) return false;
            entries.Add(entry);
        }

        // dev.sigstore.cosign/rfc3161timestamp: {"SignedRFC3161Timestamp":"<b64 TimeStampResp>"}, over the raw signature bytes.
        var timestamps = new List<byte[]>();
        if (annotations.TryGetValue(LegacyCosignSignature.Rfc3161Annotation, out var timestampJson) && timestampJson.Length > 0)
        {
            if (timestampJson.Length > limits.MaxTimestampBytes * 2)
                return Fail(SigstoreCodes.BundleLimit, "The RFC 3161 timestamp annotation is too large.", out finding);
            try
            {
                using var document = JsonDocument.Parse(Encoding.UTF8.GetBytes(timestampJson), new JsonDocumentOptions { MaxDepth = 4 });
                if (Member(document.RootElement, "SignedRFC3161Timestamp") is not { ValueKind: JsonValueKind.String } value
                    || !Base64Any.TryDecode(value.GetString()!, out var response) || response.Length == 0)
                    return Fail(SigstoreCodes.TimestampMalformed, "The RFC 3161 timestamp annotation has no valid SignedRFC3161Timestamp.", out finding);
                timestamps.Add(response);
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                return Fail(SigstoreCodes.TimestampMalformed, $"The RFC 3161 timestamp annotation is not valid JSON: {e.Message}", out finding);
            }
        }

        material = new Material(certificates, entries, timestamps);
        finding = null;
        return true;
    }

    /// <summary>The Rekor bundle annotation: <c>{"SignedEntryTimestamp":b64,"Payload":{"body":b64,"integratedTime":n,"logIndex":n,"logID":hex}}</c>.</summary>
    private static bool TryReadRekorBundle(string json, SigstoreLimits limits, [NotNullWhen(true)] out TransparencyLogEntry? entry, [NotNullWhen(false)] out Finding? finding)
    {
        entry = null;
        if (json.Length > limits.MaxCanonicalizedBodyBytes * 2)
            return Fail(SigstoreCodes.BundleLimit, "The Rekor bundle annotation is too large.", out finding);
        try
        {
            using var document = JsonDocument.Parse(Encoding.UTF8.GetBytes(json), new JsonDocumentOptions { MaxDepth = 8 });
            var root = document.RootElement;
            var payload = Member(root, "Payload");
            if (Member(root, "SignedEntryTimestamp") is not { ValueKind: JsonValueKind.String } setElement || !Base64Any.TryDecode(setElement.GetString()!, out var set) || set.Length == 0)
                return Fail(SigstoreCodes.TlogSetMissing, "The Rekor bundle annotation has no valid SignedEntryTimestamp.", out finding);
            if (Member(payload, "body") is not { ValueKind: JsonValueKind.String } bodyElement || !Base64Any.TryDecode(bodyElement.GetString()!, out var body) || body.Length == 0)
                return Fail(SigstoreCodes.BundleTlogEntry, "The Rekor bundle annotation has no valid body.", out finding);
            if (Member(payload, "logID") is not { ValueKind: JsonValueKind.String } logIdElement || logIdElement.GetString()!.Length != 64)
                return Fail(SigstoreCodes.BundleTlogEntry, "The Rekor bundle annotation has no hex logID.", out finding);
            byte[] logId;
            try
            {
                logId = Convert.FromHexString(logIdElement.GetString()!);
            }
            catch (FormatException)
            {
                return Fail(SigstoreCodes.BundleTlogEntry, "The Rekor bundle annotation logID is not hex.", out finding);
            }
            if (Member(payload, "integratedTime") is not { ValueKind: JsonValueKind.Number } timeElement || !timeElement.TryGetInt64(out var integratedTime) || integratedTime < 0
                || Member(payload, "logIndex") is not { ValueKind: JsonValueKind.Number } indexElement || !indexElement.TryGetInt64(out var logIndex) || logIndex < 0)
                return Fail(SigstoreCodes.BundleTlogEntry, "The Rekor bundle annotation has no valid integratedTime or logIndex.", out finding);
            using var bodyDocument = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = limits.MaxJsonDepth });
            var kind = Member(bodyDocument.RootElement, "kind");
            var version = Member(bodyDocument.RootElement, "apiVersion");
            if (kind.ValueKind != JsonValueKind.String || version.ValueKind != JsonValueKind.String)
                return Fail(SigstoreCodes.TlogBodyMalformed, "The Rekor entry body has no kind or apiVersion.", out finding);
            entry = new TransparencyLogEntry(logIndex, logId, kind.GetString()!, version.GetString()!, integratedTime, set, null, body);
            finding = null;
            return true;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return Fail(SigstoreCodes.BundleTlogEntry, $"The Rekor bundle annotation is not valid JSON: {e.Message}", out finding);
        }
    }

    /// <summary>An object member by case-insensitive name, as Go's encoding/json matches; default when absent.</summary>
    private static JsonElement Member(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.Object) return default;
        foreach (var property in element.EnumerateObject())
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase)) return property.Value;
        return default;
    }

    private static bool Fail(string code, string message, out Finding finding)
    {
        finding = new Finding(code, message);
        return false;
    }
}
