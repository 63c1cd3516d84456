namespace Attest.Core.IO;

/// <summary>
/// Reads a whole stream into memory, never more than a limit: every reader of request bodies, registry responses,
/// API-server objects and uploaded documents goes through here, so none can be made to buffer without bound. A body
/// over the limit gives null (each caller says what was too large in its own terms), after reading at most one
/// chunk past the limit.
/// </summary>
public static class BoundedRead
{
    private const int ChunkBytes = 81920;

    /// <summary>The stream's bytes, or null when it holds more than <paramref name="maxBytes"/>.</summary>
    public static async Task<byte[]?> ReadAllAsync(Stream stream, long maxBytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        using var buffer = new MemoryStream();
        var chunk = new byte[ChunkBytes];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBytes) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>The same, for readers that are synchronous by nature (a file already open, a decompression stream).</summary>
    public static byte[]? ReadAll(Stream stream, long maxBytes)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        using var buffer = new MemoryStream();
        var chunk = new byte[ChunkBytes];
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + read > maxBytes) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
