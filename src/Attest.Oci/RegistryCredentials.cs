using System.Text;
using System.Text.Json;

namespace Attest.Oci;

/// <summary>Credentials for one registry: a user name and password (or token used as password), or an identity
/// (refresh) token as <c>docker login</c> stores for OAuth2 registries.</summary>
public sealed record RegistryCredential(string? Username, string? Password, string? IdentityToken = null)
{
    /// <summary>Who signs in, without the secret: a truncated SHA-256 over user name, password and identity token
    /// (ECR and GCR share one user name among all accounts, so the name alone would not tell them apart). Verdicts
    /// and tokens obtained with one credential are kept apart from those of another by it.</summary>
    public string Fingerprint => "cred:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
        Encoding.UTF8.GetBytes($"{Username}\n{Password}\n{IdentityToken}")), 0, 16);

    // Never print secrets, even by accident through a log of the record.
    public override string ToString() => $"RegistryCredential {{ Username = {Username}, Password = ***, IdentityToken = {(IdentityToken is null ? "none" : "***")} }}";
}

public interface IRegistryCredentialProvider
{
    /// <summary>Credentials for a registry host (as in an image reference: <c>docker.io</c>, <c>ghcr.io</c>,
    /// <c>127.0.0.1:5000</c>), or null for anonymous access.</summary>
    RegistryCredential? GetCredential(string registry);
}

/// <summary>
/// Credentials from docker's <c>config.json</c> (<c>{"auths": {...}}</c>) and from Kubernetes image pull secrets
/// (<c>kubernetes.io/dockerconfigjson</c> with key <c>.dockerconfigjson</c>, and the legacy
/// <c>kubernetes.io/dockercfg</c> whose <c>.dockercfg</c> is the bare map). Keys such as
/// <c>https://index.docker.io/v1/</c> are normalized to the registry host.
/// </summary>
public sealed class DockerConfigCredentials : IRegistryCredentialProvider
{
    private const int MaxConfigBytes = 1 << 20;
    private readonly Dictionary<string, RegistryCredential> _byRegistry;

    private DockerConfigCredentials(Dictionary<string, RegistryCredential> byRegistry) => _byRegistry = byRegistry;

    public IReadOnlyCollection<string> Registries => _byRegistry.Keys;

    public RegistryCredential? GetCredential(string registry) =>
        _byRegistry.TryGetValue(NormalizeKey(registry), out var credential) ? credential : null;

    /// <summary>Parses a docker config.json (or a <c>.dockerconfigjson</c> secret value).</summary>
    public static DockerConfigCredentials ParseConfigJson(ReadOnlySpan<byte> json) => Parse(json, legacy: false);

    /// <summary>Parses a legacy <c>.dockercfg</c> secret value (the auths map without the wrapper).</summary>
    public static DockerConfigCredentials ParseLegacyDockerCfg(ReadOnlySpan<byte> json) => Parse(json, legacy: true);

    /// <summary>Reads an image pull secret by its Kubernetes type and data (values already base64-decoded).</summary>
    public static DockerConfigCredentials FromPullSecret(string type, IReadOnlyDictionary<string, byte[]> data) => type switch
    {
        "kubernetes.io/dockerconfigjson" when data.TryGetValue(".dockerconfigjson", out var value) => ParseConfigJson(value),
        "kubernetes.io/dockercfg" when data.TryGetValue(".dockercfg", out var value) => ParseLegacyDockerCfg(value),
        _ => throw new FormatException($"secret of type '{type}' has no docker registry credentials (.dockerconfigjson or .dockercfg)"),
    };

    /// <summary>The first provider that knows the registry wins (pull secrets are tried in order, as the kubelet does).</summary>
    public static IRegistryCredentialProvider Combine(params IRegistryCredentialProvider[] providers) => new Composite(providers);

    private static DockerConfigCredentials Parse(ReadOnlySpan<byte> json, bool legacy)
    {
        if (json.Length > MaxConfigBytes) throw new FormatException($"registry credentials are larger than {MaxConfigBytes} bytes");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw new FormatException($"registry credentials are not valid JSON: {e.Message}", e);
        }
        using (document)
        {
            var auths = document.RootElement;
            if (!legacy)
            {
                if (auths.ValueKind != JsonValueKind.Object || !auths.TryGetProperty("auths", out auths))
                    return new DockerConfigCredentials([]);
            }
            if (auths.ValueKind != JsonValueKind.Object) throw new FormatException("registry credentials: 'auths' must be an object");

            var result = new Dictionary<string, RegistryCredential>(StringComparer.Ordinal);
            foreach (var entry in auths.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.Object) throw new FormatException($"registry credentials for '{entry.Name}' must be an object");
                var username = String(entry.Value, "username");
                var password = String(entry.Value, "password");
                if (String(entry.Value, "auth") is { Length: > 0 } auth)
                {
                    string decoded;
                    try
                    {
                        decoded = Encoding.UTF8.GetString(Convert.FromBase64String(auth));
                    }
                    catch (FormatException e)
                    {
                        throw new FormatException($"registry credentials for '{entry.Name}': 'auth' is not valid base64", e);
                    }
                    var colon = decoded.IndexOf(':', StringComparison.Ordinal);
                    if (colon < 0) throw new FormatException($"registry credentials for '{entry.Name}': 'auth' is not user:password");
                    username = decoded[..colon];
                    password = decoded[(colon + 1)..];
                }
                var identityToken = String(entry.Value, "identitytoken");
                if (username is null && password is null && identityToken is null) continue;
                result[NormalizeKey(entry.Name)] = new RegistryCredential(username, password, identityToken);
            }
            return new DockerConfigCredentials(result);
        }
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary><c>https://index.docker.io/v1/</c> → <c>docker.io</c>; <c>http://host:5000/v2/</c> → <c>host:5000</c>;
    /// <c>localhost:5000</c> → <c>127.0.0.1:5000</c>.</summary>
    internal static string NormalizeKey(string key)
    {
        var host = key.Trim();
        var scheme = host.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0) host = host[(scheme + 3)..];
        var slash = host.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0) host = host[..slash];
        // The same canonical form references have (aliases, default port, loopback spellings).
        return RegistryHost.Canonicalize(host) ?? host.ToLowerInvariant();
    }

    private sealed class Composite(IRegistryCredentialProvider[] providers) : IRegistryCredentialProvider
    {
        public RegistryCredential? GetCredential(string registry) =>
            providers.Select(p => p.GetCredential(registry)).FirstOrDefault(c => c is not null);
    }
}
