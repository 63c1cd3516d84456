using System.Security.Cryptography;
using System.Text;
using Attest.Server.Hosting;

namespace Attest.Server.Secrets;

/// <summary>The ledger key (checkpoints, SETs) of a shared ledger, in its database: created once by the first replica
/// that starts, or imported from the key file replicas used to share (an upgrade), and the same on every replica.</summary>
public static class DatabaseLedgerKey
{
    public static async Task<(ECDsa Key, bool Created)> LoadOrCreateAsync(SecretStore store, string legacyKeyFile, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var (pem, created) = await ServerSecretsSetup.GetOrCreateAsync(store, ServerSecrets.Kinds.LedgerKey, () =>
        {
            // Checked as any key file is (owner-only), then taken over as it is.
            if (File.Exists(legacyKeyFile))
            {
                using var imported = SigningKeyStore.LoadOrCreate(legacyKeyFile).Key;
                return Encoding.UTF8.GetBytes(imported.ExportPkcs8PrivateKeyPem());
            }
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            return Encoding.UTF8.GetBytes(key.ExportPkcs8PrivateKeyPem());
        }, cancellationToken).ConfigureAwait(false);
        var ecdsa = ECDsa.Create();
        try
        {
            ecdsa.ImportFromPem(Encoding.UTF8.GetString(pem));
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            ecdsa.Dispose();
            throw new StartupException($"the ledger key in {store.Location} is not a PEM ECDSA private key", e);
        }
        return (ecdsa, created);
    }
}
