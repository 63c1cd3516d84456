using System.Security.Cryptography;
using System.Text;

namespace Attest.Server.Auth;

/// <summary>A registered OAuth2 client (a CI pipeline, an auditor, an administrator). Its secret is never stored, only
/// its SHA-256.</summary>
public sealed record OAuthClient(string ClientId, string Name, IReadOnlyList<string> Scopes, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt)
{
    public bool IsActive => RevokedAt is null;
}

/// <summary>A client identifier and its secret, as a client presents them.</summary>
public sealed record ClientCredentials(string ClientId, string Secret)
{
    public override string ToString() => $"ClientCredentials {{ ClientId = {ClientId} }}";
}

/// <summary>
/// Client identifiers and secrets. Secrets are 256 random bits, so a single SHA-256 is enough to store them (there is
/// nothing to brute-force, unlike a password); presented secrets are compared in constant time.
/// </summary>
public static class ClientSecrets
{
    private const string SecretPrefix = "attest_secret_";

    public static string NewClientId() => "attest-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    public static string NewSecret() => SecretPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    /// <summary>Constant-time comparison of the presented secret's hash with the stored one.</summary>
    public static bool Matches(string presented, ReadOnlySpan<byte> storedHash) =>
        CryptographicOperations.FixedTimeEquals(Hash(presented), storedHash);

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
