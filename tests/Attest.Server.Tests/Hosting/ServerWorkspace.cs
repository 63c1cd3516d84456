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

    /// <summary>Starts the server as the API server reaches a webhook: HTTPS with a certificate made for 127.0.0.1,
    /// which the returned server's client trusts (and nothing else).</summary>
    public async Task<ServerProcess> StartWebhookAsync(params string[] arguments)
    {
        var (certificate, certificateFile, keyFile) = TestCertificates.CreateLoopbackTls(Path);
        var server = await Start([
                "--urls", "https://127.0.0.1:0",
                $"--Kestrel:Certificates:Default:Path={certificateFile}",
                $"--Kestrel:Certificates:Default:KeyPath={keyFile}",
                .. arguments])
            .WaitUntilListeningAsync();
        return server.TrustCertificate(certificate);
    }

    public void Dispose() => _directory.Dispose();
}
