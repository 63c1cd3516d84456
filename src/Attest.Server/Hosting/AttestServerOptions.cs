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

    /// <summary>Every problem with these options, each a sentence naming the setting.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(DataDirectory)) errors.Add("Attest:DataDirectory must not be empty");
        if (string.IsNullOrWhiteSpace(PolicyDirectory)) errors.Add("Attest:PolicyDirectory must not be empty");
        if (string.IsNullOrWhiteSpace(Ledger.Origin) || Ledger.Origin.Any(char.IsControl))
            errors.Add("Attest:Ledger:Origin must be a non-empty single line");
        if (!string.Equals(Ledger.Provider, LedgerOptions.Sqlite, StringComparison.OrdinalIgnoreCase))
            errors.Add($"Attest:Ledger:Provider '{Ledger.Provider}' is not supported (supported: {LedgerOptions.Sqlite})");
        return errors;
    }
}

public sealed class LedgerOptions
{
    public const string Sqlite = "sqlite";

    /// <summary><c>sqlite</c> (embedded default).</summary>
    public string Provider { get; set; } = Sqlite;

    /// <summary>SQLite file; default <c>&lt;DataDirectory&gt;/ledger.db</c>.</summary>
    public string? Path { get; set; }

    /// <summary>The log's name in its signed checkpoints (C2SP origin line); stable for the life of the log.</summary>
    public string Origin { get; set; } = "attest.local/ledger";
}

public sealed class SigningKeyOptions
{
    /// <summary>PKCS#8 PEM private key; default <c>&lt;DataDirectory&gt;/keys/signing-key.pem</c>, generated on
    /// first start (development key) with owner-only permissions.</summary>
    public string? Path { get; set; }
}
