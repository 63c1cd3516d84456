using System.Net;
using Attest.Testing;

namespace Attest.Oci.Tests;

/// <summary>
/// A deliberately misbehaving registry for the failures a real one cannot be made to produce: wrong digests, huge
/// or endless bodies, silence, transient errors. It answers <c>/v2/</c> with 200 and everything else with the
/// handler the test gives.
/// </summary>
internal sealed class HostileRegistry : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<HttpListenerContext, Task> _handler;
    private readonly Task _serving;
    private readonly CancellationTokenSource _stop = new();

    public HostileRegistry(Func<HttpListenerContext, Task> handler)
    {
        _handler = handler;
        for (var attempt = 0; ; attempt++)
        {
            var port = RigProcess.FreeLoopbackPort();
            _listener.Prefixes.Clear();
            _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                _listener.Start();
                Host = $"127.0.0.1:{port}";
                break;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
            }
        }
        _serving = Task.Run(ServeAsync);
    }

    public string Host { get; } = "";

    public int Requests;

    public RegistryClient Client(TimeSpan? attemptTimeout = null, int maxAttempts = 3) => new(new RegistryClientOptions
    {
        InsecureRegistries = new HashSet<string> { Host },
        AttemptTimeout = attemptTimeout ?? TimeSpan.FromSeconds(5),
        MaxAttempts = maxAttempts,
    });

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().WaitAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
            {
                return;
            }
            Interlocked.Increment(ref Requests);
            _ = Task.Run(async () =>
            {
                try
                {
                    await _handler(context).ConfigureAwait(false);
                    context.Response.Close();
                }
                catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException or InvalidOperationException)
                {
                    // the client hung up, as it should when a body is too large
                }
            });
        }
    }

    public static async Task WriteAsync(HttpListenerContext context, byte[] body, string contentType, int status = 200, string? digestHeader = null)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        if (digestHeader is not null) context.Response.Headers["Docker-Content-Digest"] = digestHeader;
        context.Response.ContentLength64 = body.Length;
        await context.Response.OutputStream.WriteAsync(body).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Close();
        await _serving.ConfigureAwait(false);
        _stop.Dispose();
    }
}
