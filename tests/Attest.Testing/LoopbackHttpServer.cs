using System.Net;

namespace Attest.Testing;

/// <summary>
/// A plain HTTP server on a free loopback port whose every request goes to the handler the test gives (HttpListener):
/// the base of the hostile registries, proxies and bystander hosts tests need where a real component cannot be made
/// to misbehave. Counts requests; stops on dispose.
/// </summary>
public class LoopbackHttpServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<HttpListenerContext, Task> _handler;
    private readonly Task _serving;
    private readonly CancellationTokenSource _stop = new();
    private int _requests;

    public LoopbackHttpServer(Func<HttpListenerContext, Task> handler)
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

    /// <summary><c>127.0.0.1:port</c>.</summary>
    public string Host { get; } = "";

    /// <summary>Requests received so far.</summary>
    public int Requests => Volatile.Read(ref _requests);

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
            Interlocked.Increment(ref _requests);
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
        GC.SuppressFinalize(this);
    }
}
