using System.Security.Cryptography;
using System.Text;
using Attest.Server.Identity;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Attest.Server.Tests.Identity;

/// <summary>
/// ES256/384/512 token signatures checked by Attest's own verifier (keys from a JWKS document, as an issuer publishes
/// them), with Microsoft.IdentityModel's handler deciding the rest: the same verdicts as its own providers, for good
/// signatures and bad ones, and the algorithms and curves it does not take left to them.
/// </summary>
public sealed class EcdsaTokenVerifiersTests
{
    [Theory]
    [InlineData("ES256", "P-256")]
    [InlineData("ES384", "P-384")]
    [InlineData("ES512", "P-521")]
    public async Task A_token_verifies_and_any_change_to_its_signature_or_content_does_not(string algorithm, string curve)
    {
        using var key = ECDsa.Create(Curve(curve));
        var jwk = Parse(key, curve);
        Assert.Same(EcdsaTokenVerifiers.Factory, jwk.CryptoProviderFactory);
        Assert.True(EcdsaTokenVerifiers.Factory.CustomCryptoProvider.IsSupportedAlgorithm(algorithm, jwk));

        var token = Token(key, algorithm, """{"iss":"https://ci.test","aud":"sigstore","sub":"x"}""");
        Assert.True((await ValidateAsync(token, jwk)).IsValid);

        var parts = token.Split('.');
        var signature = Base64UrlEncoder.DecodeBytes(parts[2]);
        signature[^1] ^= 1;
        Assert.False((await ValidateAsync($"{parts[0]}.{parts[1]}.{Base64UrlEncoder.Encode(signature)}", jwk)).IsValid);
        // The same signature in DER instead of r ‖ s is not a JWS signature.
        var der = key.SignData(Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"), Hash(algorithm), DSASignatureFormat.Rfc3279DerSequence);
        Assert.False((await ValidateAsync($"{parts[0]}.{parts[1]}.{Base64UrlEncoder.Encode(der)}", jwk)).IsValid);
        var otherPayload = Base64UrlEncoder.Encode("""{"iss":"https://ci.test","aud":"sigstore","sub":"y"}""");
        Assert.False((await ValidateAsync($"{parts[0]}.{otherPayload}.{parts[2]}", jwk)).IsValid);
    }

    [Fact]
    public async Task Algorithms_and_curves_it_does_not_take_stay_with_the_libraries_own_providers()
    {
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var jwk = Parse(p384, "P-384");
        // ES256 names P-256 (RFC 7518 §3.4): a P-384 key is not taken here, whatever the library then decides.
        Assert.False(EcdsaTokenVerifiers.Factory.CustomCryptoProvider.IsSupportedAlgorithm("ES256", jwk));
        Assert.False(EcdsaTokenVerifiers.Factory.CustomCryptoProvider.IsSupportedAlgorithm("RS256", jwk));
        Assert.False(EcdsaTokenVerifiers.Factory.CustomCryptoProvider.IsSupportedAlgorithm("ES384", jwk, true)); // signing
        Assert.True((await ValidateAsync(Token(p384, "ES384", """{"iss":"https://ci.test","aud":"sigstore","sub":"x"}"""), jwk)).IsValid);

        using var rsa = RSA.Create(2048);
        var parameters = rsa.ExportParameters(false);
        var rsaJwk = Assert.Single(JwksSource.Parse($$"""{"keys":[{"kty":"RSA","kid":"r","n":"{{Base64UrlEncoder.Encode(parameters.Modulus)}}","e":"{{Base64UrlEncoder.Encode(parameters.Exponent)}}"}]}"""));
        var input = $"{Base64UrlEncoder.Encode("""{"alg":"RS256","kid":"r"}""")}.{Base64UrlEncoder.Encode("""{"iss":"https://ci.test","aud":"sigstore","sub":"x"}""")}";
        var rs256 = $"{input}.{Base64UrlEncoder.Encode(rsa.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))}";
        Assert.True((await ValidateAsync(rs256, rsaJwk)).IsValid);
    }

    private static JsonWebKey Parse(ECDsa key, string curve)
    {
        var q = key.ExportParameters(false).Q;
        var keys = JwksSource.Parse($$"""{"keys":[{"kty":"EC","crv":"{{curve}}","kid":"k","use":"sig","x":"{{Base64UrlEncoder.Encode(q.X)}}","y":"{{Base64UrlEncoder.Encode(q.Y)}}"}]}""");
        return Assert.IsType<JsonWebKey>(Assert.Single(keys));
    }

    private static string Token(ECDsa key, string algorithm, string payload)
    {
        var input = $"{Base64UrlEncoder.Encode($$"""{"alg":"{{algorithm}}","kid":"k","typ":"JWT"}""")}.{Base64UrlEncoder.Encode(payload)}";
        var signature = key.SignData(Encoding.ASCII.GetBytes(input), Hash(algorithm), DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return $"{input}.{Base64UrlEncoder.Encode(signature)}";
    }

    private static Task<TokenValidationResult> ValidateAsync(string token, SecurityKey key) => new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
    {
        ValidIssuer = "https://ci.test",
        ValidAudience = "sigstore",
        ValidateLifetime = false,
        RequireExpirationTime = false,
        IssuerSigningKey = key,
        ValidateIssuerSigningKey = false,
    });

    private static ECCurve Curve(string name) => name switch
    {
        "P-256" => ECCurve.NamedCurves.nistP256,
        "P-384" => ECCurve.NamedCurves.nistP384,
        _ => ECCurve.NamedCurves.nistP521,
    };

    private static HashAlgorithmName Hash(string algorithm) => algorithm switch
    {
        "ES256" => HashAlgorithmName.SHA256,
        "ES384" => HashAlgorithmName.SHA384,
        _ => HashAlgorithmName.SHA512,
    };
}
