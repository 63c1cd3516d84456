using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.RegularExpressions;
using Attest.Core;
using Attest.Core.Dsse;
using Attest.Core.Json;
using Attest.Core.X509;

namespace Attest.Sigstore.Bundles;

/// <summary>The signed content of a bundle: a message signature over an artifact digest.</summary>
public sealed record MessageSignature(string? DigestAlgorithm, byte[]? Digest, byte[] Signature);

/// <summary>An inclusion proof as the bundle carries it (RFC 6962 audit path plus the log's signed checkpoint).</summary>
public sealed record InclusionProof(long LogIndex, byte[] RootHash, long TreeSize, IReadOnlyList<byte[]> Hashes, string Checkpoint);

/// <summary>One transparency log entry of a bundle (protobuf-specs <c>TransparencyLogEntry</c>).</summary>
public sealed record TransparencyLogEntry(
    long LogIndex,
    byte[] LogId,
    string Kind,
    string Version,
    long IntegratedTime,
    byte[]? SignedEntryTimestamp,
    InclusionProof? InclusionProof,
    byte[] CanonicalizedBody);

/// <summary>
/// A Sigstore bundle v0.1–v0.3 (protobuf-specs <c>dev.sigstore.bundle.v1.Bundle</c>), decoded and structurally checked:
/// base64 decoded, certificates parsed, exactly one content and one verification material, and the per-version rules
/// (v0.1 needs a SET, later versions an inclusion proof; v0.3 carries a single certificate).
/// </summary>
public sealed partial class Bundle
{
    internal Bundle() { }

    public required string MediaType { get; init; }

    /// <summary>Minor version: 1, 2 or 3.</summary>
    public required int MinorVersion { get; init; }

    /// <summary>The leaf certificate first, then any intermediates the bundle carries; empty for key-signed bundles.</summary>
    public IReadOnlyList<X509Certificate2> Certificates => _certificates ??= ParsedCertificates.Select(c => X509CertificateLoader.LoadCertificate(c.RawData)).ToArray();

    private X509Certificate2[]? _certificates;

    /// <summary>The same certificates, parsed for verification (no native certificate objects on the hot path).</summary>
    public required IReadOnlyList<CertificateFields> ParsedCertificates { get; init; }

    /// <summary>Present when the bundle is signed with a managed key (the hint is unauthenticated).</summary>
    public required string? PublicKeyHint { get; init; }

    public required bool HasPublicKey { get; init; }

    public required IReadOnlyList<TransparencyLogEntry> TlogEntries { get; init; }

    /// <summary>DER TimeStampResp values.</summary>
    public required IReadOnlyList<byte[]> Rfc3161Timestamps { get; init; }

    public required MessageSignature? MessageSignature { get; init; }

    public required DsseEnvelope? DsseEnvelope { get; init; }

    /// <summary>RFC 8785 canonical JSON of the bundle's envelope object (what Rekor's dsse 0.0.1 <c>envelopeHash</c> covers).</summary>
    public required byte[]? CanonicalDsseEnvelope { get; init; }

    public X509Certificate2? Leaf => ParsedCertificates.Count > 0 ? Certificates[0] : null;

    /// <summary>The leaf certificate's fields; null for key-signed bundles.</summary>
    public CertificateFields? LeafFields => ParsedCertificates.Count > 0 ? ParsedCertificates[0] : null;

    /// <summary>The signature bytes the artifact and the timestamps are about.</summary>
    public byte[] SignatureBytes => MessageSignature?.Signature ?? DsseEnvelope!.Signatures[0].Signature;

    [GeneratedRegex(@"^application/vnd\.dev\.sigstore\.bundle(?:\+json;version=(?<v1>[0-9]+\.[0-9]+)|\.v(?<v2>[0-9]+\.[0-9]+(?:\.[0-9]+)?)\+json)\z", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex MediaTypePattern();

    public static bool TryParse(ReadOnlySpan<byte> json, [NotNullWhen(true)] out Bundle? bundle, [NotNullWhen(false)] out Finding? finding, SigstoreLimits? limits = null)
    {
        limits ??= SigstoreLimits.Default;
        bundle = null;
        if (json.Length > limits.MaxBundleBytes)
            return Fail(SigstoreCodes.BundleTooLarge, $"The bundle is {json.Length} bytes, more than the {limits.MaxBundleBytes}-byte limit.", out finding);
        BundleJson? dto;
        try
        {
            // Proto field names (media_type, tlog_entries ...) are accepted as protobuf JSON allows.
            if (ProtoJsonNames.ToJsonNames(json, limits.MaxJsonDepth) is { } renamed) json = renamed;
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = limits.MaxJsonDepth, CommentHandling = JsonCommentHandling.Disallow });
            dto = JsonSerializer.Deserialize(ref reader, SigstoreJsonContext.Default.BundleJson);
            if (reader.BytesConsumed != json.Length && json[(int)reader.BytesConsumed..].Trim(" \t\r\n"u8).Length != 0)
                return Fail(SigstoreCodes.BundleMalformed, "The bundle has data after its JSON object.", out finding);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException) // InvalidOperationException: invalid UTF-8 or a lone surrogate inside a string
        {
            // A whole POST /v1/signatures response ({"bundle": …, "logIndex": …}) is the likeliest wrong input: say so.
            var described = e is JsonException jsonError ? Attest.Core.Json.JsonErrors.Describe(jsonError, SigstoreJsonContext.Default.BundleJson) : $"is not valid JSON: {e.Message}";
            var hint = described.StartsWith("has an unknown field 'bundle' at $", StringComparison.Ordinal) && !described.StartsWith("has an unknown field 'bundle' at $.", StringComparison.Ordinal)
                ? "; this looks like an API response that holds the bundle: pass its \"bundle\" member (jq .bundle), or ask for Accept: application/vnd.dev.sigstore.bundle.v0.3+json"
                : "";
            return Fail(SigstoreCodes.BundleMalformed, $"The bundle {described}{hint}.", out finding);
        }
        if (dto is null) return Fail(SigstoreCodes.BundleMalformed, "The bundle is JSON null.", out finding);

        // Media type: application/vnd.dev.sigstore.bundle+json;version=0.x or application/vnd.dev.sigstore.bundle.v0.x+json, x in 1..3.
        var match = dto.MediaType is null ? null : MediaTypePattern().Match(dto.MediaType);
        if (match is null || !match.Success)
            return Fail(SigstoreCodes.BundleMediaType, $"The bundle media type '{dto.MediaType}' is not a Sigstore bundle media type.", out finding);
        var version = match.Groups["v1"].Success ? match.Groups["v1"].Value : match.Groups["v2"].Value;
        var minor = version switch
        {
            "0.1" => 1,
            "0.2" => 2,
            "0.3" or "0.3.0" => 3,
            _ => 0,
        };
        if (minor == 0) return Fail(SigstoreCodes.BundleMediaType, $"The bundle version {version} is not supported (0.1, 0.2, 0.3).", out finding);

        // Content: exactly one of messageSignature and dsseEnvelope.
        var hasDsse = dto.DsseEnvelope is { ValueKind: not JsonValueKind.Null };
        if ((dto.MessageSignature is null) == !hasDsse)
            return Fail(SigstoreCodes.BundleContent, "The bundle must contain exactly one of messageSignature and dsseEnvelope.", out finding);
        MessageSignature? messageSignature = null;
        DsseEnvelope? envelope = null;
        byte[]? canonicalEnvelope = null;
        if (dto.MessageSignature is { } ms)
        {
            if (ms.Signature is null || !ms.Signature.TryGetBytes(out var signature) || signature.Length == 0)
                return Fail(SigstoreCodes.BundleBase64, "The bundle's messageSignature.signature is missing or not valid base64.", out finding);
            byte[]? digest = null;
            if (ms.MessageDigest is { } md)
            {
                if (md.Algorithm is not ("SHA2_256" or "SHA2_384" or "SHA2_512"))
                    return Fail(SigstoreCodes.BundleContent, $"The bundle's messageDigest algorithm '{md.Algorithm}' is not SHA2_256, SHA2_384 or SHA2_512.", out finding);
                if (md.Digest is null || !md.Digest.TryGetBytes(out digest))
                    return Fail(SigstoreCodes.BundleBase64, "The bundle's messageDigest.digest is not valid base64.", out finding);
            }
            messageSignature = new MessageSignature(ms.MessageDigest?.Algorithm, digest, signature);
        }
        else
        {
            var element = dto.DsseEnvelope!.Value;
            if (!Core.Dsse.DsseEnvelope.TryRead(element, out envelope, out var error, new DsseLimits(limits.MaxDssePayloadBytes * 2, 16, limits.MaxJsonDepth)))
                return Fail(error.Contains("base64", StringComparison.Ordinal) ? SigstoreCodes.BundleBase64 : SigstoreCodes.BundleDsse, $"The bundle's DSSE envelope is invalid: {error}.", out finding);
            if (envelope.Payload.Length > limits.MaxDssePayloadBytes)
                return Fail(SigstoreCodes.BundleLimit, $"The DSSE payload is larger than {limits.MaxDssePayloadBytes} bytes.", out finding);
            if (envelope.Signatures.Count != 1)
                return Fail(SigstoreCodes.BundleDsse, $"The bundle's DSSE envelope has {envelope.Signatures.Count} signatures; Sigstore bundles carry exactly one.", out finding);
            try
            {
                canonicalEnvelope = CanonicalJson.Canonicalize(element);
            }
            catch (FormatException e)
            {
                return Fail(SigstoreCodes.BundleDsse, $"The bundle's DSSE envelope has no canonical JSON form: {e.Message}", out finding);
            }
        }

        // Verification material: exactly one of publicKey, x509CertificateChain, certificate.
        var material = dto.VerificationMaterial;
        if (material is null) return Fail(SigstoreCodes.BundleMaterial, "The bundle has no verificationMaterial.", out finding);
        var kinds = (material.PublicKey is null ? 0 : 1) + (material.X509CertificateChain is null ? 0 : 1) + (material.Certificate is null ? 0 : 1);
        if (kinds != 1)
            return Fail(SigstoreCodes.BundleMaterial, "The bundle's verificationMaterial must hold exactly one of publicKey, x509CertificateChain and certificate.", out finding);
        var certificates = new List<CertificateFields>();
        if (material.X509CertificateChain is { } chain)
        {
            if (minor >= 3)
                return Fail(SigstoreCodes.BundleCertificateChain, "A v0.3 bundle must carry a single certificate, not an x509CertificateChain.", out finding);
            var entries = chain.Certificates ?? [];
            if (entries.Count == 0) return Fail(SigstoreCodes.BundleCertificateChain, "The bundle's certificate chain is empty.", out finding);
            if (entries.Count > limits.MaxChainLength)
                return Fail(SigstoreCodes.BundleCertificateChain, $"The bundle's certificate chain has {entries.Count} certificates, more than {limits.MaxChainLength}.", out finding);
            foreach (var entry in entries)
            {
                if (!TryReadCertificate(entry.RawBytes, limits, out var certificate, out finding)) return false;
                certificates.Add(certificate);
            }
            // Only the leaf is used; certificates after it must be part of a trusted CA chain (checked against the
            // trusted root in CertificateChainStep), never a root of the bundle's own choosing (bundle-with-root-cert_fail).
            if (certificates[0].IsSelfIssued)
                return Fail(SigstoreCodes.BundleCertificateChain, "The bundle's first certificate is a self-signed root certificate, not a signing certificate.", out finding);
        }
        else if (material.Certificate is { } single)
        {
            if (!TryReadCertificate(single.RawBytes, limits, out var certificate, out finding)) return false;
            if (certificate.IsSelfIssued)
                return Fail(SigstoreCodes.BundleCertificateChain, "The bundle's certificate is a self-signed root certificate; roots come only from the trusted root.", out finding);
            certificates.Add(certificate);
        }

        // Transparency log entries.
        var tlogJson = material.TlogEntries ?? [];
        if (tlogJson.Count > limits.MaxTlogEntries)
            return Fail(SigstoreCodes.BundleLimit, $"The bundle has {tlogJson.Count} transparency log entries, more than {limits.MaxTlogEntries}.", out finding);
        var entriesList = new List<TransparencyLogEntry>(tlogJson.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < tlogJson.Count; i++)
        {
            if (!TryReadEntry(tlogJson[i], i, minor, limits, out var entry, out finding)) return false;
            if (!seen.Add($"{Convert.ToHexString(entry.LogId)}/{entry.LogIndex}"))
                return Fail(SigstoreCodes.BundleTlogEntry, $"The bundle repeats transparency log entry {entry.LogIndex} of the same log.", out finding);
            entriesList.Add(entry);
        }

        // RFC 3161 timestamps.
        var timestampJson = material.TimestampVerificationData?.Rfc3161Timestamps ?? [];
        if (timestampJson.Count > limits.MaxTimestamps)
            return Fail(SigstoreCodes.BundleLimit, $"The bundle has {timestampJson.Count} RFC 3161 timestamps, more than {limits.MaxTimestamps}.", out finding);
        var timestamps = new List<byte[]>(timestampJson.Count);
        foreach (var timestamp in timestampJson)
        {
            if (timestamp.SignedTimestamp is null || !timestamp.SignedTimestamp.TryGetBytes(out var der) || der.Length == 0)
                return Fail(SigstoreCodes.BundleBase64, "An RFC 3161 timestamp of the bundle is missing or not valid base64.", out finding);
            if (der.Length > limits.MaxTimestampBytes)
                return Fail(SigstoreCodes.BundleLimit, $"An RFC 3161 timestamp is larger than {limits.MaxTimestampBytes} bytes.", out finding);
            timestamps.Add(der);
        }

        bundle = new Bundle
        {
            MediaType = dto.MediaType!,
            MinorVersion = minor,
            ParsedCertificates = certificates,
            PublicKeyHint = material.PublicKey?.Hint,
            HasPublicKey = material.PublicKey is not null,
            TlogEntries = entriesList,
            Rfc3161Timestamps = timestamps,
            MessageSignature = messageSignature,
            DsseEnvelope = envelope,
            CanonicalDsseEnvelope = canonicalEnvelope,
        };
        finding = null;
        return true;
    }

    private static bool TryReadEntry(TransparencyLogEntryJson json, int position, int minor, SigstoreLimits limits, [NotNullWhen(true)] out TransparencyLogEntry? entry, [NotNullWhen(false)] out Finding? finding)
    {
        entry = null;
        var at = $"transparency log entry {position}";
        // proto3 JSON omits zero values: a missing logIndex, integratedTime or proof logIndex is 0.
        var logIndex = json.LogIndex ?? 0;
        if (logIndex < 0) return Fail(SigstoreCodes.BundleTlogEntry, $"The {at} has a negative logIndex ({logIndex}).", out finding);
        if (json.LogId?.KeyId is null || !json.LogId.KeyId.TryGetBytes(out var logId) || logId.Length == 0)
            return Fail(SigstoreCodes.BundleTlogEntry, $"The {at} has no valid logId.keyId.", out finding);
        if (json.KindVersion?.Kind is not { Length: > 0 } kind || json.KindVersion.Version is not { Length: > 0 } version)
            return Fail(SigstoreCodes.BundleTlogEntry, $"The {at} has no kindVersion.", out finding);
        if (json.CanonicalizedBody is null || !json.CanonicalizedBody.TryGetBytes(out var body) || body.Length == 0)
            return Fail(SigstoreCodes.BundleTlogEntry, $"The {at} has no valid canonicalizedBody.", out finding);
        if (body.Length > limits.MaxCanonicalizedBodyBytes)
            return Fail(SigstoreCodes.BundleLimit, $"The {at} body is larger than {limits.MaxCanonicalizedBodyBytes} bytes.", out finding);
        var integratedTime = json.IntegratedTime ?? 0;
        if (integratedTime < 0) return Fail(SigstoreCodes.BundleTlogEntry, $"The {at} has a negative integratedTime.", out finding);
        byte[]? set = null;
        if (json.InclusionPromise is { } promise)
        {
            if (promise.SignedEntryTimestamp is null || !promise.SignedEntryTimestamp.TryGetBytes(out set) || set.Length == 0)
                return Fail(SigstoreCodes.BundleBase64, $"The {at} signedEntryTimestamp is missing or not valid base64.", out finding);
        }
        InclusionProof? proof = null;
        if (json.InclusionProof is { } p)
        {
            var proofIndex = p.LogIndex ?? 0;
            if (proofIndex < 0 || p.TreeSize is not long treeSize || treeSize <= 0 || proofIndex >= treeSize)
                return Fail(SigstoreCodes.BundleTlogEntry, $"The {at} inclusion proof has an invalid logIndex or treeSize.", out finding);
            if (p.RootHash is null || !p.RootHash.TryGetBytes(out var rootHash) || rootHash.Length != 32)
                return Fail(SigstoreCodes.BundleTlogEntry, $"The {at} inclusion proof root hash is not 32 base64-encoded bytes.", out finding);
            var hashes = p.Hashes ?? [];
            if (hashes.Count > limits.MaxInclusionProofHashes)
                return Fail(SigstoreCodes.BundleLimit, $"The {at} inclusion proof has more than {limits.MaxInclusionProofHashes} hashes.", out finding);
            var decoded = new List<byte[]>(hashes.Count);
            foreach (var hash in hashes)
            {
                if (hash is null || !hash.TryGetBytes(out var h) || h.Length != 32)
                    return Fail(SigstoreCodes.BundleTlogEntry, $"The {at} inclusion proof has a hash that is not 32 base64-encoded bytes.", out finding);
                decoded.Add(h);
            }
            // A missing checkpoint is rejected by verification (InclusionProofStep), not here.
            var checkpoint = p.Checkpoint?.Envelope ?? "";
            if (checkpoint.Length > limits.MaxCheckpointBytes)
                return Fail(SigstoreCodes.BundleLimit, $"The {at} checkpoint is larger than {limits.MaxCheckpointBytes} bytes.", out finding);
            proof = new InclusionProof(proofIndex, rootHash, treeSize, decoded, checkpoint);
        }
        // v0.1 bundles must carry a SET (inclusion promise); v0.2+ must carry an inclusion proof.
        if (minor == 1 && set is null)
            return Fail(SigstoreCodes.TlogSetMissing, $"The {at} of this v0.1 bundle has no signed entry timestamp (inclusion promise).", out finding);
        if (minor >= 2 && proof is null)
            return Fail(SigstoreCodes.TlogInclusionMissing, $"The {at} has no inclusion proof, which bundles from v0.2 on require.", out finding);
        entry = new TransparencyLogEntry(logIndex, logId, kind, version, integratedTime, set, proof, body);
        finding = null;
        return true;
    }

    private static bool TryReadCertificate(Base64Field? rawBytes, SigstoreLimits limits, [NotNullWhen(true)] out CertificateFields? certificate, [NotNullWhen(false)] out Finding? finding)
    {
        certificate = null;
        if (rawBytes is null || !rawBytes.TryGetBytes(out var der) || der.Length == 0)
            return Fail(SigstoreCodes.BundleBase64, "A bundle certificate is missing or not valid base64.", out finding);
        if (der.Length > limits.MaxCertificateBytes)
            return Fail(SigstoreCodes.BundleLimit, $"A bundle certificate is larger than {limits.MaxCertificateBytes} bytes.", out finding);
        // Read with AsnReader rather than X509Certificate2 (a native object per bundle); DER, no trailing bytes.
        if (!Core.X509.CertificateFields.TryParse(der, out certificate, out var error))
            return Fail(SigstoreCodes.BundleCertificate, $"A bundle certificate is not a valid X.509 certificate: {error}.", out finding);
        finding = null;
        return true;
    }

    private static bool Fail(string code, string message, out Finding finding)
    {
        finding = new Finding(code, message);
        return false;
    }
}
