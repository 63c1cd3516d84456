using System.Security.Cryptography.X509Certificates;
using Attest.Core;

namespace Attest.Sigstore.Verification;

public enum TimestampSource
{
    TransparencyLog,
    TimestampAuthority,

    /// <summary>Not an observer: the verifier's own clock, used only when options accept unwitnessed signatures.</summary>
    CurrentTime,
}

/// <summary>A time some observer vouched for: a SET-verified integrated time, or a verified RFC 3161 genTime.</summary>
public sealed record VerifiedTimestamp(TimestampSource Source, DateTimeOffset Time, string Authority);

/// <summary>The outcome of verifying one bundle: either verified, with the evidence used, or the first finding that rejected it.</summary>
public sealed record VerificationResult
{
    public bool Verified => Failure is null;

    public Finding? Failure { get; init; }

    public IReadOnlyList<VerifiedTimestamp> Timestamps { get; init; } = [];

    /// <summary>The leaf certificate, loaded when first asked for (verification itself reads it without X509Certificate2).</summary>
    public X509Certificate2? SigningCertificate => SigningCertificateDer is null ? null : _signingCertificate ??= X509CertificateLoader.LoadCertificate(SigningCertificateDer);

    private X509Certificate2? _signingCertificate;

    internal byte[]? SigningCertificateDer { get; init; }

    public string? SubjectAlternativeName { get; init; }

    public string? Issuer { get; init; }

    /// <summary>Failures a verification policy only logs, for evidence that verified nonetheless (a Notary verification
    /// level below strict); never set on a failure.</summary>
    public IReadOnlyList<Finding> Logged { get; init; } = [];

    public static VerificationResult Fail(Finding finding) => new() { Failure = finding };
}
