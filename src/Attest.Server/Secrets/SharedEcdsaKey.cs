using System.Security.Cryptography;
using Attest.Server.Hosting;

namespace Attest.Server.Secrets;

/// <summary>An ECDSA P-256 key of a shared ledger in its database (the ledger key; the keyless CA, CT and TSA keys):
/// created once by the first replica that starts, or imported from the key file replicas used to have (an upgrade),
/// and the same on every replica.</summary>
public static class SharedEcdsaKey
{
    public static async Task<(ECDsa Key, bool Created)> LoadOrCreateAsync(SecretStore store, string kind, string legacyKeyFile, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var (pem, created) = await ServerSecretsSetup.GetOrImportAsync(store, kind, legacyKeyFile, "signing key", () =>
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            return key.ExportPkcs8PrivateKeyPem();
        }, cancellationToken).ConfigureAwait(false);
        return (SigningKeyStore.FromPem(pem, $"the {kind} in {store.Location}"), created);
    }
}
