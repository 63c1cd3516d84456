using System.Security.Cryptography;
using Attest.Server.Hosting;
using Attest.Server.Secrets;
using Microsoft.IdentityModel.Tokens;

namespace Attest.Server.Auth;

/// <summary>
/// The ECDSA P-256 key that signs access tokens (ES256 JWTs), published at the JWKS endpoint. Beside a SQLite ledger it
/// is an owner-only file (<c>&lt;DataDirectory&gt;/keys/oauth-signing-key.pem</c>); with a shared (PostgreSQL) ledger it
/// is a secret in its database (kind <c>oauth-signing-key</c>, encrypted like every key there), created once by the
/// first replica, so every replica signs and checks tokens with the same key.
/// </summary>
public sealed class OAuthSigningKey : IDisposable
{
    private readonly ECDsa _key;

    public OAuthSigningKey(ECDsa key)
    {
        _key = key;
        KeyId = SigningKeyStore.KeyId(key).Replace("sha256:", "", StringComparison.Ordinal);
        var securityKey = new ECDsaSecurityKey(key) { KeyId = KeyId };
        securityKey.CryptoProviderFactory = new CryptoProviderFactory { CustomCryptoProvider = new TokenSignatures(securityKey) };
        SecurityKey = securityKey;
    }

    public ECDsa Key => _key;

    /// <summary>The JWK <c>kid</c>: the key's SHA-256 SubjectPublicKeyInfo digest, as the ledger key's id is made.</summary>
    public string KeyId { get; }

    /// <summary>The key as IdentityModel signs and checks tokens with it (ES256 through <see cref="TokenSignatures"/>).</summary>
    public SecurityKey SecurityKey { get; }

    public static async Task<OAuthSigningKey> LoadOrCreateAsync(string dataDirectory, SecretStore? secrets, CancellationToken cancellationToken)
    {
        var file = Path.Combine(dataDirectory, "keys", "oauth-signing-key.pem");
        var where = secrets is not null ? $"the token signing key in {secrets.Location}" : file;
        try
        {
            var (key, _) = secrets is not null
                ? await SharedEcdsaKey.LoadOrCreateAsync(secrets, ServerSecrets.Kinds.OAuthSigningKey, file, cancellationToken).ConfigureAwait(false)
                : SigningKeyStore.LoadOrCreate(file);
            return new OAuthSigningKey(key);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or SecretStoreException or Npgsql.NpgsqlException)
        {
            throw new StartupException($"{where} cannot be loaded or created: {e.Message}", e);
        }
    }

    public void Dispose() => _key.Dispose();
}
