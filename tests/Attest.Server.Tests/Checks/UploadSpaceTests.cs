using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Attest.Server.Tests.Hosting;
using Attest.Testing;

namespace Attest.Server.Tests.Checks;

/// <summary>
/// Uploads in flight share one bounded scratch space (Attest:Checks:UploadSpaceBytes): a request that would pass it is
/// answered 503 with Retry-After while another upload holds the space, and the space comes back when that one ends.
/// </summary>
public sealed class UploadSpaceTests
{
    private const int Space = 256 * 1024;

    [Fact]
    public async Task An_upload_past_the_shared_space_waits_its_turn_with_503_and_Retry_After()
    {
        using var workspace = new ServerWorkspace();
        await using var server = await workspace.Start($"--Attest:Checks:UploadSpaceBytes={Space}").WaitUntilListeningAsync();
        var token = await server.TokenForScopesAsync(workspace.DataDirectory, "sign");

        // A slow client: 200 KiB of its SBOM sent, the rest held back until the test lets it go. A second upload of
        // 100 KiB does not fit beside it. The two race for the space until the slow one's bytes are in (then the second
        // is refused); should the second win a round, the slow one is refused instead and simply starts again.
        var release = new TaskCompletionSource();
        var holding = HeldBackUploadAsync(server.BaseUri, token, new byte[200 * 1024], release.Task);
        HttpStatusCode status;
        string? retryAfter;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        try
        {
            do
            {
                if (holding.IsCompleted)
                {
                    // Refused for space before its body was complete: the server answered 503 and reset the connection.
                    holding = HeldBackUploadAsync(server.BaseUri, token, new byte[200 * 1024], release.Task);
                    await Task.Delay(50);
                }
                (status, retryAfter, _) = await PostAsync(server, token, SbomForm(new byte[100 * 1024]));
            }
            while (status != HttpStatusCode.ServiceUnavailable && DateTime.UtcNow < deadline);
        }
        finally
        {
            release.SetResult();
        }
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("5", retryAfter);
        var (heldStatus, _, heldBody) = await holding;
        Assert.Equal(HttpStatusCode.BadRequest, heldStatus); // zeros are no SBOM: judged, not refused for space
        Assert.Contains("sbom", heldBody, StringComparison.OrdinalIgnoreCase);

        // Its space is released with its scratch directory: the same second upload now gets its answer.
        var (after, _, _) = await PostAsync(server, token, SbomForm(new byte[100 * 1024]));
        Assert.Equal(HttpStatusCode.BadRequest, after);
    }

    [Fact]
    public async Task An_upload_space_below_the_minimum_stops_startup()
    {
        using var workspace = new ServerWorkspace();
        await using var server = workspace.Start("--Attest:Checks:UploadSpaceBytes=1000");
        Assert.NotEqual(0, await server.WaitForExitAsync());
        Assert.Contains("Attest:Checks:UploadSpaceBytes must be at least 65536", server.StandardError, StringComparison.Ordinal);
    }

    private static MultipartFormDataContent SbomForm(byte[] sbom) => new MultipartFormDataContent()
        .AddFile("sbom", sbom, "sbom.json")
        .Add("subjectDigest", "sha256:" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)));

    private static Task<(HttpStatusCode Status, string? RetryAfter, string Body)> PostAsync(ServerProcess server, string token, HttpContent content) =>
        PostAsync(server.Client, server.BaseUri, token, content);

    private static async Task<(HttpStatusCode Status, string? RetryAfter, string Body)> PostAsync(HttpClient client, Uri baseUri, string token, HttpContent content)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseUri, "v1/sbom/evaluate")) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.SendAsync(request);
        var retryAfter = response.Headers.TryGetValues("Retry-After", out var values) ? values.Single() : null;
        return (response.StatusCode, retryAfter, await response.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// A slow client on a raw connection: the request announces its full Content-Length, sends the SBOM part up to
    /// <paramref name="sbomHead"/> at once, and sends the rest only when released.
    /// </summary>
    private static async Task<(HttpStatusCode Status, string? RetryAfter, string Body)> HeldBackUploadAsync(Uri baseUri, string token, byte[] sbomHead, Task release)
    {
        const string Boundary = "attest-held-back";
        var digest = "sha256:" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var head = Encoding.ASCII.GetBytes(
            $"--{Boundary}\r\nContent-Disposition: form-data; name=\"subjectDigest\"\r\n\r\n{digest}\r\n" +
            $"--{Boundary}\r\nContent-Disposition: form-data; name=\"sbom\"; filename=\"sbom.json\"\r\nContent-Type: application/json\r\n\r\n");
        var tail = Encoding.ASCII.GetBytes($"\r\n--{Boundary}--\r\n");
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(baseUri.Host, baseUri.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"POST /v1/sbom/evaluate HTTP/1.1\r\nHost: {baseUri.Authority}\r\nAuthorization: Bearer {token}\r\n" +
            $"Content-Type: multipart/form-data; boundary={Boundary}\r\nContent-Length: {head.Length + sbomHead.Length + tail.Length}\r\nConnection: close\r\n\r\n"));
        await stream.WriteAsync(head);
        await stream.WriteAsync(sbomHead);
        // The server may answer before the body is complete (503): read the answer meanwhile.
        var answer = new StreamReader(stream, Encoding.UTF8).ReadToEndAsync();
        if (await Task.WhenAny(release, answer) == release) await stream.WriteAsync(tail);
        string response;
        try
        {
            response = await answer;
        }
        catch (IOException)
        {
            return (0, null, "connection reset");
        }
        var status = (HttpStatusCode)int.Parse(response.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var retryAfter = response.Split("\r\n").FirstOrDefault(l => l.StartsWith("Retry-After:", StringComparison.OrdinalIgnoreCase))?["Retry-After:".Length..].Trim();
        return (status, retryAfter, response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]);
    }
}
