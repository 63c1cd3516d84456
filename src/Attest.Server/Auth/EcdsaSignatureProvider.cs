using System.Security.Cryptography;
using Attest.Core.Crypto;
using Microsoft.IdentityModel.Tokens;

namespace Attest.Server.Auth;

/// <summary>
/// A JWS ECDSA signature provider for IdentityModel whose verifications go through Attest's own ECDSA path
/// (<see cref="PublicKey"/>: OpenSSL's <c>ECDSA_verify</c> without .NET's per-operation provider lookups, and a table of
/// multiples once a key has checked a few dozen signatures) and whose signatures, when it holds the private key, come
/// from .NET's <see cref="ECDsa"/>. Signatures are <c>r ‖ s</c> of exactly the curve's size (RFC 7518 §3.4). Both
/// verification paths are held to the Wycheproof ECDSA vectors and to each other (Attest.Core.Tests).
/// </summary>
internal sealed class EcdsaSignatureProvider : SignatureProvider
{
    private readonly PublicKey _publicKey;
    private readonly SignatureScheme _scheme;
    private readonly ECDsa? _privateKey;
    private readonly int _signatureBytes;

    public EcdsaSignatureProvider(SecurityKey key, string algorithm, PublicKey publicKey, SignatureScheme scheme, ECDsa? privateKey = null) : base(key, algorithm)
    {
        _publicKey = publicKey;
        _scheme = scheme;
        _privateKey = privateKey;
        _signatureBytes = 2 * (publicKey.Algorithm switch
        {
            KeyAlgorithm.EcdsaP256 => 32,
            KeyAlgorithm.EcdsaP384 => 48,
            KeyAlgorithm.EcdsaP521 => 66,
            _ => throw new ArgumentException($"{publicKey.Algorithm} is not an ECDSA key", nameof(publicKey)),
        });
        WillCreateSignatures = privateKey is not null;
    }

    private HashAlgorithmName Hash => _scheme switch
    {
        SignatureScheme.EcdsaSha256 => HashAlgorithmName.SHA256,
        SignatureScheme.EcdsaSha384 => HashAlgorithmName.SHA384,
        _ => HashAlgorithmName.SHA512,
    };

    private ECDsa PrivateKey => _privateKey ?? throw new NotSupportedException("this provider only verifies");

    public override byte[] Sign(byte[] input) => Sign(input, 0, input.Length);

    public override byte[] Sign(byte[] input, int offset, int count) =>
        PrivateKey.SignData(input, offset, count, Hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    public override bool Sign(ReadOnlySpan<byte> data, Span<byte> destination, out int bytesWritten) =>
        PrivateKey.TrySignData(data, destination, Hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation, out bytesWritten);

    public override bool Verify(byte[] input, byte[] signature) =>
        input is not null && signature is not null && Verify(input, 0, input.Length, signature, 0, signature.Length);

    public override bool Verify(byte[] input, int inputOffset, int inputLength, byte[] signature, int signatureOffset, int signatureLength) =>
        signatureLength == _signatureBytes &&
        _publicKey.VerifyData(input.AsSpan(inputOffset, inputLength), signature.AsSpan(signatureOffset, signatureLength), _scheme, SignatureEncoding.IeeeP1363);

    /// <summary>The keys belong to whoever made the provider.</summary>
    protected override void Dispose(bool disposing)
    {
    }
}
