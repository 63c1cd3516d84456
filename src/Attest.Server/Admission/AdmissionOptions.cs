namespace Attest.Server.Admission;

/// <summary>Section <c>Attest:Admission</c>.</summary>
public sealed class AdmissionOptions
{
    public const string Section = "Attest:Admission";

    /// <summary>Time the webhook allows itself per request, kept below the API server's webhook timeout (10 s by
    /// default) so that Attest, not the API server, decides what happens when a registry is slow.</summary>
    public double TimeoutSeconds { get; set; } = 8;

    /// <summary>Admit images that no policy covers. Off: such images are denied (fail closed).</summary>
    public bool AllowUnmatchedImages { get; set; }

    /// <summary>How long a verdict for (policy revision, digest, policy) is reused. Signatures attached later are
    /// seen once it expires; failures that may pass on retry are never cached.</summary>
    public double VerdictCacheSeconds { get; set; } = 60;

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (VerdictCacheSeconds is < 0 or > 86_400)
            errors.Add($"Attest:Admission:VerdictCacheSeconds must be between 0 and 86400, not {VerdictCacheSeconds}");
        if (TimeoutSeconds is <= 0 or > 30)
            errors.Add($"Attest:Admission:TimeoutSeconds must be between 0 and 30 (the API server's maximum), not {TimeoutSeconds}");
        return errors;
    }
}

/// <summary>Section <c>Attest:Registries</c>: how the webhook reaches registries.</summary>
public sealed class RegistryAccessOptions
{
    public const string Section = "Attest:Registries";

    /// <summary>Registries reached over plain HTTP (host:port), for local development registries only.</summary>
    public string[] Insecure { get; set; } = [];

    /// <summary>PEM bundle of extra CA certificates for private registries.</summary>
    public string? CaFile { get; set; }

    /// <summary>Registries Attest may contact (host[:port], <c>*.example.com</c> for subdomains); empty: any.</summary>
    public string[] Allowed { get; set; } = [];

    /// <summary>Allow connections to link-local addresses (cloud metadata); off by default.</summary>
    public bool AllowLinkLocal { get; set; }

    /// <summary>docker config.json with registry credentials (the format of a kubernetes.io/dockerconfigjson secret).</summary>
    public string? DockerConfigFile { get; set; }
}
