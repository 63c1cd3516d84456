namespace Attest.Server.Secrets;

/// <summary>The secret store of a shared (PostgreSQL) ledger as start-up opened it; <see cref="Store"/> is null on
/// SQLite, where keys stay owner-only files in the data directory of the one replica. Holds who reloads what when
/// another replica adds a key (<see cref="SecretWatcher"/> calls them).</summary>
public sealed class ServerSecrets(SecretStore? store, long loadedVersion)
{
    private readonly List<Func<CancellationToken, Task>> _subscribers = [];

    /// <summary>On SQLite: no store, nothing to reload.</summary>
    public static ServerSecrets None { get; } = new(null, -1);

    public SecretStore? Store => store;

    /// <summary>The store's version read before start-up loaded the keys: anything added after it is reloaded.</summary>
    public long LoadedVersion => loadedVersion;

    /// <summary>Calls <paramref name="reload"/> after another replica added a secret (not on the first look).</summary>
    public void Subscribe(Func<CancellationToken, Task> reload)
    {
        lock (_subscribers) _subscribers.Add(reload);
    }

    internal IReadOnlyList<Func<CancellationToken, Task>> Subscribers
    {
        get
        {
            lock (_subscribers) return [.. _subscribers];
        }
    }

    /// <summary>Kinds of secrets kept in the store (stable: they are row keys).</summary>
    public static class Kinds
    {
        public const string ManagedSigningKey = "managed-signing-key";
        public const string LedgerKey = "ledger-key";
        public const string DataProtection = "data-protection";
        public const string BootstrapAdmin = "bootstrap-admin";
        public const string WitnessKey = "witness-key";
        public const string SumDbKey = "sumdb-key";

        /// <summary>Generated keyless material: <c>keyless-ca-key</c>, <c>keyless-ca-chain</c>, <c>keyless-ctlog-key</c>, …</summary>
        public static string Keyless(string name) => "keyless-" + name;
    }
}
