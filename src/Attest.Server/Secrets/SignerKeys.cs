using Attest.Core.Crypto;
using Attest.Core.Transparency;
using Attest.Server.Hosting;

namespace Attest.Server.Secrets;

/// <summary>
/// Ed25519 keys in Go's signer-key form (<c>PRIVATE+KEY+name+id+key</c>): the checksum database's note key and the
/// witness's cosignature key. A key file beside a SQLite ledger (created owner-only on first start), or one secret of
/// a shared ledger's database, created once by the first replica or taken over from the file an upgrade leaves. The
/// caller checks the key's name against its configuration.
/// </summary>
public static class SignerKeys
{
    /// <summary>A signer key is well under a kilobyte; a larger file is not one.</summary>
    private const long MaxFileBytes = 4096;

    public static string LoadOrCreateFile(string path, string name, string what)
    {
        var fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath)) SigningKeyStore.WriteOwnerOnly(fullPath, NewKey(name) + "\n");
        if (new FileInfo(fullPath).Length > MaxFileBytes) throw new StartupException($"{what} {fullPath} is too large to be a key");
        return SigningKeyStore.ReadOwnerOnly(fullPath, what).Trim();
    }

    public static async Task<string> LoadOrCreateSharedAsync(SecretStore store, string kind, string legacyFile, string name, string what,
        CancellationToken cancellationToken)
    {
        if (File.Exists(legacyFile) && new FileInfo(legacyFile).Length > MaxFileBytes) throw new StartupException($"{what} {legacyFile} is too large to be a key");
        var (text, _) = await ServerSecretsSetup.GetOrImportAsync(store, kind, legacyFile, what, () => NewKey(name), cancellationToken).ConfigureAwait(false);
        return text.Trim();
    }

    private static string NewKey(string name) => new Ed25519NoteSigner(name, Ed25519.GenerateSeed()).ToPrivateKeyString();
}
