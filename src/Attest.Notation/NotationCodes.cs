namespace Attest.Notation;

/// <summary>Stable reason codes of Notary Project signature verification, one per way a signature can fail.</summary>
public static class NotationCodes
{
    /// <summary>The envelope cannot be read: not JWS JSON / COSE_Sign1_Tagged, or a field of the wrong type.</summary>
    public const string EnvelopeMalformed = "notation.envelope.malformed";

    /// <summary>A protected header is missing, unsupported, or not marked critical where the specification requires.</summary>
    public const string HeaderInvalid = "notation.header.invalid";

    /// <summary>A critical signed attribute Attest does not understand (the specification requires failing).</summary>
    public const string CriticalUnknown = "notation.critical.unknown";

    /// <summary>The primitive signature does not verify, or its algorithm differs from the signing key's.</summary>
    public const string SignatureInvalid = "notation.signature.invalid";

    /// <summary>The payload is not a Notary payload, or names another artifact than the image.</summary>
    public const string PayloadMismatch = "notation.payload.mismatch";

    /// <summary>The certificate chain is malformed, out of order, repeats a certificate, or breaks a certificate requirement.</summary>
    public const string ChainInvalid = "notation.chain.invalid";

    /// <summary>The chain does not reach a certificate of the trust store of the signing scheme's type.</summary>
    public const string ChainUntrusted = "notation.chain.untrusted";

    /// <summary>The signing certificate's subject is not one of the trusted identities.</summary>
    public const string IdentityUntrusted = "notation.identity.untrusted";

    /// <summary>A certificate of the chain was not valid at the authentic signing time (or now, without one).</summary>
    public const string CertificateExpired = "notation.certificate.expired";

    /// <summary>The signer's expiry time has passed.</summary>
    public const string SignatureExpired = "notation.signature.expired";

    /// <summary>The timestamp countersignature is missing, malformed, untrusted, not over this signature, or outside the chain's validity.</summary>
    public const string TimestampInvalid = "notation.timestamp.invalid";
}
