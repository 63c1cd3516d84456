using Attest.Testing;

namespace Attest.Cli.Tests;

public sealed class RootCommandTests
{
    [Fact]
    public async Task Help_describes_attest_and_lists_its_verbs()
    {
        var result = await CliRunner.RunAsync(RepositoryPaths.Root, "--help");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("attest", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Usage:", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("policy", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("--version", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Version_prints_the_assembly_version()
    {
        var result = await CliRunner.RunAsync(RepositoryPaths.Root, "--version");
        Assert.Equal(0, result.ExitCode);
        var expected = typeof(Attest.Cli.AttestCommand).Assembly.GetName().Version!.ToString(3);
        Assert.StartsWith(expected, result.StandardOutput.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_verb_fails_with_a_message_on_stderr()
    {
        var result = await CliRunner.RunAsync(RepositoryPaths.Root, "frobnicate");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("frobnicate", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Policy_lint_accepts_the_example_policies()
    {
        var result = await CliRunner.RunAsync(RepositoryPaths.Root, "policy", "lint", RepositoryPaths.Policies);
        Assert.Equal(0, result.ExitCode);
        Assert.Matches(@"^\d+ policy documents? valid \(revision sha256:[0-9a-f]{64}\)", result.StandardOutput.Trim());
    }

    [Fact]
    public async Task Policy_lint_lists_every_error_with_file_and_line_and_exits_1()
    {
        using var directory = new TempDirectory();
        await File.WriteAllTextAsync(directory.Combine("a.yaml"), "apiVersion: attest.dev/v2\nkind: ImagePolicy\nmetadata: {name: a}\nspec: {}\n");
        await File.WriteAllTextAsync(directory.Combine("b.yaml"), "apiVersion: attest.dev/v1\nkind: Nonsense\nmetadata: {name: b}\nspec: {}\n");
        var result = await CliRunner.RunAsync(directory.Path, "policy", "lint", directory.Path);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("a.yaml:1:13: unsupported apiVersion 'attest.dev/v2'", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("b.yaml:2:7: unknown kind 'Nonsense'", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Policy_lint_of_a_missing_directory_exits_2_with_one_line()
    {
        using var directory = new TempDirectory();
        var result = await CliRunner.RunAsync(directory.Path, "policy", "lint", directory.Combine("nope"));
        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("does not exist", result.StandardError, StringComparison.Ordinal);
    }
}
