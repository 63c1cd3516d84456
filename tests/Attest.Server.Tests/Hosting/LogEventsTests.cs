using System.Reflection;
using System.Text.RegularExpressions;
using Attest.Testing;

namespace Attest.Server.Tests.Hosting;

/// <summary>The server's log event ids live in one table (Hosting/LogEvents.cs): no message carries a literal id, and
/// no two names share one.</summary>
public sealed partial class LogEventsTests
{
    [Fact]
    public void Every_log_message_takes_its_event_id_from_the_one_table_and_ids_are_distinct()
    {
        var source = Path.Combine(RepositoryPaths.Root, "src", "Attest.Server");
        var literal = Directory.EnumerateFiles(source, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => LiteralEventId().Matches(File.ReadAllText(f)).Select(m => $"{Path.GetRelativePath(source, f)}: {m.Value}"))
            .ToList();
        Assert.True(literal.Count == 0, "log messages with a literal event id: " + string.Join("; ", literal));

        var table = typeof(Attest.Server.Program).Assembly.GetType("Attest.Server.Hosting.LogEvents")!
            .GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (f.Name, Id: (int)f.GetRawConstantValue()!)).ToList();
        Assert.NotEmpty(table);
        var shared = table.GroupBy(e => e.Id).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(e => e.Name))}").ToList();
        Assert.True(shared.Count == 0, "event ids used twice: " + string.Join("; ", shared));
    }

    [GeneratedRegex(@"EventId\s*=\s*\d+")]
    private static partial Regex LiteralEventId();
}
