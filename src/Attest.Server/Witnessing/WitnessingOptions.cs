using Attest.Core.Transparency;
using Attest.Ledger.Witnessing;

namespace Attest.Server.Witnessing;

/// <summary>
/// Section <c>Attest:Witnessing</c>: the witnesses this server's ledger asks to cosign each new checkpoint
/// (c2sp.org/tlog-witness), and how many cosignatures a checkpoint needs before the log's tlog-tiles
/// <c>checkpoint</c> file and the witnessed checkpoint of <c>GET /v1/ledger/checkpoint</c> move to it.
/// </summary>
public sealed class WitnessingOptions
{
    public const string Section = "Attest:Witnessing";

    public List<WitnessTargetOptions> Witnesses { get; set; } = [];

    /// <summary>Cosignatures a checkpoint needs to be published as witnessed; default: every configured witness.</summary>
    public int? Required { get; set; }

    /// <summary>Time one witness may take to answer (1..60 s, default 5).</summary>
    public int TimeoutSeconds { get; set; } = 5;

    public int RequiredCount => Required ?? Witnesses.Count;

    /// <summary>The parsed witnesses, or every problem with the section.</summary>
    public (IReadOnlyList<WitnessEndpoint> Witnesses, IReadOnlyList<string> Errors) Resolve()
    {
        var errors = new List<string>();
        var endpoints = new List<WitnessEndpoint>();
        for (var i = 0; i < Witnesses.Count; i++)
        {
            var w = Witnesses[i];
            var at = $"{Section}:Witnesses:{i}";
            if (!Uri.TryCreate(w.Url, UriKind.Absolute, out var url) || url.Scheme is not ("https" or "http") || !string.IsNullOrEmpty(url.Query) || !string.IsNullOrEmpty(url.UserInfo))
                errors.Add($"{at}:Url must be the witness's absolute http(s) submission prefix, without query or credentials");
            else if (!NoteVerifierKey.TryParse(w.VerifierKey, out var key, out var error))
                errors.Add($"{at}:VerifierKey is not a verifier key: {error.Message}");
            else if (!key.IsCosignatureKey)
                errors.Add($"{at}:VerifierKey must be an Ed25519 cosignature key (type 0x04, as 'attest witness keygen' prints it)");
            else endpoints.Add(new WitnessEndpoint(url, key));
        }
        if (endpoints.Select(e => e.Name).Distinct(StringComparer.Ordinal).Count() != endpoints.Count) errors.Add($"{Section}:Witnesses names a witness twice");
        if (RequiredCount < 0 || RequiredCount > Witnesses.Count)
            errors.Add($"{Section}:Required must be between 0 and the number of witnesses ({Witnesses.Count}), not {RequiredCount}");
        if (TimeoutSeconds is < 1 or > 60) errors.Add($"{Section}:TimeoutSeconds must be between 1 and 60, not {TimeoutSeconds}");
        return (endpoints, errors);
    }
}

public sealed class WitnessTargetOptions
{
    /// <summary>The witness's submission prefix; <c>add-checkpoint</c> is posted under it (an Attest witness: <c>https://host/witness</c>).</summary>
    public string? Url { get; set; }

    /// <summary>The witness's cosignature verifier key (<c>name+id+base64(0x04 || key)</c>).</summary>
    public string? VerifierKey { get; set; }
}

/// <summary>
/// Section <c>Attest:Witness</c>: this server acts as a c2sp.org/tlog-witness witness for the listed logs, at
/// <c>POST /witness/add-checkpoint</c>. It keeps the latest checkpoint it cosigned per log in its ledger's database
/// and refuses any checkpoint not consistent with it.
/// </summary>
public sealed class WitnessOptions
{
    public const string Section = "Attest:Witness";

    public bool Enabled { get; set; }

    /// <summary>The witness's name in its cosignatures; default <c>&lt;ledger origin&gt;/witness</c>.</summary>
    public string? Name { get; set; }

    /// <summary>Ed25519 key in Go's signer-key form (<c>attest witness keygen</c>); default
    /// <c>&lt;DataDirectory&gt;/keys/witness.key</c>, created on first start.</summary>
    public string? KeyPath { get; set; }

    public List<WitnessedLogOptions> Logs { get; set; } = [];

    public (IReadOnlyList<WitnessedLog> Logs, IReadOnlyList<string> Errors) Resolve()
    {
        var errors = new List<string>();
        var logs = new List<WitnessedLog>();
        if (!Enabled) return (logs, errors);
        if (Logs.Count == 0) errors.Add($"{Section}:Logs must list at least one log (Origin and VerifierKeys) when the witness is enabled");
        for (var i = 0; i < Logs.Count; i++)
        {
            var at = $"{Section}:Logs:{i}";
            var log = Logs[i];
            if (string.IsNullOrWhiteSpace(log.Origin) || log.Origin.Any(char.IsControl)) errors.Add($"{at}:Origin must be the log's origin line");
            var keys = new List<NoteVerifierKey>();
            foreach (var text in log.VerifierKeys)
            {
                if (NoteVerifierKey.TryParse(text, out var key, out var error)) keys.Add(key);
                else errors.Add($"{at}:VerifierKeys: {error.Message}");
            }
            if (log.VerifierKeys.Count == 0) errors.Add($"{at}:VerifierKeys must list the log's checkpoint key");
            if (!string.IsNullOrWhiteSpace(log.Origin)) logs.Add(new WitnessedLog(log.Origin, keys));
        }
        if (logs.Select(l => l.Origin).Distinct(StringComparer.Ordinal).Count() != logs.Count) errors.Add($"{Section}:Logs names a log twice");
        return (logs, errors);
    }
}

public sealed class WitnessedLogOptions
{
    public string? Origin { get; set; }

    public List<string> VerifierKeys { get; set; } = [];
}
