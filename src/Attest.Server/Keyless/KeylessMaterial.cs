using System.Security.Cryptography;
using Attest.Server.Hosting;
using Attest.Server.Secrets;

namespace Attest.Server.Keyless;

/// <summary>
/// Where the keyless material Attest generates is kept (the CA and TSA roots and their subordinates, the CT log key,
/// the CA and TSA certificate chains): owner-only files in <c>&lt;DataDirectory&gt;/keys/keyless/</c> beside a SQLite
/// ledger, or secrets of a shared (PostgreSQL) ledger's database, so every replica issues certificates, SCTs and
/// timestamps under the same authorities. Each item is created once (the first replica wins a race; the others read
/// its item), and a chain is made only from keys already settled, so the chain every replica reads matches its keys.
/// </summary>
public abstract class KeylessMaterial
{
    /// <summary>Where the material is, for messages.</summary>
    public abstract string Location { get; }

    /// <summary>The named ECDSA P-256 key (<c>ca-key.pem</c>, …), created on first use; the caller disposes it.</summary>
    public abstract Task<ECDsa> KeyAsync(string name, CancellationToken cancellationToken);

    /// <summary>The named PEM certificate chain (<c>ca-chain.pem</c>, …): the stored one, or the one
    /// <paramref name="create"/> makes on first use.</summary>
    public abstract Task<string> ChainAsync(string name, Func<string> create, CancellationToken cancellationToken);

    /// <summary>Files in <paramref name="directory"/>: keys owner-only, chains beside them.</summary>
    public sealed class Files(string directory) : KeylessMaterial
    {
        public override string Location => directory;

        public override Task<ECDsa> KeyAsync(string name, CancellationToken cancellationToken) =>
            Task.FromResult(SigningKeyStore.LoadOrCreate(Path.Combine(directory, name)).Key);

        public override Task<string> ChainAsync(string name, Func<string> create, CancellationToken cancellationToken)
        {
            var chainFile = Path.Combine(directory, name);
            if (!File.Exists(chainFile))
            {
                var temporary = chainFile + ".tmp-" + Environment.ProcessId;
                File.WriteAllText(temporary, create());
                File.Move(temporary, chainFile, overwrite: false);
            }
            return Task.FromResult(File.ReadAllText(chainFile));
        }
    }

    /// <summary>Secrets of a shared ledger's database (kinds <c>keyless-&lt;name&gt;</c>), encrypted like every key
    /// there; the files of <paramref name="legacyDirectory"/> are taken over when present (an upgrade keeps its CA).</summary>
    public sealed class Database(SecretStore store, string legacyDirectory) : KeylessMaterial
    {
        public override string Location => store.Location;

        public override async Task<ECDsa> KeyAsync(string name, CancellationToken cancellationToken) =>
            (await SharedEcdsaKey.LoadOrCreateAsync(store, Kind(name), Path.Combine(legacyDirectory, name), cancellationToken).ConfigureAwait(false)).Key;

        public override async Task<string> ChainAsync(string name, Func<string> create, CancellationToken cancellationToken)
        {
            var legacy = Path.Combine(legacyDirectory, name);
            var (value, _) = await ServerSecretsSetup.GetOrCreateAsync(store, Kind(name),
                () => SecretStore.Utf8(File.Exists(legacy) ? File.ReadAllText(legacy) : create()), cancellationToken).ConfigureAwait(false);
            return System.Text.Encoding.UTF8.GetString(value);
        }

        private static string Kind(string name) => ServerSecrets.Kinds.Keyless(Path.GetFileNameWithoutExtension(name));
    }
}
