using Attest.Policy;

namespace Attest.Fuzz.Targets;

/// <summary>
/// A policy file as the server loads its policy directory and the CLI loads <c>--policy FILE</c>:
/// <see cref="PolicyDirectoryLoader.LoadFile"/> on the input written as <c>policy.yaml</c> into a scratch directory
/// that also holds a public key (<c>cosign.pub</c>) and a trusted root (<c>trusted_root.json</c>) for the policy to name.
/// Problems come back as errors with file:line:column; <see cref="PolicyDirectoryException"/> is the documented
/// refusal of an unreadable directory.
/// </summary>
internal static class PolicyTarget
{
    private static readonly string Directory = Prepare();
    private static readonly string File = Path.Combine(Directory, "policy.yaml");

    public static void Run(byte[] input)
    {
        System.IO.File.WriteAllBytes(File, input);
        try
        {
            PolicyDirectoryLoader.LoadFile(File);
        }
        catch (PolicyDirectoryException)
        {
        }
    }

    private static string Prepare()
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("attest-fuzz-policy-").FullName;
        System.IO.File.WriteAllBytes(Path.Combine(directory, "cosign.pub"), Fixtures.Bytes("managed-key.pub"));
        System.IO.File.WriteAllBytes(Path.Combine(directory, "trusted_root.json"), Fixtures.Bytes("rekor2-trusted_root.json"));
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                System.IO.Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        };
        return directory;
    }
}
