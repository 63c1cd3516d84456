using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using Attest.Core;

namespace Attest.Sigstore.Verification;

/// <summary>
/// RFC 3161 timestamps over the signature bytes: the TimeStampResp status is granted; the token's message imprint is the
/// hash of the signature; the CMS signature verifies with the TSA certificate (embedded, or the trusted root's TSA
/// leaf); that certificate carries the timeStamping EKU and chains to a trusted-root TSA whose validity contains genTime,
/// with the path validated at genTime (not now). At most one timestamp counts per TSA.
/// (reference §1.1 step 5; conformance rekor2-timestamp-*, intoto-tsa-timestamp-outside-cert-validity, trust-root-tsa-validity-end-inclusive)
/// </summary>
internal sealed class TimestampAuthorityStep : IVerificationStep
{
    private const string TimeStampingEku = "1.3.6.1.5.5.7.3.8";

    public Finding? Verify(VerificationContext context)
    {
        var counted = new HashSet<string>(StringComparer.Ordinal);
        var signature = context.Bundle.SignatureBytes;
        for (var i = 0; i < context.Bundle.Rfc3161Timestamps.Count; i++)
        {
            var at = $"RFC 3161 timestamp {i}";
            if (!TryReadToken(context.Bundle.Rfc3161Timestamps[i], out var token, out var finding, at)) return finding;
            var info = token.TokenInfo;
            var hashName = HashName(info.HashAlgorithmId.Value);
            if (hashName is null)
                return VerificationContext.Finding(SigstoreCodes.TimestampMalformed, $"{at} uses hash algorithm {info.HashAlgorithmId.Value}, which Attest does not accept.");
            var expected = hashName.Value.Name switch
            {
                "SHA256" => SHA256.HashData(signature),
                "SHA384" => SHA384.HashData(signature),
                _ => SHA512.HashData(signature),
            };
            if (!info.GetMessageHash().Span.SequenceEqual(expected))
                return VerificationContext.Finding(SigstoreCodes.TimestampImprintMismatch, $"{at} is not over this bundle's signature (message imprint differs).");

            var genTime = info.Timestamp;
            var verified = false;
            string? lastProblem = null;
            string? outside = null;
            foreach (var tsa in context.TrustedRoot.TimestampAuthorities)
            {
                var candidates = new X509Certificate2Collection();
                foreach (var certificate in tsa.Certificates) candidates.Add(certificate);
                if (!token.VerifySignatureForHash(expected, info.HashAlgorithmId, out var signer, candidates) || signer is null)
                {
                    lastProblem = "the token's signature does not verify with the TSA's certificates";
                    continue;
                }
                if (!HasTimeStampingEku(signer))
                {
                    lastProblem = "the signing certificate lacks the critical timeStamping extended key usage";
                    continue;
                }
                if (CertificatePaths.TryBuild(signer, tsa, genTime, out var problem) is null)
                {
                    lastProblem = $"the TSA certificate does not chain to {tsa.Uri} at {genTime:O} ({problem})";
                    continue;
                }
                if (!tsa.ValidFor.Contains(genTime))
                {
                    outside = $"{at} was issued at {genTime:O}, outside the validity {tsa.ValidFor} of the trusted TSA {tsa.Uri}.";
                    continue;
                }
                if (counted.Add(tsa.Uri + "|" + Convert.ToBase64String(tsa.Anchor.RawData)))
                    context.Timestamps.Add(new VerifiedTimestamp(TimestampSource.TimestampAuthority, genTime, tsa.Uri));
                verified = true;
                break;
            }
            if (!verified && outside is not null)
                return VerificationContext.Finding(SigstoreCodes.TimestampOutsideValidity, outside);
            if (!verified)
                return VerificationContext.Finding(SigstoreCodes.TimestampUntrusted, $"{at} is not from a trusted timestamp authority: {lastProblem ?? "the trusted root lists none"}.");
        }
        return null;
    }

    private static bool TryReadToken(byte[] response, out Rfc3161TimestampToken token, out Finding? finding, string at)
    {
        token = null!;
        try
        {
            // TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken TimeStampToken OPTIONAL } (RFC 3161 §2.4.2)
            var reader = new AsnReader(response, AsnEncodingRules.DER);
            var sequence = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            var status = sequence.ReadSequence();
            var value = status.ReadInteger();
            if (value != 0 && value != 1)
            {
                finding = VerificationContext.Finding(SigstoreCodes.TimestampNotGranted, $"{at} has status {value}; only granted (0) or grantedWithMods (1) timestamps count.");
                return false;
            }
            if (!sequence.HasData)
            {
                finding = VerificationContext.Finding(SigstoreCodes.TimestampMalformed, $"{at} has no timeStampToken.");
                return false;
            }
            var encoded = sequence.ReadEncodedValue();
            sequence.ThrowIfNotEmpty();
            if (!Rfc3161TimestampToken.TryDecode(encoded, out var decoded, out var consumed) || consumed != encoded.Length)
            {
                finding = VerificationContext.Finding(SigstoreCodes.TimestampMalformed, $"{at} does not hold a usable RFC 3161 TimeStampToken (malformed, or its embedded signing certificate does not match the token or was not valid at its time).");
                return false;
            }
            token = decoded;
            finding = null;
            return true;
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException)
        {
            finding = VerificationContext.Finding(SigstoreCodes.TimestampMalformed, $"{at} is not a DER TimeStampResp ({e.Message}).");
            return false;
        }
    }

    /// <summary>A malformed extended key usage (decoded lazily by .NET, which throws) is no timestamping usage.</summary>
    private static bool HasTimeStampingEku(X509Certificate2 certificate)
    {
        try
        {
            foreach (var extension in certificate.Extensions)
            {
                if (extension is X509EnhancedKeyUsageExtension eku)
                {
                    if (!eku.Critical) return false;
                    foreach (var oid in eku.EnhancedKeyUsages)
                        if (oid.Value == TimeStampingEku) return true;
                    return false;
                }
            }
            return false;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static HashAlgorithmName? HashName(string? oid) => oid switch
    {
        "2.16.840.1.101.3.4.2.1" => HashAlgorithmName.SHA256,
        "2.16.840.1.101.3.4.2.2" => HashAlgorithmName.SHA384,
        "2.16.840.1.101.3.4.2.3" => HashAlgorithmName.SHA512,
        _ => null,
    };
}
