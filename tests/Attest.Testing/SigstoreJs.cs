namespace Attest.Testing;

/// <summary>sigstore-js (@sigstore/verify, pinned in tests/tools/sigstore-js, installed by test.sh) as an independent
/// verifier: a peer's verdict on bundles Attest produced.</summary>
public static class SigstoreJs
{
    public static async Task<(int ExitCode, string Output)> VerifyAsync(string bundle, string trustedRoot, string publicKey, string artifact)
    {
        var tool = Path.Combine(RepositoryPaths.Root, "tests", "tools", "sigstore-js");
        if (!Directory.Exists(Path.Combine(tool, "node_modules", "@sigstore", "verify")))
            throw new RigPrerequisiteException($"sigstore-js is not installed in {tool}: run ./test.sh (npm ci there)");
        var node = Prerequisites.Executable("node", "nodejs");
        return await RigProcess.RunAsync(node, [Path.Combine(tool, "verify-with-key.cjs"), bundle, trustedRoot, publicKey, artifact], check: false);
    }
}
