using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using Attest.Sigstore.Signing;

namespace Attest.Sigstore.Clients;

/// <summary>
/// An RFC 3161 timestamp authority over HTTP (sigstore/timestamp-authority's <c>POST /api/v1/timestamp</c> with an
/// <c>application/timestamp-query</c>): a SHA-256 imprint of the signature with a fresh nonce, the signer's certificate
/// requested; the reply must be granted and answer this request (imprint and nonce), checked by
/// <see cref="Rfc3161TimestampRequest.ProcessResponse"/>. Whose timestamp it is, the verifier decides.
/// </summary>
public sealed class TimestampClient(HttpClient http, Uri url) : ISignatureTimestamper
{
    public const string Service = "the timestamp authority";
    private const int MaxResponseBytes = 64 * 1024;

    public async Task<byte[]> TimestampAsync(ReadOnlyMemory<byte> signature, CancellationToken cancellationToken = default)
    {
        var nonce = RandomNumberGenerator.GetBytes(16);
        nonce[0] &= 0x7f; // a positive INTEGER
        var query = Rfc3161TimestampRequest.CreateFromHash(SHA256.HashData(signature.Span), HashAlgorithmName.SHA256, nonce: nonce, requestSignerCertificates: true);
        using var content = new ByteArrayContent(query.Encode());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/timestamp-query");
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
        request.Headers.Accept.ParseAdd("application/timestamp-reply");
        var reply = await ServiceCall.SendAsync(http, request, Service, MaxResponseBytes, cancellationToken).ConfigureAwait(false);
        try
        {
            query.ProcessResponse(reply, out var consumed);
            if (consumed != reply.Length) throw new SigstoreServiceException(Service, null, "the reply has data after its TimeStampResp");
        }
        catch (CryptographicException e)
        {
            throw new SigstoreServiceException(Service, null, $"the reply does not answer the request ({e.Message})");
        }
        return reply;
    }
}
