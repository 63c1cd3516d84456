namespace Attest.Notation.Envelopes;

/// <summary>The two envelope formats of the Notary Project signature specification, by their OCI layer media type.</summary>
public enum EnvelopeFormat
{
    /// <summary>JWS JSON flattened serialization, <c>application/jose+json</c>.</summary>
    Jws,

    /// <summary>COSE_Sign1_Tagged, <c>application/cose</c>.</summary>
    Cose,
}

/// <summary>The signing schemes of the Notary Project: who vouches for the signing time.</summary>
public enum SigningScheme
{
    /// <summary><c>notary.x509</c>: a CA-issued signing certificate; signing time from an optional RFC 3161 countersignature.</summary>
    X509,

    /// <summary><c>notary.x509.signingAuthority</c>: a signing authority signs and states the authentic signing time itself.</summary>
    X509SigningAuthority,
}

/// <summary>The signature algorithms the specification allows; the signing key decides which one applies.</summary>
public enum NotationAlgorithm
{
    RsaPssSha256,
    RsaPssSha384,
    RsaPssSha512,
    EcdsaSha256,
    EcdsaSha384,
    EcdsaSha512,
}

/// <summary>A signed attribute beyond the standard ones; <see cref="Value"/> is its JSON text (JWS) or CBOR diagnostic-free
/// rendering (COSE: strings and numbers as JSON, anything else as hex of its encoding).</summary>
public sealed record ExtendedAttribute(string Key, string Value, bool Critical);

/// <summary>
/// A parsed Notary Project signature envelope (JWS or COSE), format-independent: what was signed (<see cref="SignedBytes"/>:
/// the JWS signing input or the COSE Sig_structure), the signature, the signed attributes and the unsigned ones.
/// Nothing here is trusted until <see cref="Verification.NotationVerifier"/> says so.
/// </summary>
public sealed record SignatureEnvelope
{
    public required EnvelopeFormat Format { get; init; }

    public required NotationAlgorithm Algorithm { get; init; }

    public required string ContentType { get; init; }

    public required SigningScheme Scheme { get; init; }

    /// <summary>Required under <c>notary.x509</c>; the signer's own clock, not authenticated.</summary>
    public DateTimeOffset? SigningTime { get; init; }

    /// <summary>Required under <c>notary.x509.signingAuthority</c>: the time the signing authority vouches for.</summary>
    public DateTimeOffset? AuthenticSigningTime { get; init; }

    /// <summary>The signer's "best by" time; optional.</summary>
    public DateTimeOffset? Expiry { get; init; }

    public required IReadOnlyList<ExtendedAttribute> ExtendedAttributes { get; init; }

    /// <summary>The DER certificates of the chain, signing certificate first, root last (as the envelope orders them).</summary>
    public required IReadOnlyList<byte[]> CertificateChain { get; init; }

    /// <summary>An RFC 3161 TimeStampToken over <see cref="Signature"/> (unsigned attribute), if present.</summary>
    public byte[]? TimestampToken { get; init; }

    public string? SigningAgent { get; init; }

    public required byte[] Payload { get; init; }

    public required byte[] Signature { get; init; }

    /// <summary>The bytes the primitive signature is over.</summary>
    public required byte[] SignedBytes { get; init; }

    /// <summary>The OCI layer media type of this envelope format.</summary>
    public string MediaType => Format == EnvelopeFormat.Jws ? NotationMediaTypes.Jws : NotationMediaTypes.Cose;
}

/// <summary>Media types and header names of the Notary Project specifications.</summary>
public static class NotationMediaTypes
{
    public const string Jws = "application/jose+json";
    public const string Cose = "application/cose";
    public const string Payload = "application/vnd.cncf.notary.payload.v1+json";

    /// <summary>The signature manifest's <c>artifactType</c> (or, for registries without OCI 1.1, its config media type).</summary>
    public const string Signature = "application/vnd.cncf.notary.signature";

    public const string SigningSchemeHeader = "io.cncf.notary.signingScheme";
    public const string SigningTimeHeader = "io.cncf.notary.signingTime";
    public const string AuthenticSigningTimeHeader = "io.cncf.notary.authenticSigningTime";
    public const string ExpiryHeader = "io.cncf.notary.expiry";
    public const string TimestampHeader = "io.cncf.notary.timestampSignature";
    public const string SigningAgentHeader = "io.cncf.notary.signingAgent";
    public const string ThumbprintAnnotation = "io.cncf.notary.x509chain.thumbprint#S256";

    public static string SchemeName(SigningScheme scheme) => scheme == SigningScheme.X509 ? "notary.x509" : "notary.x509.signingAuthority";

    public static SigningScheme? ParseScheme(string? name) => name switch
    {
        "notary.x509" => SigningScheme.X509,
        "notary.x509.signingAuthority" => SigningScheme.X509SigningAuthority,
        _ => null,
    };
}
