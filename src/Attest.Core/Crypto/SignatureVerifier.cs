namespace Attest.Core.Crypto;

/// <summary>A public key together with the scheme and encoding its signatures use: what a DSSE envelope, a Rekor
/// entry or a managed-key policy hands to verification.</summary>
public sealed record SignatureVerifier(PublicKey Key, SignatureScheme Scheme, SignatureEncoding Encoding = SignatureEncoding.Der)
{
    public static SignatureVerifier ForKey(PublicKey key) => new(key, key.DefaultScheme);

    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) => Key.VerifyData(data, signature, Scheme, Encoding);

    public bool VerifyDigest(ReadOnlySpan<byte> digest, ReadOnlySpan<byte> signature) => Key.VerifyHash(digest, signature, Scheme, Encoding);
}
