using Attest.Testing;

namespace Attest.Server.Tests.Hosting;

/// <summary>A fresh working directory holding a copy of the repository's example policies, as a new checkout has.</summary>
internal sealed class ServerWorkspace : IDisposable
{
    private readonly TempDirectory _directory = new("attest-server");

    public ServerWorkspace(bool withPolicies = true)
    {
        if (!withPolicies) return;
        Directory.CreateDirectory(PolicyDirectory);
        foreach (var file in Directory.GetFiles(RepositoryPaths.Policies, "*.yaml"))
            File.Copy(file, System.IO.Path.Combine(PolicyDirectory, System.IO.Path.GetFileName(file)));
    }

    public string Path => _directory.Path;

    public string PolicyDirectory => _directory.Combine("policies");

    public string DataDirectory => _directory.Combine("data");

    public string Combine(params string[] parts) => _directory.Combine(parts);

    public ServerProcess Start(params string[] arguments) => ServerProcess.Start(Path, arguments);

    public void Dispose() => _directory.Dispose();
}
