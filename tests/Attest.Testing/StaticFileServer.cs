using System.Net;

namespace Attest.Testing;

/// <summary>A plain static file server on a free loopback port (System.Net.HttpListener): serves the files under a
/// directory by path, 404 for anything else, as any web server would serve an exported log.</summary>
public sealed class StaticFileServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly string _root;
    private readonly Task _serving;

    public StaticFileServer(string root)
    {
        _root = Path.GetFullPath(root);
        var port = RigProcess.FreeLoopbackPort();
        BaseUrl = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(BaseUrl.AbsoluteUri);
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    public Uri BaseUrl { get; }

    public int Requests => Volatile.Read(ref _requests);

    private int _requests;

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            Interlocked.Increment(ref _requests);
            using var response = context.Response;
            var relative = Uri.UnescapeDataString(context.Request.Url!.AbsolutePath.TrimStart('/'));
            var path = Path.GetFullPath(Path.Combine(_root, relative));
            if (!path.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal) || !File.Exists(path))
            {
                response.StatusCode = 404;
                continue;
            }
            var bytes = await File.ReadAllBytesAsync(path);
            response.ContentLength64 = bytes.Length;
            await response.OutputStream.WriteAsync(bytes);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Close alone: the managed HttpListener unbinds its endpoint on Stop, and Close after Stop looks the endpoint
        // up again, binding the port anew, which fails when another process has taken it meanwhile.
        _listener.Close();
        await _serving;
    }
}
