using System.Net;
using System.Net.Http.Headers;
using Attest.Oci;

namespace Attest.Fuzz.Targets;

/// <summary>An in-process registry answering <see cref="RegistryClient"/> from a function: the client's whole
/// transport path (status handling, bounded reads, digest checks, auth challenges) runs, and no socket is opened.</summary>
internal sealed class FakeRegistry(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
{
    public const string Host = "registry.fuzz.test";

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        Task.FromResult(answer(request));

    public static HttpResponseMessage Content(byte[] body, string? mediaType)
    {
        var content = new ByteArrayContent(body);
        if (mediaType is not null) content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        return new HttpResponseMessage(HttpStatusCode.OK) { Content = content };
    }

    /// <summary>Runs a client call; <see cref="RegistryException"/> is the client's documented refusal.</summary>
    public static void Expect(Func<Task> call)
    {
        try
        {
            call().GetAwaiter().GetResult();
        }
        catch (RegistryException)
        {
        }
    }
}
