using System.Net;
using Attest.Testing;

namespace Attest.Oci.Tests;

/// <summary>
/// A deliberately misbehaving registry for the failures a real one cannot be made to produce: wrong digests, huge
/// or endless bodies, silence, transient errors, redirects elsewhere. Every request goes to the handler the test gives.
/// </summary>
internal sealed class HostileRegistry(Func<HttpListenerContext, Task> handler) : LoopbackHttpServer(handler)
{
    public RegistryClient Client(TimeSpan? attemptTimeout = null, int maxAttempts = 3) => new(new RegistryClientOptions
    {
        InsecureRegistries = new HashSet<string> { Host },
        AttemptTimeout = attemptTimeout ?? TimeSpan.FromSeconds(5),
        MaxAttempts = maxAttempts,
    });
}
