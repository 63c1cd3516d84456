namespace Attest.Server.Signing;

/// <summary>Section <c>Attest:Signing</c>: the managed signing keys and how the ledger is published as a transparency log.</summary>
public sealed class SigningOptions
{
    public const string Section = "Attest:Signing";
    public const string EcdsaP256 = "ecdsa-p256";
    public const string Ed25519 = "ed25519";

    /// <summary>Algorithm of newly created managed keys: <c>ecdsa-p256</c> (default) or <c>ed25519</c> (attestations only:
    /// Rekor's hashedrekord cannot carry Ed25519 digest signatures).</summary>
    public string Algorithm { get; set; } = EcdsaP256;

    /// <summary>Password that encrypts the managed key files (cosign's format). Prefer the environment variable
    /// <c>ATTEST_Attest__Signing__KeyPassword</c>. When unset, a random one is generated into
    /// <c>&lt;DataDirectory&gt;/keys/signing-keys.password</c> (development only).</summary>
    public string? KeyPassword { get; set; }

    /// <summary>The ledger's base URL as trusted_root.json publishes it (<c>tlogs[].baseUrl</c>); default
    /// <c>https://&lt;ledger origin&gt;</c>. It must contain the origin: verifiers match checkpoint signatures to logs
    /// by that name (sigstore-js requires the base URL to contain it).</summary>
    public string? LogUrl { get; set; }

    public string LogUrlFor(string ledgerOrigin) => LogUrl ?? $"https://{ledgerOrigin}";

    public IReadOnlyList<string> Validate(string ledgerOrigin)
    {
        var errors = new List<string>();
        if (Algorithm is not (EcdsaP256 or Ed25519))
            errors.Add($"Attest:Signing:Algorithm '{Algorithm}' is not supported (supported: {EcdsaP256}, {Ed25519})");
        if (LogUrl is not null && (!Uri.TryCreate(LogUrl, UriKind.Absolute, out var url) || url.Scheme is not ("https" or "http")))
            errors.Add("Attest:Signing:LogUrl must be an absolute http(s) URL");
        if (LogUrl is not null && !LogUrl.Contains(ledgerOrigin, StringComparison.Ordinal))
            errors.Add($"Attest:Signing:LogUrl must contain the ledger origin '{ledgerOrigin}' (verifiers find the log's checkpoint key by that name)");
        if (KeyPassword is { Length: < 8 }) errors.Add("Attest:Signing:KeyPassword must be at least 8 characters");
        return errors;
    }
}
