namespace Attest.Server.Hosting;

/// <summary>
/// The server's configuration (section <c>Attest</c>). Every property has an embedded default, so the server
/// runs with no configuration file at all. Relative paths resolve against the working directory.
/// </summary>
public sealed class AttestServerOptions
{
    public const string Section = "Attest";

    /// <summary>Where the ledger database and keys live. Default <c>./data</c>.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>Directory of policy files (<c>*.yaml</c>). Default <c>./policies</c>.</summary>
    public string PolicyDirectory { get; set; } = "policies";

    public LedgerOptions Ledger { get; set; } = new();

    public SigningKeyOptions SigningKey { get; set; } = new();

    public ChecksOptions Checks { get; set; } = new();

    /// <summary>Every problem with these options, each a sentence naming the setting.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(DataDirectory)) errors.Add("Attest:DataDirectory must not be empty");
        if (string.IsNullOrWhiteSpace(PolicyDirectory)) errors.Add("Attest:PolicyDirectory must not be empty");
        if (string.IsNullOrWhiteSpace(Ledger.Origin) || Ledger.Origin.Any(char.IsControl))
            errors.Add("Attest:Ledger:Origin must be a non-empty single line");
        if (!Ledger.IsSqlite && !Ledger.IsPostgres)
            errors.Add($"Attest:Ledger:Provider '{Ledger.Provider}' is not supported (supported: {LedgerOptions.Sqlite}, {LedgerOptions.Postgres})");
        if (Ledger.IsPostgres && string.IsNullOrWhiteSpace(Ledger.ConnectionString))
            errors.Add("Attest:Ledger:ConnectionString is required with the postgresql provider (set ATTEST_Attest__Ledger__ConnectionString)");
        if (Ledger.AuditInterval < TimeSpan.FromSeconds(1))
            errors.Add($"Attest:Ledger:AuditInterval must be at least one second, not {Ledger.AuditInterval}");
        if (Ledger.MaxPendingAppends < 1)
            errors.Add($"Attest:Ledger:MaxPendingAppends must be at least 1, not {Ledger.MaxPendingAppends}");
        if (Checks.UploadSpaceBytes < ChecksOptions.MinUploadSpaceBytes)
            errors.Add($"Attest:Checks:UploadSpaceBytes must be at least {ChecksOptions.MinUploadSpaceBytes}, not {Checks.UploadSpaceBytes}");
        return errors;
    }
}

public sealed class LedgerOptions
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgresql";

    /// <summary><c>sqlite</c> (embedded default) or <c>postgresql</c> (several replicas sharing one ledger).</summary>
    public string Provider { get; set; } = Sqlite;

    /// <summary>Npgsql connection string for the <c>postgresql</c> provider; it holds a password, so give it through the
    /// environment (<c>ATTEST_Attest__Ledger__ConnectionString</c>), never on the command line. Never logged.</summary>
    public string? ConnectionString { get; set; }

    public bool IsSqlite => string.Equals(Provider, Sqlite, StringComparison.OrdinalIgnoreCase);

    public bool IsPostgres => string.Equals(Provider, Postgres, StringComparison.OrdinalIgnoreCase) || string.Equals(Provider, "postgres", StringComparison.OrdinalIgnoreCase);

    /// <summary>SQLite file; default <c>&lt;DataDirectory&gt;/ledger.db</c>.</summary>
    public string? Path { get; set; }

    /// <summary>The log's name in its signed checkpoints (C2SP origin line); stable for the life of the log.</summary>
    public string Origin { get; set; } = "attest.local/ledger";

    /// <summary>How often the whole ledger is replayed and checked in the background (also once at start). Default 1 hour.</summary>
    public TimeSpan AuditInterval { get; set; } = TimeSpan.FromHours(1);
    /// <summary>Appends waiting for the sequencer at most; one more is refused at once (an admission is denied with
    /// <c>ledger.busy</c>, an API call answered 503 with Retry-After) rather than made to wait for its deadline.</summary>
    public int MaxPendingAppends { get; set; } = Attest.Ledger.LedgerLimits.MaxPendingAppends;
}

public sealed class ChecksOptions
{
    public const long MinUploadSpaceBytes = 64 * 1024;

    /// <summary>Scratch disk the go.sum and SBOM check uploads in flight may fill together; past it, 503 with Retry-After.
    /// Default 1 GiB (sixteen of the largest go.sum uploads at once).</summary>
    public long UploadSpaceBytes { get; set; } = 1L << 30;
}

public sealed class SigningKeyOptions
{
    /// <summary>PKCS#8 PEM private key; default <c>&lt;DataDirectory&gt;/keys/signing-key.pem</c>, generated on
    /// first start (development key) with owner-only permissions.</summary>
    public string? Path { get; set; }
}
