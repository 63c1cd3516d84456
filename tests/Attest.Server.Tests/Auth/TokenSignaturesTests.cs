using System.Security.Claims;
using System.Security.Cryptography;
using Attest.Server.Auth;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Attest.Server.Tests.Auth;

/// <summary>
/// The access-token key's ES256 as IdentityModel (and so OpenIddict) uses it: tokens signed through it verify with .NET's
/// own ECDSA and the other way round; a changed payload, a changed signature, another key or another algorithm fail.
/// </summary>
public sealed class TokenSignaturesTests
{
    private static readonly JsonWebTokenHandler Handler = new();

    [Fact]
    public async Task A_token_signed_with_the_key_validates_and_verifies_with_dotnet_ECDsa()
    {
        using var key = new OAuthSigningKey(ECDsa.Create(ECCurve.NamedCurves.nistP256));
        var token = Sign(key.SecurityKey);

        var result = await Handler.ValidateTokenAsync(token, Parameters(key.SecurityKey));
        Assert.True(result.IsValid, result.Exception?.Message);

        var parts = token.Split('.');
        var signature = Base64UrlEncoder.DecodeBytes(parts[2]);
        Assert.True(key.Key.VerifyData(System.Text.Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), signature, HashAlgorithmName.SHA256));
    }

    [Fact]
    public async Task A_token_signed_by_dotnet_ECDsa_validates_through_the_key()
    {
        using var key = new OAuthSigningKey(ECDsa.Create(ECCurve.NamedCurves.nistP256));
        var plain = new ECDsaSecurityKey(key.Key) { KeyId = key.KeyId };
        Assert.True((await Handler.ValidateTokenAsync(Sign(plain), Parameters(key.SecurityKey))).IsValid);
    }

    [Fact]
    public async Task Tokens_with_a_changed_payload_or_signature_or_from_another_key_fail()
    {
        using var key = new OAuthSigningKey(ECDsa.Create(ECCurve.NamedCurves.nistP256));
        using var other = new OAuthSigningKey(ECDsa.Create(ECCurve.NamedCurves.nistP256));
        var parts = Sign(key.SecurityKey).Split('.');

        var payload = Base64UrlEncoder.Encode(Base64UrlEncoder.Decode(parts[1]).Replace("client-1", "client-2", StringComparison.Ordinal));
        var signature = Base64UrlEncoder.DecodeBytes(parts[2]);
        signature[^1] ^= 1;
        var truncated = Base64UrlEncoder.DecodeBytes(parts[2])[..63];
        foreach (var forged in new[]
                 {
                     $"{parts[0]}.{payload}.{parts[2]}",
                     $"{parts[0]}.{parts[1]}.{Base64UrlEncoder.Encode(signature)}",
                     $"{parts[0]}.{parts[1]}.{Base64UrlEncoder.Encode(truncated)}",
                     $"{parts[0]}.{parts[1]}.",
                 })
        {
            Assert.False((await Handler.ValidateTokenAsync(forged, Parameters(key.SecurityKey))).IsValid, forged);
        }
        // Same kid, another key: the signature is checked against the key, not trusted for its name.
        var impostor = new ECDsaSecurityKey(other.Key) { KeyId = key.KeyId };
        Assert.False((await Handler.ValidateTokenAsync(Sign(impostor), Parameters(key.SecurityKey))).IsValid);
    }

    [Fact]
    public void Only_ES256_with_this_key_is_provided()
    {
        using var key = new OAuthSigningKey(ECDsa.Create(ECCurve.NamedCurves.nistP256));
        var provider = key.SecurityKey.CryptoProviderFactory.CustomCryptoProvider!;
        Assert.True(provider.IsSupportedAlgorithm(SecurityAlgorithms.EcdsaSha256, key.SecurityKey, false));
        Assert.False(provider.IsSupportedAlgorithm(SecurityAlgorithms.EcdsaSha384, key.SecurityKey, false));
        Assert.False(provider.IsSupportedAlgorithm(SecurityAlgorithms.EcdsaSha256, new ECDsaSecurityKey(key.Key), false));
        Assert.Throws<CryptographicException>(() => new OAuthSigningKey(ECDsa.Create(ECCurve.NamedCurves.nistP384)));
    }

    private static string Sign(SecurityKey key) => Handler.CreateToken(new SecurityTokenDescriptor
    {
        Issuer = "urn:attest",
        Subject = new ClaimsIdentity([new Claim("client_id", "client-1"), new Claim("scope", "sign")]),
        Expires = DateTime.UtcNow.AddMinutes(5),
        SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.EcdsaSha256),
    });

    private static TokenValidationParameters Parameters(SecurityKey key) => new()
    {
        ValidIssuer = "urn:attest",
        ValidateAudience = false,
        IssuerSigningKey = key,
        ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
    };
}
