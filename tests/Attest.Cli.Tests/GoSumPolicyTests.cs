using Attest.Testing;

namespace Attest.Cli.Tests;

/// <summary><c>attest gosum verify --policy</c> applies the GoSumPolicy documents of a policy file.</summary>
public sealed class GoSumPolicyTests
{
    private static TempDirectory ModuleWithLocalReplace()
    {
        var directory = new TempDirectory();
        Directory.CreateDirectory(directory.Combine("app", "lib"));
        Directory.CreateDirectory(directory.Combine("cache"));
        File.WriteAllText(directory.Combine("app", "go.mod"), "module example.com/app\n\ngo 1.21\n\nrequire example.com/lib v0.0.0\n\nreplace example.com/lib => ./lib\n");
        File.WriteAllText(directory.Combine("app", "go.sum"), "");
        File.WriteAllText(directory.Combine("app", "lib", "go.mod"), "module example.com/lib\n\ngo 1.21\n");
        File.WriteAllText(directory.Combine("app", "lib", "lib.go"), "package lib\n");
        return directory;
    }

    private static Task<CliRunner.Result> VerifyAsync(TempDirectory module, string policy)
    {
        File.WriteAllText(module.Combine("policy.yaml"), "apiVersion: attest.dev/v1\nkind: GoSumPolicy\nmetadata: {name: p}\nspec: " + policy + "\n");
        return CliRunner.RunAsync(module.Path, "gosum", "verify", module.Combine("app"), "--modcache", module.Combine("cache"), "--policy", module.Combine("policy.yaml"));
    }

    [Fact]
    public async Task Policy_that_forbids_local_replacements_fails_the_module()
    {
        using var module = ModuleWithLocalReplace();
        var result = await VerifyAsync(module, "{allowLocalReplace: false}");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("gosum.policy.local-replace", result.StandardOutput + result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Policy_that_allows_local_replacements_passes_the_module()
    {
        using var module = ModuleWithLocalReplace();
        var result = await VerifyAsync(module, "{allowLocalReplace: true}");
        Assert.Equal(0, result.ExitCode);
        Assert.DoesNotContain("gosum.policy", result.StandardOutput + result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_policy_exits_2_with_every_error_located()
    {
        using var module = ModuleWithLocalReplace();
        var result = await VerifyAsync(module, "{deniedModules: [\"@@\"], alowLocalReplace: true}");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("policy.yaml:4:", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("unknown field 'alowLocalReplace'", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("deniedModules", result.StandardError, StringComparison.Ordinal);
    }
}
