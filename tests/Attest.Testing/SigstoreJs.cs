namespace Attest.Testing;

/// <summary>sigstore-js (@sigstore/verify and the sigstore signer, pinned in tests/tools/sigstore-js, installed by test.sh):
/// an independent verifier of bundles Attest produced, and a real Sigstore client signing through Attest.</summary>
public static class SigstoreJs
{
    public static Task<(int ExitCode, string Output)> VerifyAsync(string bundle, string trustedRoot, string publicKey, string artifact) =>
        RunAsync("verify-with-key.cjs", [bundle, trustedRoot, publicKey, artifact]);

    /// <summary>Verifies a keyless bundle for an identity and issuer, requiring a log entry, an SCT and a TSA timestamp.</summary>
    public static Task<(int ExitCode, string Output)> VerifyKeylessAsync(string bundle, string trustedRoot, string identity, string issuer, string artifact) =>
        RunAsync("verify-keyless.cjs", [bundle, trustedRoot, identity, issuer, artifact]);

    /// <summary>Signs <paramref name="artifact"/> with the <c>sigstore</c> package against Attest as Fulcio, Rekor and TSA
    /// (<paramref name="dsse"/>: the artifact is an in-toto statement, signed as a DSSE envelope; <paramref name="rekorV2"/>:
    /// logged through Rekor v2's API).</summary>
    public static async Task<(int ExitCode, string Output)> SignAsync(Uri attest, string identityTokenFile, string artifact, string output, bool dsse = false, bool legacy = false,
        bool rekorV2 = false)
    {
        var arguments = new List<string> { attest.ToString().TrimEnd('/'), identityTokenFile, artifact, output };
        if (dsse) arguments.Add("dsse");
        var environment = new Dictionary<string, string>();
        if (legacy) environment["LEGACY"] = "1";
        if (rekorV2) environment["REKOR_V2"] = "1";
        return await RunAsync("sign.cjs", [.. arguments], environment);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string script, string[] arguments, IDictionary<string, string>? environment = null)
    {
        var tool = Path.Combine(RepositoryPaths.Root, "tests", "tools", "sigstore-js");
        if (!Directory.Exists(Path.Combine(tool, "node_modules", "@sigstore", "verify")) || !Directory.Exists(Path.Combine(tool, "node_modules", "sigstore")))
            throw new RigPrerequisiteException($"sigstore-js is not installed in {tool}: run ./test.sh (npm ci there)");
        var node = Prerequisites.Executable("node", "nodejs");
        return await RigProcess.RunAsync(node, [Path.Combine(tool, script), .. arguments], check: false, environment: environment);
    }
}
