using System.Reflection;
using System.Text.RegularExpressions;

namespace Attest.Server.Tests.Hosting;

/// <summary>
/// Every regular expression compiled into Attest itself (generated-regex methods and static Regex fields, not the
/// patterns policy authors write) runs on the linear-time engine without a wall-clock limit: a limit is a race with the
/// scheduler, and under load a match of a short input timed out and turned into a 500. They also anchor at the very end
/// (<c>\z</c>; <c>$</c> accepts a trailing newline) and take ASCII digits only (<c>\d</c> takes any Unicode digit).
/// </summary>
public sealed class FixedPatternTests
{
    private static readonly string[] AttestAssemblies =
        ["Attest.Core", "Attest.Oci", "Attest.Policy", "Attest.Sbom", "Attest.Sigstore", "Attest.Notation", "Attest.Cel", "Attest.GoModules", "Attest.Ledger", "Attest.Server"];

    public static TheoryData<string> Patterns()
    {
        var data = new TheoryData<string>();
        foreach (var (name, _) in FixedPatterns()) data.Add(name);
        return data;
    }

    [Fact]
    public void The_scan_finds_the_patterns_of_every_kind()
    {
        var names = FixedPatterns().Select(p => p.Name).ToList();
        Assert.Contains(names, n => n.StartsWith("Attest.Sigstore.Bundles.Bundle.", StringComparison.Ordinal));
        Assert.Contains(names, n => n.StartsWith("Attest.Core.Json.JsonErrors.", StringComparison.Ordinal));
        Assert.True(names.Count >= 15, string.Join(", ", names));
    }

    [Theory]
    [MemberData(nameof(Patterns))]
    public void Runs_linear_time_without_a_timeout_anchored_at_the_end_on_ascii_digits(string name)
    {
        var regex = FixedPatterns().Single(p => p.Name == name).Regex;
        Assert.True(regex.Options.HasFlag(RegexOptions.NonBacktracking), $"{name}: {regex.Options}");
        Assert.Equal(Regex.InfiniteMatchTimeout, regex.MatchTimeout);
        var pattern = regex.ToString();
        Assert.DoesNotContain(@"\d", pattern, StringComparison.Ordinal);
        Assert.False(pattern.EndsWith('$') && !pattern.EndsWith(@"\$", StringComparison.Ordinal), $"{name} ends with $: {pattern}");
        Assert.DoesNotContain("$|", pattern, StringComparison.Ordinal);
    }

    private static IEnumerable<(string Name, Regex Regex)> FixedPatterns()
    {
        const BindingFlags flags = BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
        foreach (var assembly in AttestAssemblies.Select(Assembly.Load))
        foreach (var type in assembly.GetTypes().Where(t => !t.IsGenericTypeDefinition))
        {
            foreach (var method in type.GetMethods(flags).Where(m => m.GetCustomAttribute<GeneratedRegexAttribute>() is not null))
                yield return ($"{type.FullName}.{method.Name}", (Regex)method.Invoke(null, null)!);
            foreach (var field in type.GetFields(flags).Where(f => f.FieldType == typeof(Regex)))
                if (field.GetValue(null) is Regex regex) yield return ($"{type.FullName}.{field.Name}", regex);
        }
    }
}
