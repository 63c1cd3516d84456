using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Attest.Core.Crypto;
using Attest.Server.Auth;
using Microsoft.IdentityModel.Tokens;
using CorePublicKey = Attest.Core.Crypto.PublicKey;

namespace Attest.Server.Identity;

/// <summary>
/// Checks an issuer's ES256/ES384/ES512 token signatures with Attest's own ECDSA verifier rather than .NET's: one issuer
/// key checks every token of every pipeline, and Attest's verifier gives a key used that often a table of its
/// multiples (<see cref="CorePublicKey"/>), which halves a P-256 check. Microsoft.IdentityModel still decides everything
/// else (which keys, which algorithms, issuer, audience); anything this does not take — another algorithm, an EC key on
/// another curve than the algorithm names (RFC 7518 §3.4), signing — stays with its own providers.
/// </summary>
internal sealed class EcdsaTokenVerifiers : ICryptoProvider
{
    /// <summary>The factory an issuer's keys carry (<see cref="SecurityKey.CryptoProviderFactory"/>).</summary>
    public static readonly CryptoProviderFactory Factory = new() { CustomCryptoProvider = new EcdsaTokenVerifiers() };

    /// <summary>Each JWK's key, parsed once and kept as long as the JWK (and so its table with it).</summary>
    private static readonly ConditionalWeakTable<JsonWebKey, CorePublicKey> Keys = new();

    public bool IsSupportedAlgorithm(string algorithm, params object[] args) =>
        args is [JsonWebKey key, ..] && (args.Length < 2 || args[1] is false) && Scheme(algorithm, key) is not null && KeyOf(key) is not null;

    public object Create(string algorithm, params object[] args)
    {
        if (!IsSupportedAlgorithm(algorithm, args)) throw new NotSupportedException($"{algorithm} is not verified here");
        var jwk = (JsonWebKey)args[0];
        return new EcdsaSignatureProvider(jwk, algorithm, KeyOf(jwk)!, Scheme(algorithm, jwk)!.Value);
    }

    public void Release(object cryptoInstance) => (cryptoInstance as IDisposable)?.Dispose();

    /// <summary>The scheme of an ECDSA JWS algorithm, when the key is an EC public key on that algorithm's curve.</summary>
    private static SignatureScheme? Scheme(string algorithm, JsonWebKey key) => (algorithm, key.Kty, key.Crv) switch
    {
        (SecurityAlgorithms.EcdsaSha256, JsonWebAlgorithmsKeyTypes.EllipticCurve, JsonWebKeyECTypes.P256) => SignatureScheme.EcdsaSha256,
        (SecurityAlgorithms.EcdsaSha384, JsonWebAlgorithmsKeyTypes.EllipticCurve, JsonWebKeyECTypes.P384) => SignatureScheme.EcdsaSha384,
        (SecurityAlgorithms.EcdsaSha512, JsonWebAlgorithmsKeyTypes.EllipticCurve, JsonWebKeyECTypes.P521) => SignatureScheme.EcdsaSha512,
        _ => null,
    };

    private static CorePublicKey? KeyOf(JsonWebKey jwk)
    {
        if (Keys.TryGetValue(jwk, out var known)) return known;
        var curve = jwk.Crv switch
        {
            JsonWebKeyECTypes.P256 => ECCurve.NamedCurves.nistP256,
            JsonWebKeyECTypes.P384 => ECCurve.NamedCurves.nistP384,
            JsonWebKeyECTypes.P521 => ECCurve.NamedCurves.nistP521,
            _ => (ECCurve?)null,
        };
        if (curve is null || jwk.HasPrivateKey || string.IsNullOrEmpty(jwk.X) || string.IsNullOrEmpty(jwk.Y)) return null;
        try
        {
            // .NET checks the point (on the curve, coordinates of the curve's size) and writes the SPKI Attest's parser reads.
            using var ecdsa = ECDsa.Create(new ECParameters { Curve = curve.Value, Q = new ECPoint { X = Base64UrlEncoder.DecodeBytes(jwk.X), Y = Base64UrlEncoder.DecodeBytes(jwk.Y) } });
            if (!CorePublicKey.TryParseSubjectPublicKeyInfo(ecdsa.ExportSubjectPublicKeyInfo(), out var parsed, out _)) return null;
            return Keys.GetValue(jwk, _ => parsed);
        }
        catch (Exception e) when (e is CryptographicException or FormatException or ArgumentException)
        {
            return null;
        }
    }
}
