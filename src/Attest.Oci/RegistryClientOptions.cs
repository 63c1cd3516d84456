using System.Security.Cryptography.X509Certificates;

namespace Attest.Oci;

public sealed class RegistryClientOptions
{
    /// <summary>Registries reached over plain HTTP (host[:port] as in references). Everything else is HTTPS.</summary>
    public ISet<string> InsecureRegistries { get; init; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

    public IRegistryCredentialProvider? Credentials { get; init; }

    /// <summary>Extra CA certificates trusted for registry TLS (private registries), in addition to the system store.</summary>
    public X509Certificate2Collection? CaCertificates { get; init; }

    /// <summary>Attempts per call for transient failures (connection errors, 429, 502-504), bounded also by the
    /// caller's cancellation (the admission deadline).</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>Time allowed to one HTTP attempt before it counts as a transient timeout.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public string UserAgent { get; init; } = "attest/0.1";

    /// <summary>
    /// Registries Attest may contact (host[:port] as in references; <c>*.example.com</c> matches every subdomain). Empty:
    /// any registry. Checked before every registry request, so neither a workload nor an API client can make the
    /// service reach a host outside the list (token services and blob redirects are where the registry sends it).
    /// </summary>
    public IReadOnlyList<string> AllowedRegistries { get; init; } = [];

    /// <summary>Whether connections to link-local addresses (169.254.0.0/16, fe80::/10: cloud instance metadata) are
    /// allowed. Off by default: no registry lives there, and a hostile registry's token realm or redirect must not
    /// reach the node's credentials.</summary>
    public bool AllowLinkLocal { get; init; }

    /// <summary>Whether <paramref name="registry"/> (host[:port]) is one <see cref="AllowedRegistries"/> permits. Both sides
    /// are compared in canonical form (<see cref="RegistryHost"/>), so <c>localhost:5000</c> in the list allows
    /// <c>127.0.0.1:5000</c> and <c>docker.io</c> allows <c>registry-1.docker.io</c>.</summary>
    public bool IsAllowed(string registry)
    {
        if (AllowedRegistries.Count == 0) return true;
        var canonical = RegistryHost.Canonicalize(registry) ?? registry.ToLowerInvariant();
        foreach (var pattern in _allowed.Value)
        {
            if (pattern == canonical) return true;
            if (pattern.StartsWith("*.", StringComparison.Ordinal) && canonical.Length > pattern.Length - 1
                && canonical.EndsWith(pattern[1..], StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Whether <paramref name="registry"/> is reached over plain HTTP (<see cref="InsecureRegistries"/>, compared canonically).</summary>
    public bool IsInsecure(string registry) =>
        InsecureRegistries.Count > 0 && _insecure.Value.Contains(RegistryHost.Canonicalize(registry) ?? registry.ToLowerInvariant());

    private readonly Lazy<string[]> _allowed;
    private readonly Lazy<HashSet<string>> _insecure;

    public RegistryClientOptions()
    {
        _allowed = new(() => [.. AllowedRegistries.Select(p => p.StartsWith("*.", StringComparison.Ordinal) ? p.ToLowerInvariant() : RegistryHost.Canonicalize(p) ?? p.ToLowerInvariant())]);
        _insecure = new(() => new HashSet<string>(InsecureRegistries.Select(r => RegistryHost.Canonicalize(r) ?? r.ToLowerInvariant()), StringComparer.Ordinal));
    }
}
