using System.Collections.Concurrent;
using System.Formats.Asn1;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Attest.Core.Crypto;
using Attest.Sigstore.TrustRoot;
using PublicKey = Attest.Core.Crypto.PublicKey;

namespace Attest.Sigstore.Verification;

/// <summary>
/// RFC 5280 path validation against one trusted-root authority at a given time. The trusted root names the exact path
/// (leaf issuer first, trust anchor last), so the path is not searched but checked: names chain, every signature
/// verifies, every certificate is valid at the time, CA certificates are CAs allowed to sign certificates, path length
/// constraints hold, and no certificate has a critical extension this validator does not process. The authority's
/// own links (intermediate ← anchor) are checked once and cached per authority; the leaf is checked every time.
/// No revocation, no downloads.
/// </summary>
internal static class CertificatePaths
{
    private static readonly ConditionalWeakTable<CertificateAuthority, AuthorityPath> Cache = new();

    private static readonly HashSet<string> ProcessedCriticalExtensions = new(StringComparer.Ordinal)
    {
        "2.5.29.15", // keyUsage
        "2.5.29.37", // extKeyUsage
        "2.5.29.17", // subjectAltName (Fulcio marks it critical when the subject is empty)
        "2.5.29.19", // basicConstraints
    };

    /// <summary>Checks leaf → authority at <paramref name="time"/>; returns the leaf's issuer, or null with the problem.</summary>
    public static X509Certificate2? TryBuild(X509Certificate2 leaf, CertificateAuthority authority, DateTimeOffset time, out string? problem)
    {
        var path = Cache.GetValue(authority, static a => new AuthorityPath(a));
        if (path.Problem is not null)
        {
            problem = path.Problem;
            return null;
        }
        // The leaf may itself be the first certificate of the authority's chain (a TSA leaf listed in the trusted root).
        var start = leaf.RawData.AsSpan().SequenceEqual(authority.Certificates[0].RawData) ? 1 : 0;
        if (start == 1 && authority.Certificates.Count == 1)
        {
            problem = ValidAt(leaf, time);
            return problem is null ? leaf : null;
        }
        var issuerIndex = start;
        var issuer = authority.Certificates[issuerIndex];
        if (!path.IsCa(issuerIndex))
        {
            problem = $"'{issuer.Subject}' is not a certificate authority";
            return null;
        }
        if (!leaf.IssuerName.RawData.AsSpan().SequenceEqual(issuer.SubjectName.RawData))
        {
            problem = $"the certificate was issued by '{leaf.Issuer}', not by '{issuer.Subject}'";
            return null;
        }
        if (!path.VerifiesSignature(issuerIndex, leaf.RawData))
        {
            problem = $"the certificate's signature does not verify with the key of '{issuer.Subject}'";
            return null;
        }
        if (UnprocessedCriticalExtension(leaf) is { } oid)
        {
            problem = $"the certificate has a critical extension {oid} that is not processed";
            return null;
        }
        if (path.PathLengthViolated(issuerIndex))
        {
            problem = "a path length constraint of the trusted chain is exceeded";
            return null;
        }
        problem = ValidAt(leaf, time);
        for (var i = issuerIndex; problem is null && i < authority.Certificates.Count; i++)
            problem = ValidAt(authority.Certificates[i], time);
        return problem is null ? issuer : null;
    }

    private static string? ValidAt(X509Certificate2 certificate, DateTimeOffset time)
    {
        var notBefore = new DateTimeOffset(certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero);
        var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        return time >= notBefore && time <= notAfter
            ? null
            : $"'{(certificate.Subject.Length == 0 ? "(leaf)" : certificate.Subject)}' is valid only from {notBefore:O} to {notAfter:O}, not at {time:O}";
    }

    private static string? UnprocessedCriticalExtension(X509Certificate2 certificate)
    {
        foreach (var extension in certificate.Extensions)
            if (extension.Critical && extension.Oid?.Value is { } oid && !ProcessedCriticalExtensions.Contains(oid)) return oid;
        return null;
    }

    /// <summary>The checked, immutable part of an authority's chain: CA certificates and their signature links.</summary>
    private sealed class AuthorityPath
    {
        private readonly PublicKey?[] _keys;
        private readonly int?[] _pathLength;
        private readonly bool[] _isCa;

        public AuthorityPath(CertificateAuthority authority)
        {
            var certificates = authority.Certificates;
            _keys = new PublicKey?[certificates.Count];
            _pathLength = new int?[certificates.Count];
            _isCa = new bool[certificates.Count];
            for (var i = 0; i < certificates.Count; i++)
            {
                var certificate = certificates[i];
                try
                {
                    _keys[i] = PublicKey.FromCertificate(certificate);
                }
                catch (CryptographicException)
                {
                    _keys[i] = null;
                }
                var constraints = certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault();
                var usage = certificate.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault();
                var isCa = constraints is { CertificateAuthority: true };
                _isCa[i] = isCa;
                var canSign = usage is null || usage.KeyUsages.HasFlag(X509KeyUsageFlags.KeyCertSign);
                // Index 0 of a TSA chain is the TSA leaf itself, not a CA.
                var leafOfChain = i == 0 && !isCa && certificates.Count > 1;
                if (!leafOfChain && (!isCa || !canSign))
                {
                    Problem ??= $"trusted certificate '{certificate.Subject}' is not a CA allowed to sign certificates";
                }
                if (constraints is { HasPathLengthConstraint: true }) _pathLength[i] = constraints.PathLengthConstraint;
                if (UnprocessedCriticalExtension(certificate) is { } oid) Problem ??= $"trusted certificate '{certificate.Subject}' has an unprocessed critical extension {oid}";
                if (i + 1 < certificates.Count)
                {
                    var parent = certificates[i + 1];
                    if (!certificate.IssuerName.RawData.AsSpan().SequenceEqual(parent.SubjectName.RawData))
                        Problem ??= $"trusted chain is broken: '{certificate.Subject}' is not issued by '{parent.Subject}'";
                }
            }
            for (var i = 0; i + 1 < certificates.Count && Problem is null; i++)
            {
                if (!VerifiesSignature(i + 1, certificates[i].RawData))
                    Problem = $"trusted chain is broken: the signature on '{certificates[i].Subject}' does not verify";
            }
            if (Problem is null && _keys.Any(k => k is null)) Problem = "a trusted certificate has a key type Attest cannot verify with";
        }

        public string? Problem { get; }

        public bool IsCa(int index) => _isCa[index];

        /// <summary>Whether a leaf under the CA at <paramref name="issuerIndex"/> exceeds a pathLenConstraint (RFC 5280 §4.2.1.9).</summary>
        public bool PathLengthViolated(int issuerIndex)
        {
            // The number of non-self-issued intermediates below CA i (excluding the leaf) must not exceed its pathLen.
            for (var i = issuerIndex; i < _pathLength.Length; i++)
                if (_pathLength[i] is int max && i - issuerIndex > max) return true;
            return false;
        }

        /// <summary>Verifies the signature of a DER certificate with the key of certificate <paramref name="signerIndex"/>.</summary>
        public bool VerifiesSignature(int signerIndex, byte[] certificate)
        {
            var key = _keys[signerIndex];
            if (key is null) return false;
            try
            {
                var reader = new AsnReader(certificate, AsnEncodingRules.DER);
                var outer = reader.ReadSequence();
                reader.ThrowIfNotEmpty();
                var tbs = outer.ReadEncodedValue();
                var algorithm = outer.ReadSequence();
                var oid = algorithm.ReadObjectIdentifier();
                var signature = outer.ReadBitString(out var unused);
                outer.ThrowIfNotEmpty();
                if (unused != 0) return false;
                SignatureScheme? scheme = oid switch
                {
                    "1.2.840.10045.4.3.2" => SignatureScheme.EcdsaSha256,
                    "1.2.840.10045.4.3.3" => SignatureScheme.EcdsaSha384,
                    "1.2.840.10045.4.3.4" => SignatureScheme.EcdsaSha512,
                    "1.2.840.113549.1.1.11" => SignatureScheme.RsaPkcs1Sha256,
                    "1.2.840.113549.1.1.12" => SignatureScheme.RsaPkcs1Sha384,
                    "1.2.840.113549.1.1.13" => SignatureScheme.RsaPkcs1Sha512,
                    "1.3.101.112" => SignatureScheme.Ed25519,
                    _ => null,
                };
                return scheme is not null && key.VerifyData(tbs.Span, signature, scheme.Value);
            }
            catch (AsnContentException)
            {
                return false;
            }
        }
    }
}
