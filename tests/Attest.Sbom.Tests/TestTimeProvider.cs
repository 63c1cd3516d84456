namespace Attest.Sbom.Tests;

/// <summary>A clock fixed at a given instant.</summary>
internal sealed class TestTimeProvider(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
