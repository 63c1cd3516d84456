using System.Security.Cryptography;
using Attest.Core;
using Attest.Sigstore.Rekor;

namespace Attest.Sigstore.Verification;

/// <summary>
/// Each transparency log entry must come from a log of the trusted root, be of a supported kind whose body matches
/// kindVersion, and record exactly this bundle: the same signature, the same certificate or key, and the same digest
/// (hashedrekord: message digest, or for Rekor v2 DSSE the digest of the PAE; dsse/intoto: payload and envelope hashes).
/// (reference §1.1 step 4a, 4b, 4e; conformance wrong-hashedrekord-*, dsse-mismatch-*, intoto-log-entry-mismatch, rekor2-dsse-mismatch-*)
/// </summary>
internal sealed class TlogEntryBodyStep : IVerificationStep
{
    public Finding? Verify(VerificationContext context)
    {
        var bundle = context.Bundle;
        if (bundle.TlogEntries.Count < context.Options.TransparencyLogThreshold)
        {
            return VerificationContext.Finding(SigstoreCodes.TlogThreshold,
                $"The bundle has {bundle.TlogEntries.Count} transparency log entries; the policy requires {context.Options.TransparencyLogThreshold}.");
        }
        var logs = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < bundle.TlogEntries.Count; i++)
        {
            var entry = bundle.TlogEntries[i];
            var at = $"Transparency log entry {entry.LogIndex}";
            if (!RekorEntryBody.IsSupported(entry.Kind, entry.Version))
                return VerificationContext.Finding(SigstoreCodes.TlogKindUnsupported, $"{at} is of kind {entry.Kind} {entry.Version}, which Attest does not verify (hashedrekord 0.0.1/0.0.2, dsse 0.0.1/0.0.2, intoto 0.0.2).");
            var log = context.TrustedRoot.FindTransparencyLog(entry.LogId);
            if (log is null)
            {
                return VerificationContext.Finding(SigstoreCodes.TlogUnknownLog, $"{at} comes from log {Convert.ToBase64String(entry.LogId)}, which the trusted root does not list.",
                    ("logId", Convert.ToBase64String(entry.LogId)));
            }
            if (log.Key is null)
                return VerificationContext.Finding(SigstoreCodes.TrustRootKey, $"{at} comes from {log.BaseUrl}, whose key in the trusted root cannot be read.");
            if (!RekorEntryBody.TryParse(entry.CanonicalizedBody, context.Limits.MaxJsonDepth, out var body, out var error))
                return VerificationContext.Finding(SigstoreCodes.TlogBodyMalformed, $"{at} has a body Attest cannot read: {error}.");
            if (body.Kind != entry.Kind || body.ApiVersion != entry.Version)
                return VerificationContext.Finding(SigstoreCodes.TlogBodyKindMismatch, $"{at} says kind {entry.Kind} {entry.Version} but its body is {body.Kind} {body.ApiVersion}.");
            var mismatch = Compare(context, body, at);
            if (mismatch is not null) return mismatch;
            context.Entries.Add((entry, log, body));
            logs.Add(Convert.ToBase64String(entry.LogId));
        }
        if (logs.Count < context.Options.TransparencyLogThreshold)
            return VerificationContext.Finding(SigstoreCodes.TlogThreshold, $"Entries from {logs.Count} distinct logs were found; the policy requires {context.Options.TransparencyLogThreshold}.");
        return null;
    }

    private static Finding? Compare(VerificationContext context, RekorEntryBody body, string at)
    {
        var bundle = context.Bundle;
        if (body.Signatures.Count != 1)
            return VerificationContext.Finding(SigstoreCodes.TlogBodySignatureMismatch, $"{at} records {body.Signatures.Count} signatures; the bundle has exactly one.");
        var recorded = body.Signatures[0];
        if (!recorded.Signature.AsSpan().SequenceEqual(bundle.SignatureBytes))
            return VerificationContext.Finding(SigstoreCodes.TlogBodySignatureMismatch, $"{at} records a different signature than the bundle carries.");
        if (recorded.VerifierIsCertificate != context.VerifierIsCertificate || !recorded.VerifierDer.AsSpan().SequenceEqual(context.VerifierDer))
        {
            var what = context.VerifierIsCertificate ? "signing certificate" : "verification key";
            return VerificationContext.Finding(SigstoreCodes.TlogBodyKeyMismatch, $"{at} records a different certificate or key than the bundle's {what}.");
        }

        if (bundle.MessageSignature is { } message)
        {
            if (body.Kind != "hashedrekord")
                return VerificationContext.Finding(SigstoreCodes.TlogBodyKindMismatch, $"{at} is a {body.Kind} entry, but the bundle holds a message signature (hashedrekord expected).");
            var (algorithm, digest) = body.Digest!.Value;
            if (message.Digest is not null)
            {
                var bundleAlgorithm = DigestAlgorithm(message.DigestAlgorithm);
                if (bundleAlgorithm != algorithm || !digest.AsSpan().SequenceEqual(message.Digest))
                {
                    return VerificationContext.Finding(SigstoreCodes.TlogBodyDigestMismatch, $"{at} records digest {algorithm}:{Convert.ToHexStringLower(digest)} but the bundle's message digest is {bundleAlgorithm}:{Convert.ToHexStringLower(message.Digest)}.",
                        ("expected", $"{bundleAlgorithm}:{Convert.ToHexStringLower(message.Digest)}"), ("found", $"{algorithm}:{Convert.ToHexStringLower(digest)}"));
                }
            }
            return null;
        }

        var envelope = bundle.DsseEnvelope!;
        switch (body.Kind)
        {
            case "hashedrekord":
                // Rekor v2 logs DSSE as hashedrekord over SHA-256(PAE(type, payload)) (client-spec §4.4).
                var (algorithm, digest) = body.Digest!.Value;
                var pae = envelope.PreAuthenticationEncoding();
                var expected = algorithm switch
                {
                    "sha256" => SHA256.HashData(pae),
                    "sha384" => SHA384.HashData(pae),
                    "sha512" => SHA512.HashData(pae),
                    _ => null,
                };
                if (expected is null || !expected.AsSpan().SequenceEqual(digest))
                    return VerificationContext.Finding(SigstoreCodes.TlogBodyEnvelopeMismatch, $"{at} records a digest that is not the digest of this DSSE envelope's PAE.");
                return null;
            case "dsse":
                if (!HashMatches(body.PayloadHash!.Value, envelope.Payload))
                    return VerificationContext.Finding(SigstoreCodes.TlogBodyEnvelopeMismatch, $"{at} records a payload hash that does not match the DSSE payload.");
                // envelopeHash covers the envelope as submitted to Rekor (field order, keyid), which the bundle need not
                // reproduce byte for byte; like sigstore-go, the payload hash and the signature/verifier pairs decide.
                return null;
            case "intoto":
                if (!HashMatches(body.PayloadHash!.Value, envelope.Payload))
                    return VerificationContext.Finding(SigstoreCodes.TlogBodyEnvelopeMismatch, $"{at} records a payload hash that does not match the DSSE payload.");
                if ((body.EnvelopePayload is not null && !body.EnvelopePayload.AsSpan().SequenceEqual(envelope.Payload)) || body.EnvelopePayloadType != envelope.PayloadType)
                    return VerificationContext.Finding(SigstoreCodes.TlogBodyEnvelopeMismatch, $"{at} records a different DSSE payload or payload type than the bundle's envelope.");
                return null;
            default:
                return VerificationContext.Finding(SigstoreCodes.TlogKindUnsupported, $"{at} is of kind {body.Kind}, which cannot record a DSSE envelope.");
        }
    }

    private static bool HashMatches((string Algorithm, byte[] Value) hash, byte[] data)
    {
        var computed = hash.Algorithm switch
        {
            "sha256" => SHA256.HashData(data),
            "sha384" => SHA384.HashData(data),
            "sha512" => SHA512.HashData(data),
            _ => null,
        };
        return computed is not null && computed.AsSpan().SequenceEqual(hash.Value);
    }

    internal static string DigestAlgorithm(string? protoName) => protoName switch
    {
        "SHA2_256" or null => "sha256",
        "SHA2_384" => "sha384",
        "SHA2_512" => "sha512",
        _ => protoName.ToLowerInvariant(),
    };
}
