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
}
