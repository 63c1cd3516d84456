using System.Text.RegularExpressions;
using Attest.Core;
using Attest.Sigstore.TrustRoot;
using PublicKey = Attest.Core.Crypto.PublicKey;

namespace Attest.Sigstore.Verification;

/// <summary>What the deployment of a trusted root guarantees and how much evidence a bundle must bring.</summary>
public sealed record VerifierOptions
{
    public static VerifierOptions Default { get; } = new();

    /// <summary>Transparency log entries that must verify (distinct logs). At least 1 unless <see cref="AllowNoTransparencyLogUnsafe"/>.</summary>
    public int TransparencyLogThreshold { get; init; } = 1;

    /// <summary>Verified observer timestamps (SET integrated times + RFC 3161 times) required; at least 1 unless <see cref="AllowNoTransparencyLogUnsafe"/>.</summary>
    public int ObserverTimestampThreshold { get; init; } = 1;

    /// <summary>Verified embedded SCTs required on a Fulcio leaf; at least 1 unless <see cref="SkipSctUnsafe"/>.</summary>
    public int CertificateTransparencyThreshold { get; init; } = 1;

    /// <summary>Accept bundles without a transparency log entry (cosign --insecure-ignore-tlog). With an observer threshold of 0
    /// too, signatures without any timestamp are accepted and certificates are checked at the current time.</summary>
    public bool AllowNoTransparencyLogUnsafe { get; init; }

    public bool SkipSctUnsafe { get; init; }

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (TransparencyLogThreshold < 0 || (TransparencyLogThreshold == 0 && !AllowNoTransparencyLogUnsafe))
            errors.Add("TransparencyLogThreshold must be at least 1 (set AllowNoTransparencyLogUnsafe to accept 0)");
        if (AllowNoTransparencyLogUnsafe && TransparencyLogThreshold > 0)
            errors.Add("AllowNoTransparencyLogUnsafe conflicts with a TransparencyLogThreshold above 0");
        if (ObserverTimestampThreshold < 0 || (ObserverTimestampThreshold == 0 && !AllowNoTransparencyLogUnsafe))
            errors.Add("ObserverTimestampThreshold must be at least 1 (0 only together with AllowNoTransparencyLogUnsafe; certificates are then checked at the current time)");
        if (CertificateTransparencyThreshold < 0 || (CertificateTransparencyThreshold == 0 && !SkipSctUnsafe))
            errors.Add("CertificateTransparencyThreshold must be at least 1 (set SkipSctUnsafe to accept 0)");
        return errors;
    }
}

/// <summary>An expected signer identity: the certificate SAN and the OIDC issuer, each exact or as a regular expression (full match).</summary>
public sealed record CertificateIdentity
{
    public string? SubjectAlternativeName { get; init; }
    public string? SubjectAlternativeNameRegex { get; init; }
    public string? Issuer { get; init; }
    public string? IssuerRegex { get; init; }

    /// <summary>Fulcio extension values the certificate must carry exactly, by arc under 1.3.6.1.4.1.57264.1
    /// (e.g. 12 SourceRepositoryURI, 14 SourceRepositoryRef): the CI claims a keyless identity is more than its SAN.</summary>
    public IReadOnlyDictionary<int, string> Extensions { get; init; } = new Dictionary<int, string>();

    internal bool MatchesExtensions(Attest.Core.X509.FulcioExtensions extensions) =>
        Extensions.All(e => string.Equals(extensions.Get(e.Key), e.Value, StringComparison.Ordinal));

    public static CertificateIdentity Exact(string subjectAlternativeName, string issuer) => new() { SubjectAlternativeName = subjectAlternativeName, Issuer = issuer };

    internal bool MatchesSan(string value) => Matches(value, SubjectAlternativeName, SubjectAlternativeNameRegex);

    internal bool MatchesIssuer(string value) => Matches(value, Issuer, IssuerRegex);

    private static bool Matches(string value, string? exact, string? pattern)
    {
        if (exact is not null) return string.Equals(value, exact, StringComparison.Ordinal);
        if (pattern is null) return false;
        try
        {
            return Regex.IsMatch(value, $"^(?:{pattern})$", RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(200));
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    public IEnumerable<string> Validate()
    {
        if ((SubjectAlternativeName is null) == (SubjectAlternativeNameRegex is null)) yield return "exactly one of SubjectAlternativeName and SubjectAlternativeNameRegex is required";
        if ((Issuer is null) == (IssuerRegex is null)) yield return "exactly one of Issuer and IssuerRegex is required";
        foreach (var pattern in new[] { SubjectAlternativeNameRegex, IssuerRegex })
        {
            if (pattern is null) continue;
            string? error = null;
            try
            {
                _ = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(200));
            }
            catch (ArgumentException e)
            {
                error = $"'{pattern}' is not a valid regular expression: {e.Message}";
            }
            if (error is not null) yield return error;
        }
    }
}

/// <summary>What this artifact must satisfy: signed by a certificate with one of <see cref="Identities"/>, or by <see cref="Key"/>.</summary>
public sealed record ArtifactPolicy
{
    public IReadOnlyList<CertificateIdentity> Identities { get; init; } = [];

    /// <summary>A managed key (cosign.pub style); bundles must then be key-signed.</summary>
    public PublicKey? Key { get; init; }

    /// <summary>Optional validity of <see cref="Key"/>; every verified timestamp must fall inside it.</summary>
    public TimeRange? KeyValidFor { get; init; }

    public static ArtifactPolicy ForIdentity(string subjectAlternativeName, string issuer) => new() { Identities = [CertificateIdentity.Exact(subjectAlternativeName, issuer)] };

    public static ArtifactPolicy ForKey(PublicKey key) => new() { Key = key };

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Key is null && Identities.Count == 0) errors.Add("a policy needs a key or at least one certificate identity");
        if (Key is not null && Identities.Count > 0) errors.Add("a policy takes a key or certificate identities, not both");
        foreach (var identity in Identities) errors.AddRange(identity.Validate());
        return errors;
    }
}

/// <summary>The artifact a bundle is checked against: its bytes, or only its digest.</summary>
public sealed class Artifact
{
    private Artifact(byte[]? bytes, Digest? digest)
    {
        Bytes = bytes;
        _digest = digest;
    }

    private readonly Digest? _digest;

    public byte[]? Bytes { get; }

    public static Artifact FromBytes(byte[] bytes) => new(bytes, null);

    public static Artifact FromDigest(Digest digest) => new(null, digest);

    /// <summary>The artifact's digest with <paramref name="algorithm"/> (sha256, sha384, sha512), or null when only another digest is known.</summary>
    public byte[]? DigestOf(string algorithm)
    {
        if (Bytes is not null)
        {
            return algorithm switch
            {
                "sha256" => System.Security.Cryptography.SHA256.HashData(Bytes),
                "sha384" => System.Security.Cryptography.SHA384.HashData(Bytes),
                "sha512" => System.Security.Cryptography.SHA512.HashData(Bytes),
                _ => null,
            };
        }
        return _digest is { } d && d.Algorithm == algorithm ? d.Value.ToArray() : null;
    }

    public override string ToString() => Bytes is not null ? $"{Bytes.Length}-byte artifact" : _digest!.Value.ToString();
}
