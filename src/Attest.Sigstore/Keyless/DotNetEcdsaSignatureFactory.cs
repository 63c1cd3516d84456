using System.Security.Cryptography;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Operators;

namespace Attest.Sigstore.Keyless;

/// <summary>
/// BouncyCastle's signature factory over a .NET ECDSA key (OpenSSL does the signing): BouncyCastle encodes the
/// certificate or CMS structure, .NET signs it, DER-encoded (ecdsa-with-SHA256/384/512, parameters absent, RFC 5758).
/// The hash follows the key's size: SHA-256 up to P-256, SHA-384 for P-384, SHA-512 for P-521.
/// </summary>
internal sealed class DotNetEcdsaSignatureFactory : ISignatureFactory
{
    private readonly ECDsa _key;
    private readonly HashAlgorithmName _hash;
    private readonly AlgorithmIdentifier _id;

    /// <param name="key">The signing key (not owned).</param>
    public DotNetEcdsaSignatureFactory(ECDsa key)
    {
        _key = key;
        (_hash, var oid) = key.KeySize switch
        {
            > 384 => (HashAlgorithmName.SHA512, X9ObjectIdentifiers.ECDsaWithSha512),
            > 256 => (HashAlgorithmName.SHA384, X9ObjectIdentifiers.ECDsaWithSha384),
            _ => (HashAlgorithmName.SHA256, X9ObjectIdentifiers.ECDsaWithSha256),
        };
        _id = new AlgorithmIdentifier(oid);
    }

    public object AlgorithmDetails => _id;

    public IStreamCalculator<IBlockResult> CreateCalculator() => new Calculator(_key, _hash);

    private sealed class Calculator(ECDsa key, HashAlgorithmName hash) : IStreamCalculator<IBlockResult>
    {
        private readonly MemoryStream _data = new();

        public Stream Stream => _data;

        // BouncyCastle closes the stream before asking for the result; ToArray still reads a closed MemoryStream.
        public IBlockResult GetResult() => new SimpleBlockResult(key.SignData(_data.ToArray(), hash, DSASignatureFormat.Rfc3279DerSequence));
    }
}
