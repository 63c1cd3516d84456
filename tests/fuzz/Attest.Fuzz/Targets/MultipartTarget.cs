using System.Text;
using Attest.Server.Checks;
using Microsoft.AspNetCore.Http;

namespace Attest.Fuzz.Targets;

/// <summary>
/// A <c>multipart/form-data</c> upload as <c>POST /v1/gosum/verify</c> reads it: the first line of the input is the
/// Content-Type header (boundary included), the rest the body. <see cref="MultipartUpload.ReadAsync"/> with that
/// endpoint's fields answers a problem response (400, 413, 415, 503) for what it refuses.
/// </summary>
internal static class MultipartTarget
{
    private static readonly UploadSpace Space = new(CheckLimits.MaxGoSumRequestBytes);

    public static void Run(byte[] input)
    {
        var newline = Array.IndexOf(input, (byte)'\n');
        var contentType = Encoding.UTF8.GetString(newline < 0 ? input : input.AsSpan(0, newline)).TrimEnd('\r');
        var body = newline < 0 ? [] : input.AsMemory(newline + 1).ToArray();
        var context = new DefaultHttpContext();
        context.Request.ContentType = contentType;
        context.Request.ContentLength = body.Length;
        context.Request.Body = new MemoryStream(body, writable: false);
        var (upload, _) = MultipartUpload.ReadAsync(context.Request, Space, CheckLimits.MaxGoSumRequestBytes,
            CheckEndpoints.GoSumText, CheckEndpoints.GoSumFiles, CheckEndpoints.GoSumRepeatable).GetAwaiter().GetResult();
        if (upload is null) return;
        using (upload)
        {
            foreach (var file in upload.Files) _ = upload.File(file.Field);
            _ = upload.Field("subjectDigest");
        }
    }
}
