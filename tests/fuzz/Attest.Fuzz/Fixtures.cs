using System.Reflection;

namespace Attest.Fuzz;

/// <summary>Trust material and templates the harnesses need, embedded from tests/vectors (see the project file), so
/// that an instrumented copy of the harness runs from any directory.</summary>
internal static class Fixtures
{
    public static byte[] Bytes(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Attest.Fuzz.Fixtures." + name)
            ?? throw new InvalidOperationException($"fixture {name} is not embedded");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    public static string Text(string name) => System.Text.Encoding.UTF8.GetString(Bytes(name));
}

/// <summary>A fixed clock: the same input gets the same verdict on every run.</summary>
internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
