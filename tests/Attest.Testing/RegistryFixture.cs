using System.Diagnostics;

namespace Attest.Testing;

/// <summary>
/// A real OCI registry for the test run: Debian's <c>docker-registry</c> (CNCF Distribution) serving a temporary
/// directory on a free 127.0.0.1 port, stopped and deleted when the fixture is disposed (or by its watchdog when
/// the test host dies). Anonymous access here; <see cref="BasicAuthRegistryFixture"/> and
/// <see cref="TokenAuthRegistryFixture"/> add Distribution's htpasswd and bearer-token authentication.
/// </summary>
public class RegistryFixture : IAsyncLifetime
{
    private TempDirectory? _directory;
    private Process? _watchdog;

    /// <summary><c>127.0.0.1:PORT</c>, as image references spell it.</summary>
    public string Host { get; private set; } = "";

    public Uri BaseUri => new($"http://{Host}/");

    public HttpClient Client { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public string LogFile => _directory?.Combine("registry.log") ?? "";

    /// <summary>The registry's working directory (configuration, storage, log).</summary>
    protected string Directory => _directory?.Path ?? throw new InvalidOperationException("registry not started");

    /// <summary>Extra configuration under the top level (an <c>auth:</c> section); written before the registry starts.</summary>
    protected virtual Task<string> AuthConfigurationAsync() => Task.FromResult("");

    public async Task InitializeAsync()
    {
        var registry = Prerequisites.Executable("docker-registry", "docker-registry");
        _directory = new TempDirectory("attest-registry");
        var auth = await AuthConfigurationAsync().ConfigureAwait(false);
        Exception? last = null;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var port = RigProcess.FreeLoopbackPort();
            var config = _directory.Combine("config.yml");
            await File.WriteAllTextAsync(config, $"""
                version: 0.1
                log:
                  level: warn
                  accesslog:
                    disabled: true
                storage:
                  filesystem:
                    rootdirectory: {_directory.Combine("storage")}
                  delete:
                    enabled: true
                  cache:
                    blobdescriptor: inmemory
                http:
                  addr: 127.0.0.1:{port}
                  secret: attest-test-registry
                """ + "\n" + auth).ConfigureAwait(false);
            _watchdog = RigProcess.StartWatched($"exec '{registry}' serve '{config}'", LogFile);
            Host = $"127.0.0.1:{port}";
            try
            {
                await WaitUntilServingAsync().ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (e is TimeoutException or InvalidOperationException)
            {
                last = e;
                await RigProcess.StopWatchedAsync(_watchdog).ConfigureAwait(false);
            }
        }
        throw new InvalidOperationException($"docker-registry did not start: {last?.Message}");
    }

    private async Task WaitUntilServingAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (_watchdog!.HasExited)
                throw new InvalidOperationException($"docker-registry exited: {RigProcess.ReadLogTail(LogFile)}");
            try
            {
                using var response = await Client.GetAsync(new Uri(BaseUri, "v2/")).ConfigureAwait(false);
                // Distribution answers /v2/ with this header (200, or 401 with auth); anything else is not our registry.
                if (response.StatusCode is System.Net.HttpStatusCode.OK or System.Net.HttpStatusCode.Unauthorized &&
                    response.Headers.Contains("Docker-Distribution-Api-Version")) return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100).ConfigureAwait(false);
        }
        throw new TimeoutException($"docker-registry did not answer on {Host}: {RigProcess.ReadLogTail(LogFile)}");
    }

    public virtual async Task DisposeAsync()
    {
        Client.Dispose();
        if (_watchdog is not null) await RigProcess.StopWatchedAsync(_watchdog).ConfigureAwait(false);
        _watchdog?.Dispose();
        _directory?.Dispose();
    }
}
