using System.Buffers.Binary;
using System.IO.Compression;

namespace Attest.GoModules.Uploads;

/// <summary>Reads a zip's entry count from its end-of-central-directory record (zip64 too) without opening the
/// archive: <see cref="ZipArchive"/> materializes every central-directory entry, so a small upload declaring millions
/// of entries must be refused before it is opened.</summary>
public static class ZipDirectory
{
    private const uint EndSignature = 0x06054b50;
    private const uint Zip64LocatorSignature = 0x07064b50;
    private const uint Zip64EndSignature = 0x06064b50;

    /// <summary>The declared number of entries, or 0 when no end record is found (the archive reader then reports
    /// the file as unreadable).</summary>
    public static long EntryCount(string path)
    {
        using var file = File.OpenRead(path);
        // The end record is 22 bytes plus a comment of at most 65,535 bytes.
        var tailLength = (int)Math.Min(file.Length, 22 + 65535);
        var tail = new byte[tailLength];
        file.Seek(-tailLength, SeekOrigin.End);
        file.ReadExactly(tail);
        for (var at = tailLength - 22; at >= 0; at--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(at)) != EndSignature) continue;
            long count = BinaryPrimitives.ReadUInt16LittleEndian(tail.AsSpan(at + 10));
            if (count != 0xFFFF || at < 20 || BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(at - 20)) != Zip64LocatorSignature) return count;
            var zip64End = BinaryPrimitives.ReadInt64LittleEndian(tail.AsSpan(at - 20 + 8));
            if (zip64End < 0 || zip64End > file.Length - 56) return long.MaxValue;
            var record = new byte[56];
            file.Seek(zip64End, SeekOrigin.Begin);
            file.ReadExactly(record);
            return BinaryPrimitives.ReadUInt32LittleEndian(record) == Zip64EndSignature ? (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(record.AsSpan(32)), long.MaxValue) : long.MaxValue;
        }
        return 0;
    }
}
