using System.Buffers;

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

    // The read chunk comes from the shared pool: a fresh one is zeroed on every call, which for a small body (an
    // AdmissionReview of a few KiB, read on every admission) costs more than the read itself. Only the bytes read are
    // copied out, so whatever an earlier caller left in a pooled chunk never reaches the result.

    /// <summary>The stream's bytes, or null when it holds more than <paramref name="maxBytes"/>.</summary>
    public static async Task<byte[]?> ReadAllAsync(Stream stream, long maxBytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            int read;
            while ((read = await stream.ReadAsync(chunk.AsMemory(0, ChunkBytes), cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > maxBytes) return null;
                buffer.Write(chunk, 0, read);
            }
            return buffer.ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    /// <summary>The same, for readers that are synchronous by nature (a file already open, a decompression stream).</summary>
    public static byte[]? ReadAll(Stream stream, long maxBytes)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            int read;
            while ((read = stream.Read(chunk, 0, ChunkBytes)) > 0)
            {
                if (buffer.Length + read > maxBytes) return null;
                buffer.Write(chunk, 0, read);
            }
            return buffer.ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }
}
