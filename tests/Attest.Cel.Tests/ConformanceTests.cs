using Attest.Testing;
using Xunit.Abstractions;

namespace Attest.Cel.Tests;

/// <summary>
/// cel-spec's own conformance files (tests/vectors/cel-spec) run against Attest's CEL subset. Tests that need what the
/// subset leaves out (protocol buffer messages and enums, containers, optional syntax, unknowns, checked result types)
/// are counted as outside it, by what the test declares, never by whether it passes. Every other test must pass, except
/// those listed in <see cref="KnownDivergences"/> with the reason, and each of those must still fail (so the list
/// cannot hide a fixed or a new failure).
/// </summary>
public sealed class ConformanceTests(ITestOutputHelper output)
{
    public static readonly string[] Files =
        ["basic", "comparisons", "conversions", "integer_math", "fp_math", "lists", "logic", "macros", "macros2", "string", "parse", "plumbing", "timestamps", "fields", "dynamic", "namespace"];

    /// <summary>Tests inside the subset that Attest answers differently, and why.</summary>
    private static readonly Dictionary<string, string> KnownDivergences = new(StringComparer.Ordinal)
    {
        // Timestamps and durations are .NET ticks (100 ns); CEL's are nanoseconds. A policy never needs the last two digits.
        ["timestamps//toString_timestamp_nanos"] = "100 ns precision: the last two of nine fractional digits are dropped",
        ["timestamps//add_time_to_duration_nanos_negative"] = "100 ns precision",
        ["timestamps//add_time_to_duration_nanos_positive"] = "100 ns precision",
        ["timestamps//add_duration_nanos_over"] = "100 ns precision: a 1 ns step past the maximum rounds to no step",
        ["timestamps//add_duration_nanos_under"] = "100 ns precision: a 1 ns step before the minimum rounds to no step",
    };

    [Fact]
    public void Conformance_counts_over_all_files()
    {
        int total = 0, inSubset = 0, passed = 0;
        foreach (var file in Files)
        {
            var cases = ConformanceCase.Load(file, File.ReadAllText(RepositoryPaths.Vectors("cel-spec", file + ".textproto"))).ToList();
            total += cases.Count;
            foreach (var test in cases.Where(c => c.OutsideSubset is null))
            {
                inSubset++;
                if (Run(test) is null) passed++;
            }
        }
        output.WriteLine($"cel-spec conformance: {total} tests in {Files.Length} files, {inSubset} in Attest's subset, {passed} pass, {KnownDivergences.Count} known divergences");
        Assert.Equal(inSubset - KnownDivergences.Count, passed);
        Assert.True(inSubset > 1000, $"only {inSubset} tests are in the subset");
    }

    public static TheoryData<string> FileNames => new(Files);

    [Theory]
    [MemberData(nameof(FileNames))]
    public void Conformance_file_passes_within_the_subset(string file)
    {
        var cases = ConformanceCase.Load(file, File.ReadAllText(RepositoryPaths.Vectors("cel-spec", file + ".textproto"))).ToList();
        var inSubset = cases.Where(c => c.OutsideSubset is null).ToList();
        var failures = new List<string>();
        foreach (var test in inSubset)
        {
            var problem = Run(test);
            var known = KnownDivergences.ContainsKey(test.Id);
            if (problem is not null && !known) failures.Add($"{test}: {problem}");
            if (problem is null && known) failures.Add($"{test}: listed as a known divergence but passes; remove it from the list");
        }
        var outside = cases.Where(c => c.OutsideSubset is not null).GroupBy(c => c.OutsideSubset!.Split(" (")[0]).Select(g => $"{g.Count()} {g.Key}");
        output.WriteLine($"cel-spec {file}: {cases.Count} tests, {inSubset.Count} in the subset, {inSubset.Count - failures.Count - inSubset.Count(c => KnownDivergences.ContainsKey(c.Id))} pass; outside: {string.Join("; ", outside)}");
        Assert.True(failures.Count == 0, $"{failures.Count} of {inSubset.Count} failed:\n" + string.Join("\n", failures));
    }

    /// <summary>Null when the test passes, else what went wrong.</summary>
    internal static string? Run(ConformanceCase test)
    {
        var environment = new CelEnvironment(test.Declarations);
        var program = environment.Compile(test.Expression, out var issues, check: !test.DisableCheck);
        if (program is null)
            return test.ExpectError ? null : $"did not compile: {string.Join("; ", issues)}";
        var result = program.Evaluate(test.Bindings);
        if (test.ExpectError)
            return result.Error is not null ? null : $"expected an error, got {Describe(result.Value)}";
        if (result.Error is not null) return $"expected {Describe(test.ExpectedValue)}, got error: {result.Error}";
        return SameValue(test.ExpectedValue!, result.Value!) ? null : $"expected {Describe(test.ExpectedValue)}, got {Describe(result.Value)}";
    }

    /// <summary>Equal and of the same type (CEL's own equality would say 1 == 1.0).</summary>
    private static bool SameValue(object expected, object actual)
    {
        if (expected is double e && actual is double a && double.IsNaN(e)) return double.IsNaN(a);
        if (expected.GetType() != actual.GetType() && !(expected is CelList && actual is CelList) && !(expected is CelMap && actual is CelMap)) return false;
        switch (expected)
        {
            case CelList el:
            {
                var al = (CelList)actual;
                return el.Count == al.Count && Enumerable.Range(0, el.Count).All(i => SameValue(el[i], al[i]));
            }
            case CelMap em:
            {
                var am = (CelMap)actual;
                return em.Count == am.Count && em.Keys.All(k => am.TryGetValue(k, out var v) && em.TryGetValue(k, out var w) && SameValue(w, v));
            }
            default:
                return CelEquality.AreEqual(expected, actual);
        }
    }

    private static string Describe(object? value) => value switch
    {
        null => "nothing",
        CelList l => "[" + string.Join(", ", l.Items().Select(Describe)) + "]",
        CelMap m => "{" + string.Join(", ", m.Keys.Select(k => $"{Describe(k)}: {(m.TryGetValue(k, out var v) ? Describe(v) : "?")}")) + "}",
        _ => $"{CelFormat.Describe(value)} ({CelFormat.TypeName(value)})",
    };
}
