using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using Attest.Core;
using Attest.Core.X509;
using Attest.Notation.Trust;

namespace Attest.Notation.Verification;

/// <summary>The time range an RFC 3161 timestamp vouches for: [genTime − accuracy, genTime + accuracy].</summary>
public sealed record VerifiedTimestamp(DateTimeOffset Lower, DateTimeOffset Upper, string Authority);

/// <summary>
/// Verifies a timestamp countersignature as trust-store-trust-policy.md ("Validate Authentic Timestamp") says: an RFC
/// 3161 TimeStampToken whose message imprint is the hash of the envelope's signature, signed by a certificate the
/// token carries, with the signing-certificate-v2 attribute, through a chain (built from the token's certificates, at
/// most <see cref="NotationLimits.MaxChainLength"/> long, loops refused) to a root of the TSA trust store, meeting the
/// timestamping certificate requirements and valid at the timestamp's time. Offline: no revocation check.
/// </summary>
public static class TimestampVerifier
{
    private const string SigningCertificateV2Oid = "1.2.840.113549.1.9.16.2.47";
    private const string BaselinePolicyOid = "0.4.0.2023.1.1";

    public static VerifiedTimestamp? Verify(byte[] tokenBytes, byte[] signature, TrustStore trustStore, out Finding? failure)
    {
        if (!Rfc3161TimestampToken.TryDecode(tokenBytes, out var token, out var consumed) || consumed != tokenBytes.Length)
            return Fail("it is not an RFC 3161 TimeStampToken (malformed, not id-ct-TSTInfo content, or its signing certificate reference does not match)", out failure);
        var info = token.TokenInfo;
        HashAlgorithmName? hash = info.HashAlgorithmId.Value switch
        {
            "2.16.840.1.101.3.4.2.1" => HashAlgorithmName.SHA256,
            "2.16.840.1.101.3.4.2.2" => HashAlgorithmName.SHA384,
            "2.16.840.1.101.3.4.2.3" => HashAlgorithmName.SHA512,
            _ => null,
        };
        if (hash is null) return Fail($"its message imprint uses hash {info.HashAlgorithmId.Value}, not SHA-256, SHA-384 or SHA-512", out failure);
        var expected = hash.Value.Name switch
        {
            "SHA256" => SHA256.HashData(signature),
            "SHA384" => SHA384.HashData(signature),
            _ => SHA512.HashData(signature),
        };
        if (!info.GetMessageHash().Span.SequenceEqual(expected)) return Fail("its message imprint is not the hash of this signature", out failure);

        var cms = token.AsSignedCms();
        if (cms.SignerInfos.Count != 1) return Fail("it has more than one signer", out failure);
        var signerInfo = cms.SignerInfos[0];
        if (!signerInfo.SignedAttributes.Cast<CryptographicAttributeObject>().Any(a => a.Oid.Value == SigningCertificateV2Oid))
            return Fail("it lacks the signing-certificate-v2 attribute", out failure);
        if (!token.VerifySignatureForHash(expected, info.HashAlgorithmId, out var signer, extraCandidates: null) || signer is null)
            return Fail("its signature does not verify with a certificate it carries (or it carries none)", out failure);

        var chain = BuildChain(signer, cms.Certificates, trustStore.Certificates(TrustStoreType.TimestampAuthority), out var problem);
        if (chain is null) return Fail(problem!, out failure);
        var read = CertificateRequirements.Read(chain.Select(c => c.RawData).ToList(), out problem);
        if (read is null) return Fail(problem!, out failure);
        if (CertificateRequirements.CheckOrderedChain(read, ChainPurpose.Timestamping) is { } requirement)
            return Fail($"the TSA chain fails a requirement: {requirement}", out failure);
        if (CertificateRequirements.InvalidAt(read, info.Timestamp) is { } invalid)
            return Fail($"the TSA chain is not valid at the timestamp's time: {invalid}", out failure);

        var accuracy = info.AccuracyInMicroseconds is long micros
            ? TimeSpan.FromMicroseconds(micros)
            : info.PolicyId.Value == BaselinePolicyOid ? TimeSpan.FromSeconds(1) : TimeSpan.Zero;
        failure = null;
        return new VerifiedTimestamp(info.Timestamp - accuracy, info.Timestamp + accuracy, signer.Subject);
    }

    /// <summary>Signer → issuer → … until a certificate of the TSA store; each link by name and signature.</summary>
    private static List<X509Certificate2>? BuildChain(
        X509Certificate2 signer, X509Certificate2Collection carried, IReadOnlyList<X509Certificate2> roots, out string? problem)
    {
        var chain = new List<X509Certificate2> { signer };
        var candidates = carried.Cast<X509Certificate2>().Concat(roots).ToList();
        var current = signer;
        while (true)
        {
            if (roots.Any(r => r.RawData.AsSpan().SequenceEqual(current.RawData)))
            {
                problem = null;
                return chain;
            }
            if (current.SubjectName.RawData.AsSpan().SequenceEqual(current.IssuerName.RawData))
            {
                problem = $"the TSA chain ends at '{current.Subject}', which is not in the TSA trust store";
                return null;
            }
            if (chain.Count >= NotationLimits.MaxChainLength)
            {
                problem = $"the TSA chain is longer than {NotationLimits.MaxChainLength} certificates";
                return null;
            }
            X509Certificate2? issuer = null;
            if (CertificateFields.TryParse(current.RawData, out var fields, out _))
            {
                issuer = candidates.FirstOrDefault(c =>
                    c.SubjectName.RawData.AsSpan().SequenceEqual(current.IssuerName.RawData) &&
                    !chain.Any(seen => seen.RawData.AsSpan().SequenceEqual(c.RawData)) &&
                    CertificateRequirements.VerifySignature(fields, c) is null);
            }
            if (issuer is null)
            {
                problem = $"no issuer of '{current.Subject}' is in the token or the TSA trust store";
                return null;
            }
            chain.Add(issuer);
            current = issuer;
        }
    }

    private static VerifiedTimestamp? Fail(string message, out Finding failure)
    {
        failure = new Finding(NotationCodes.TimestampInvalid, $"the timestamp countersignature is not valid: {message}");
        return null;
    }
}
