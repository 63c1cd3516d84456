using System.Diagnostics;
using Attest.Testing;

namespace Attest.Fuzz.Tests;

/// <summary>
/// Every seed (<c>tests/fuzz/corpus/TARGET</c>) and every input a campaign found a bug with
/// (<c>tests/fuzz/regressions/TARGET</c>) through its target's plain harness: no unexpected exception, and no input
/// taking longer than a hang would. A regression input fails here until its parser is fixed.
/// </summary>
public sealed class HarnessReplayTests
{
    private static readonly string FuzzDirectory = Path.Combine(RepositoryPaths.Root, "tests", "fuzz");

    /// <summary>Far above what any seed takes on a loaded 2-core machine; afl-fuzz's hang timeout is 5 s.</summary>
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(30);

    public static TheoryData<string, string> Inputs()
    {
        var data = new TheoryData<string, string>();
        foreach (var kind in new[] { "corpus", "regressions" })
        {
            var root = Path.Combine(FuzzDirectory, kind);
            if (!Directory.Exists(root)) continue;
            foreach (var directory in Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal))
                foreach (var file in Directory.EnumerateFiles(directory).Order(StringComparer.Ordinal))
                    data.Add(Path.GetFileName(directory), Path.GetRelativePath(FuzzDirectory, file));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public async Task Input_runs_through_its_target_without_a_finding(string target, string input)
    {
        Assert.True(FuzzTargets.TryGet(target, out var harness), $"{input} is in a folder that names no target");
        var bytes = await File.ReadAllBytesAsync(Path.Combine(FuzzDirectory, input));
        var clock = Stopwatch.StartNew();
        var run = Task.Run(() => harness.Run(bytes));
        var finished = await Task.WhenAny(run, Task.Delay(HangLimit));
        Assert.True(finished == run, $"{target} did not finish {input} within {HangLimit.TotalSeconds} s (a hang)");
        await run; // rethrows the finding, if any
        Assert.True(clock.Elapsed < HangLimit);
    }

    [Fact]
    public void Every_target_has_seeds_and_every_corpus_folder_names_a_target()
    {
        var corpus = Path.Combine(FuzzDirectory, "corpus");
        foreach (var target in FuzzTargets.Names)
            Assert.True(Directory.Exists(Path.Combine(corpus, target)) && Directory.EnumerateFiles(Path.Combine(corpus, target)).Any(), $"target {target} has no seeds");
        foreach (var kind in new[] { "corpus", "regressions" })
            foreach (var directory in Directory.EnumerateDirectories(Path.Combine(FuzzDirectory, kind)))
                Assert.Contains(Path.GetFileName(directory), FuzzTargets.Names);
    }

    [Fact]
    public void Corpora_stay_small()
    {
        // Seeds and minimized inputs only: afl-fuzz works best on small seeds, and the repository is no corpus store.
        foreach (var directory in Directory.EnumerateDirectories(Path.Combine(FuzzDirectory, "corpus")))
        {
            var bytes = Directory.EnumerateFiles(directory).Sum(f => new FileInfo(f).Length);
            Assert.True(bytes <= 300 * 1024, $"{directory} holds {bytes} bytes");
        }
    }
}
