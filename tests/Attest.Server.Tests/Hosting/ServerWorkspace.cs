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
    public Task<ServerProcess> StartWebhookAsync(params string[] arguments) => StartWebhookAsync(null, arguments);

    /// <summary><see cref="StartWebhookAsync(string[])"/> with environment variables (secrets such as a PostgreSQL
    /// connection string go there, never on the command line).</summary>
    public async Task<ServerProcess> StartWebhookAsync(IDictionary<string, string>? environment, params string[] arguments)
    {
        var server = await StartWebhook(environment, arguments).WaitUntilListeningAsync();
        return server.TrustCertificate(_certificate!);
    }

    /// <summary>Starts the webhook without waiting (for starts that are expected to fail).</summary>
    public ServerProcess StartWebhook(IDictionary<string, string>? environment, params string[] arguments)
    {
        if (_certificate is null) (_certificate, _certificateFile, _keyFile) = TestCertificates.CreateLoopbackTls(Path);
        return ServerProcess.Start(Path, [
                "--urls", "https://127.0.0.1:0",
                $"--Kestrel:Certificates:Default:Path={_certificateFile}",
                $"--Kestrel:Certificates:Default:KeyPath={_keyFile}",
                .. arguments], environment);
    }

    /// <summary>The PEM certificate of a webhook started here (what a client passes as <c>--ca-file</c>).</summary>
    public string CertificateFile => _certificateFile ?? throw new InvalidOperationException("no webhook was started");

    private System.Security.Cryptography.X509Certificates.X509Certificate2? _certificate;
    private string? _certificateFile;
    private string? _keyFile;

    public void Dispose() => _directory.Dispose();
}
