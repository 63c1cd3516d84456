using System.Buffers;

namespace Attest.Core.IO;

/// <summary>
/// One reusable write buffer per thread, for serialization that runs synchronously on the hot path (a ledger entry,
/// a decision's details): the bytes are written there and copied out once at their final size, instead of a new
/// buffer per call growing by doubling. Rent and return on the same thread with no await in between.
/// </summary>
public static class ScratchBuffer
{
    /// <summary>A buffer grown past this by an unusually large document is let go rather than kept by the thread.</summary>
    public const int MaxRetainedBytes = 128 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    /// <summary>The thread's buffer, empty (a fresh one if it is already rented, as by a nested caller).</summary>
    public static ArrayBufferWriter<byte> Rent()
    {
        var buffer = t_buffer ?? new ArrayBufferWriter<byte>(4096);
        t_buffer = null;
        buffer.ResetWrittenCount();
        return buffer;
    }

    public static void Return(ArrayBufferWriter<byte> buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (buffer.Capacity <= MaxRetainedBytes) t_buffer = buffer;
    }

    /// <summary>What <paramref name="buffer"/> holds, copied out; the buffer is emptied for the next part.</summary>
    public static byte[] TakeWritten(ArrayBufferWriter<byte> buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        var written = buffer.WrittenSpan.ToArray();
        buffer.ResetWrittenCount();
        return written;
    }
}
