namespace Attest.Server.Secrets;

/// <summary>The secret store of a shared (PostgreSQL) ledger, once start-up has opened it; null on SQLite, where keys
/// stay owner-only files in the data directory of the one replica.</summary>
public sealed class ServerSecrets
{
    public SecretStore? Store { get; set; }

    /// <summary>The store's version read before start-up loaded the keys: anything added after it is reloaded.</summary>
    public long LoadedVersion { get; set; } = -1;

    /// <summary>Kinds of secrets kept in the store (stable: they are row keys).</summary>
    public static class Kinds
    {
        public const string ManagedSigningKey = "managed-signing-key";
        public const string LedgerKey = "ledger-key";
        public const string DataProtection = "data-protection";
        public const string BootstrapAdmin = "bootstrap-admin";
        public const string WitnessKey = "witness-key";
    }
}
