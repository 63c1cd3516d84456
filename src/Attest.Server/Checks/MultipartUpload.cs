using System.Text;
using Attest.GoModules.Uploads;
using Attest.Server.Api;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Attest.Server.Checks;

/// <summary>An uploaded file part, buffered in the request's scratch directory.</summary>
public sealed record UploadedFile(string Field, string Path, long Length);

/// <summary>
/// Reads a <c>multipart/form-data</c> body part by part into a scratch directory, never holding more than a chunk in
/// memory, and refuses it precisely: 415 for another media type, 413 as soon as the body passes its bound, 503 when the
/// uploads in flight together would pass the server's <see cref="UploadSpace"/>, 400 for unknown fields, repeated
/// single fields, oversized text fields and malformed multipart framing.
/// </summary>
public sealed class MultipartUpload : IDisposable
{
    private readonly string _directory;
    private readonly UploadSpace _space;
    private long _reserved;
    private readonly Dictionary<string, string> _fields = new(StringComparer.Ordinal);
    private readonly List<UploadedFile> _files = [];

    private MultipartUpload(string directory, UploadSpace space)
    {
        _directory = directory;
        _space = space;
    }

    /// <summary>The scratch directory (deleted on dispose); callers build their own layout under it.</summary>
    public string Directory => _directory;

    public IReadOnlyList<UploadedFile> Files => _files;

    public string? Field(string name) => _fields.TryGetValue(name, out var value) ? value : null;

    public UploadedFile? File(string name) => _files.FirstOrDefault(f => f.Field == name);

    /// <param name="textFields">fields read as UTF-8 text (each at most <see cref="CheckLimits.MaxFieldBytes"/>)</param>
    /// <param name="fileFields">file fields given at most once</param>
    /// <param name="repeatableFiles">file fields that may repeat (module zips)</param>
    public static async Task<(MultipartUpload? Upload, IResult? Problem)> ReadAsync(
        HttpRequest request, UploadSpace space, long maxBytes, IReadOnlySet<string> textFields, IReadOnlySet<string> fileFields, IReadOnlySet<string> repeatableFiles)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
            || !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            return (null, ApiProblems.Create(StatusCodes.Status415UnsupportedMediaType, "unsupported media type", "the request body must be multipart/form-data"));
        var boundary = HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value;
        if (string.IsNullOrEmpty(boundary) || boundary.Length > 70)
            return (null, Invalid("the multipart/form-data content type has no valid boundary"));
        if (request.ContentLength > maxBytes) return (null, TooLarge($"the request body is larger than {maxBytes} bytes"));
        // The server-wide default (30 MB) is not this endpoint's bound; ours is counted below.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = maxBytes + 64 * 1024;

        var upload = new MultipartUpload(System.IO.Directory.CreateTempSubdirectory("attest-check-").FullName, space);
        try
        {
            var problem = await upload.ReadPartsAsync(request, boundary, maxBytes, textFields, fileFields, repeatableFiles).ConfigureAwait(false);
            if (problem is null) return (upload, null);
            upload.Dispose();
            return (null, problem);
        }
        catch
        {
            upload.Dispose();
            throw;
        }
    }

    private async Task<IResult?> ReadPartsAsync(HttpRequest request, string boundary, long maxBytes,
        IReadOnlySet<string> textFields, IReadOnlySet<string> fileFields, IReadOnlySet<string> repeatableFiles)
    {
        var reader = new MultipartReader(boundary, request.Body) { HeadersCountLimit = 16, HeadersLengthLimit = 16 * 1024 };
        var cancel = request.HttpContext.RequestAborted;
        long total = 0;
        var parts = 0;
        var chunk = new byte[64 * 1024];
        while (true)
        {
            MultipartSection? section;
            try
            {
                section = await reader.ReadNextSectionAsync(cancel).ConfigureAwait(false);
            }
            catch (Exception e) when (e is InvalidDataException or IOException && !cancel.IsCancellationRequested)
            {
                // The reader says "Unexpected end of Stream" (IOException) for a body cut short.
                return Invalid($"the multipart/form-data body is malformed: {e.Message}");
            }
            catch (Microsoft.AspNetCore.Http.BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                return TooLarge($"the request body is larger than {maxBytes} bytes");
            }
            if (section is null) return null;
            if (++parts > CheckLimits.MaxParts) return Invalid($"the request has more than {CheckLimits.MaxParts} parts");
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase) || StringSegment.IsNullOrEmpty(disposition.Name))
                return Invalid("every part needs Content-Disposition: form-data with a name");
            var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
            var isText = textFields.Contains(name);
            var isFile = fileFields.Contains(name) || repeatableFiles.Contains(name);
            if (!isText && !isFile)
                return Invalid($"unknown field '{Shorten(name)}' (expected {string.Join(", ", textFields.Concat(fileFields).Concat(repeatableFiles))})");
            if ((isText && _fields.ContainsKey(name)) || (fileFields.Contains(name) && _files.Any(f => f.Field == name)))
                return Invalid($"field '{name}' is given more than once");

            var limit = isText ? CheckLimits.MaxFieldBytes : maxBytes;
            Stream sink = isText ? new MemoryStream() : new FileStream(System.IO.Path.Combine(_directory, $"part-{parts}"), FileMode.CreateNew, FileAccess.Write);
            long length = 0;
            await using (sink.ConfigureAwait(false))
            {
                while (true)
                {
                    int read;
                    try
                    {
                        read = await section.Body.ReadAsync(chunk, cancel).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is InvalidDataException or IOException && !cancel.IsCancellationRequested)
                    {
                        return Invalid($"the multipart/form-data body is malformed: {e.Message}");
                    }
                    catch (Microsoft.AspNetCore.Http.BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
                    {
                        return TooLarge($"the request body is larger than {maxBytes} bytes");
                    }
                    if (read == 0) break;
                    length += read;
                    total += read;
                    if (total > maxBytes) return TooLarge($"the request body is larger than {maxBytes} bytes");
                    if (length > limit)
                        return isText ? Invalid($"field '{name}' is longer than {limit} bytes") : TooLarge($"part '{name}' is larger than {limit} bytes");
                    if (!isText)
                    {
                        if (!_space.TryReserve(read)) return SpaceInUse(request.HttpContext);
                        _reserved += read;
                    }
                    await sink.WriteAsync(chunk.AsMemory(0, read), cancel).ConfigureAwait(false);
                }
                if (isText)
                {
                    string text;
                    try
                    {
                        text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(((MemoryStream)sink).ToArray());
                    }
                    catch (DecoderFallbackException)
                    {
                        return Invalid($"field '{name}' is not valid UTF-8");
                    }
                    _fields[name] = text.Trim();
                }
                else
                {
                    _files.Add(new UploadedFile(name, ((FileStream)sink).Name, length));
                }
            }
        }
    }

    private static string Shorten(string s) => s.Length <= 64 ? s : s[..64] + "…";

    internal static IResult Invalid(string detail) => ApiProblems.Create(StatusCodes.Status400BadRequest, "invalid request", detail);

    internal static IResult TooLarge(string detail) => ApiProblems.Create(StatusCodes.Status413PayloadTooLarge, "request too large", detail);

    /// <summary>What the library that lays the upload out refused, as the client's problem (413 for size, else 400).</summary>
    internal static IResult Refused(UploadProblem problem) => problem.TooLarge ? TooLarge(problem.Message) : Invalid(problem.Message);

    /// <summary>503: the uploads in flight already fill the server's upload space; the client retries later.</summary>
    private IResult SpaceInUse(HttpContext context)
    {
        context.Response.Headers.RetryAfter = "5";
        return ApiProblems.Create(StatusCodes.Status503ServiceUnavailable, "upload space in use",
            $"uploads in flight fill the server's upload space ({_space.CapacityBytes} bytes, Attest:Checks:UploadSpaceBytes); retry later");
    }

    public void Dispose()
    {
        _space.Release(Interlocked.Exchange(ref _reserved, 0));
        try
        {
            System.IO.Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A scratch directory left behind is harmless; the request's answer matters more.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
