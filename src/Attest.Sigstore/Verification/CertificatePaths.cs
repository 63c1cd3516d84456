using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Attest.Core.Crypto;
using Attest.Core.X509;
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

    /// <summary>Whether <paramref name="der"/> is one of the certificates of a certificate authority of the trusted root.</summary>
    public static bool IsAuthorityCertificate(TrustedRoot trustedRoot, ReadOnlySpan<byte> der)
    {
        foreach (var authority in trustedRoot.CertificateAuthorities)
        {
            var path = PathOf(authority);
            for (var i = 0; i < path.Count; i++)
                if (path.RawData(i).AsSpan().SequenceEqual(der)) return true;
        }
        return false;
    }

    /// <summary>Checks leaf → authority at <paramref name="time"/>; returns the leaf's issuer, or null with the problem.</summary>
    public static X509Certificate2? TryBuild(X509Certificate2 leaf, CertificateAuthority authority, DateTimeOffset time, out string? problem)
    {
        if (!CertificateFields.TryParse(leaf.RawData, out var fields, out problem)) return null;
        return TryBuild(fields, authority, time, out problem);
    }

    /// <summary>Checks leaf → authority at <paramref name="time"/>; returns the leaf's issuer, or null with the problem.</summary>
    public static X509Certificate2? TryBuild(CertificateFields leaf, CertificateAuthority authority, DateTimeOffset time, out string? problem)
    {
        var path = PathOf(authority);
        if (path.Problem is not null)
        {
            problem = path.Problem;
            return null;
        }
        // The leaf may itself be the first certificate of the authority's chain (a TSA leaf listed in the trusted root).
        var start = leaf.RawData.AsSpan().SequenceEqual(path.RawData(0)) ? 1 : 0;
        if (start == 1 && path.Count == 1)
        {
            problem = path.ValidAt(0, time);
            return problem is null ? authority.Certificates[0] : null;
        }
        var issuerIndex = start;
        if (!path.IsCa(issuerIndex))
        {
            problem = $"'{path.Subject(issuerIndex)}' is not a certificate authority";
            return null;
        }
        if (!leaf.IssuerName.Span.SequenceEqual(path.SubjectName(issuerIndex)))
        {
            problem = $"the certificate was issued by '{CertificateFields.DescribeName(leaf.IssuerName)}', not by '{path.Subject(issuerIndex)}'";
            return null;
        }
        if (!path.VerifiesSignature(issuerIndex, leaf))
        {
            problem = $"the certificate's signature does not verify with the key of '{path.Subject(issuerIndex)}'";
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
        problem = ValidAt(leaf.NotBefore, leaf.NotAfter, leaf.SubjectName.Length <= 2 ? "(leaf)" : CertificateFields.DescribeName(leaf.SubjectName), time);
        for (var i = issuerIndex; problem is null && i < path.Count; i++)
            problem = path.ValidAt(i, time);
        return problem is null ? authority.Certificates[issuerIndex] : null;
    }

    private static AuthorityPath PathOf(CertificateAuthority authority) => Cache.GetValue(authority, static a => new AuthorityPath(a));

    private static string? ValidAt(DateTimeOffset notBefore, DateTimeOffset notAfter, string subject, DateTimeOffset time) =>
        time >= notBefore && time <= notAfter
            ? null
            : $"'{subject}' is valid only from {notBefore:O} to {notAfter:O}, not at {time:O}";

    private static string? UnprocessedCriticalExtension(CertificateFields certificate)
    {
        foreach (var extension in certificate.Extensions)
            if (extension.Critical && !ProcessedCriticalExtensions.Contains(extension.Oid)) return extension.Oid;
        return null;
    }

    /// <summary>The checked, immutable part of an authority's chain: CA certificates and their signature links.</summary>
    private sealed class AuthorityPath
    {
        private readonly PublicKey?[] _keys;
        private readonly int?[] _pathLength;
        private readonly bool[] _isCa;
        private readonly CertificateFields?[] _fields;
        private readonly string[] _subjects;

        public AuthorityPath(CertificateAuthority authority)
        {
            var certificates = authority.Certificates;
            _keys = new PublicKey?[certificates.Count];
            _pathLength = new int?[certificates.Count];
            _isCa = new bool[certificates.Count];
            _fields = new CertificateFields?[certificates.Count];
            _subjects = new string[certificates.Count];
            for (var i = 0; i < certificates.Count; i++)
            {
                var certificate = certificates[i];
                _subjects[i] = certificate.Subject;
                if (!CertificateFields.TryParse(certificate.RawData, out _fields[i], out var parseError))
                    Problem ??= $"trusted certificate '{certificate.Subject}' cannot be read: {parseError}";
                try
                {
                    _keys[i] = PublicKey.FromCertificate(certificate);
                }
                catch (CryptographicException)
                {
                    _keys[i] = null;
                }
                if (!TryReadCaConstraints(certificate, out var isCa, out var canSign, out _pathLength[i]))
                {
                    Problem ??= $"trusted certificate '{certificate.Subject}' has a basic constraints or key usage extension that cannot be read";
                    continue;
                }
                _isCa[i] = isCa;
                // Index 0 of a TSA chain is the TSA leaf itself, not a CA.
                var leafOfChain = i == 0 && !isCa && certificates.Count > 1;
                if (!leafOfChain && (!isCa || !canSign))
                {
                    Problem ??= $"trusted certificate '{certificate.Subject}' is not a CA allowed to sign certificates";
                }
                if (_fields[i] is { } parsed && UnprocessedCriticalExtension(parsed) is { } oid) Problem ??= $"trusted certificate '{certificate.Subject}' has an unprocessed critical extension {oid}";
                if (i + 1 < certificates.Count)
                {
                    var parent = certificates[i + 1];
                    if (!certificate.IssuerName.RawData.AsSpan().SequenceEqual(parent.SubjectName.RawData))
                        Problem ??= $"trusted chain is broken: '{certificate.Subject}' is not issued by '{parent.Subject}'";
                }
            }
            for (var i = 0; i + 1 < certificates.Count && Problem is null; i++)
            {
                if (!VerifiesSignature(i + 1, _fields[i]!))
                    Problem = $"trusted chain is broken: the signature on '{certificates[i].Subject}' does not verify";
            }
            if (Problem is null && _keys.Any(k => k is null)) Problem = "a trusted certificate has a key type Attest cannot verify with";
        }

        public string? Problem { get; }

        /// <summary>Reads basic constraints and key usage; .NET decodes them lazily and throws on a malformed one, which a
        /// trusted root from a policy file may carry: that is a refusal of the root, not an exception out of verification.</summary>
        private static bool TryReadCaConstraints(X509Certificate2 certificate, out bool isCa, out bool canSign, out int? pathLength)
        {
            try
            {
                var constraints = certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault();
                var usage = certificate.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault();
                isCa = constraints is { CertificateAuthority: true };
                canSign = usage is null || usage.KeyUsages.HasFlag(X509KeyUsageFlags.KeyCertSign);
                pathLength = constraints is { HasPathLengthConstraint: true } ? constraints.PathLengthConstraint : null;
                return true;
            }
            catch (CryptographicException)
            {
                (isCa, canSign, pathLength) = (false, false, null);
                return false;
            }
        }

        public int Count => _fields.Length;

        public byte[] RawData(int index) => _fields[index]?.RawData ?? [];

        public ReadOnlySpan<byte> SubjectName(int index) => _fields[index] is { } f ? f.SubjectName.Span : default;

        public string Subject(int index) => _subjects[index];

        public string? ValidAt(int index, DateTimeOffset time)
        {
            var f = _fields[index]!;
            return CertificatePaths.ValidAt(f.NotBefore, f.NotAfter, _subjects[index], time);
        }

        public bool IsCa(int index) => _isCa[index];

        /// <summary>Whether a leaf under the CA at <paramref name="issuerIndex"/> exceeds a pathLenConstraint (RFC 5280 §4.2.1.9).</summary>
        public bool PathLengthViolated(int issuerIndex)
        {
            // The number of non-self-issued intermediates below CA i (excluding the leaf) must not exceed its pathLen.
            for (var i = issuerIndex; i < _pathLength.Length; i++)
                if (_pathLength[i] is int max && i - issuerIndex > max) return true;
            return false;
        }

        /// <summary>Verifies the signature of a certificate with the key of certificate <paramref name="signerIndex"/>.</summary>
        public bool VerifiesSignature(int signerIndex, CertificateFields certificate)
        {
            var key = _keys[signerIndex];
            if (key is null) return false;
            var scheme = certificate.SignatureScheme;
            return scheme is not null && key.VerifyData(certificate.TbsCertificate.Span, certificate.Signature.Span, scheme.Value);
        }
    }
}
