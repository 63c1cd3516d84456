using System.Diagnostics;
using Attest.Testing;

namespace Attest.GoModules.Tests;

/// <summary>Every walk over a module tree reads regular files only: a named pipe, a device behind a symbolic link and
/// a link out of the tree are skipped or reported, never opened, so the walk ends quickly with the hash of the
/// regular files alone; a local replacement the verifier is told not to follow is reported without being read.</summary>
public sealed class IrregularFilesTests
{
    private static readonly ModuleVersion X = new("example.com/x", "v1.0.0");

    [Fact]
    public async Task Module_tree_walks_skip_pipes_devices_and_links_without_opening_them()
    {
        using var clean = Tree("attest-clean-tree");
        using var hostile = Tree("attest-hostile-tree");
        MakeFifo(Path.Combine(hostile.Path, "pipe.go"));
        File.CreateSymbolicLink(Path.Combine(hostile.Path, "zero.go"), "/dev/zero");
        File.CreateSymbolicLink(Path.Combine(hostile.Path, "passwd.go"), "/etc/passwd");

        var expected = ModuleFiles.HashAsZip(clean.Path, X).Hash;
        Assert.NotNull(expected);
        var asZip = await Task.Run(() => ModuleFiles.HashAsZip(hostile.Path, X)).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(expected, asZip.Hash);

        var cleanDirectory = ModuleDirectory.Hash(clean.Path, X);
        var directory = await Task.Run(() => ModuleDirectory.Hash(hostile.Path, X)).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(cleanDirectory.Hash, directory.Hash);
        Assert.Equal(3, directory.Findings.Count(f => f.Code == GoSumCodes.DirIrregularFile));
        Assert.Contains(directory.Findings, f => f.Message.Contains("named pipe", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Local_replacement_not_followed_is_reported_without_reading_it()
    {
        using var main = new TempDirectory("attest-main");
        using var target = Tree("attest-replace");
        MakeFifo(Path.Combine(target.Path, "pipe.go"));
        File.WriteAllText(Path.Combine(main.Path, "go.mod"), $"module example.com/app\n\ngo 1.17\n\nreplace example.com/x => {target.Path}\n");
        var verifier = new GoSumVerifier(new GoSumVerifierOptions { FollowLocalReplacements = false }, new GoSumPolicy { AllowLocalReplace = true });
        var report = await Task.Run(() => verifier.Verify(main.Path)).WaitAsync(TimeSpan.FromSeconds(20));
        var finding = Assert.Single(report.Findings, f => f.Code == GoSumCodes.ReplaceLocal);
        Assert.Contains("was not read", finding.Message, StringComparison.Ordinal);
        Assert.False(finding.Evidence!.ContainsKey("dirHash") && finding.Evidence["dirHash"].Length > 0);

        // Followed (a developer's own checkout), the pipe is skipped and the regular files are hashed.
        var followed = await Task.Run(() => new GoSumVerifier(new GoSumVerifierOptions(), new GoSumPolicy { AllowLocalReplace = true }).Verify(main.Path))
            .WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Contains("directory h1 now h1:", Assert.Single(followed.Findings, f => f.Code == GoSumCodes.ReplaceLocal).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cancelled_walk_stops()
    {
        using var tree = Tree("attest-cancelled");
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => ModuleDirectory.Hash(tree.Path, X, cancellationToken: cancelled.Token));
        Assert.ThrowsAny<OperationCanceledException>(() => ModuleFiles.HashAsZip(tree.Path, X, cancellationToken: cancelled.Token));
    }

    private static TempDirectory Tree(string name)
    {
        var directory = new TempDirectory(name);
        File.WriteAllText(Path.Combine(directory.Path, "go.mod"), "module example.com/x\n");
        File.WriteAllText(Path.Combine(directory.Path, "x.go"), "package x\n");
        return directory;
    }

    private static void MakeFifo(string path)
    {
        using var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })!;
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
    }
}
