using System.Security.Cryptography;
using Attest.Core.Crypto;
using Microsoft.IdentityModel.Tokens;

namespace Attest.Server.Auth;

/// <summary>
/// ES256 with the access-token key, for IdentityModel (which OpenIddict signs and validates tokens with): signatures by
/// .NET's <see cref="ECDsa"/>, verifications by Attest's own ECDSA path (<see cref="PublicKey"/>: OpenSSL's
/// <c>ECDSA_verify</c> without .NET's per-operation provider lookups, and a table of multiples of this key once it has
/// checked a few dozen signatures). Every authenticated API request verifies one token, and .NET's verification was
/// the largest single cost of validating it (about 65 µs of CPU against about 34 on this machine). The verdicts are the
/// same: both paths are checked against the Wycheproof ECDSA vectors and against each other (Attest.Core.Tests).
/// Only ES256 with this one key goes here; any other algorithm or key gets IdentityModel's own providers.
/// </summary>
internal sealed class TokenSignatures : ICryptoProvider
{
    private readonly SecurityKey _key;
    private readonly EcdsaSignatureProvider _signing;
    private readonly EcdsaSignatureProvider _verifying;

    public TokenSignatures(ECDsaSecurityKey key)
    {
        if (!PublicKey.TryParseSubjectPublicKeyInfo(key.ECDsa.ExportSubjectPublicKeyInfo(), out var publicKey, out var error) || publicKey.Algorithm != KeyAlgorithm.EcdsaP256)
            throw new CryptographicException($"the token signing key is not a P-256 key ({error ?? publicKey?.Algorithm.ToString()})");
        _key = key;
        _signing = new EcdsaSignatureProvider(key, SecurityAlgorithms.EcdsaSha256, publicKey, SignatureScheme.EcdsaSha256, key.ECDsa);
        _verifying = new EcdsaSignatureProvider(key, SecurityAlgorithms.EcdsaSha256, publicKey, SignatureScheme.EcdsaSha256);
    }

    /// <summary>ES256 with this key; without arguments (IdentityModel asks so when it releases a provider) ES256 alone.</summary>
    public bool IsSupportedAlgorithm(string algorithm, params object[] args) =>
        algorithm == SecurityAlgorithms.EcdsaSha256 && (args.Length == 0 || ReferenceEquals(args[0], _key));

    public object Create(string algorithm, params object[] args) =>
        IsSupportedAlgorithm(algorithm, args) && args.Length > 0
            ? args.Length > 1 && args[1] is true ? _signing : _verifying
            : throw new NotSupportedException($"{algorithm} is not provided here");

    /// <summary>The two providers live as long as the key: nothing to release.</summary>
    public void Release(object cryptoInstance)
    {
    }
}
