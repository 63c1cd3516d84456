using System.IO.Compression;

namespace Attest.GoModules.Tests;

/// <summary>Builds zip archives in memory for tests, with entries exactly as named (duplicates allowed).</summary>
internal static class TestZips
{
    public static MemoryStream Build(IEnumerable<(string Name, byte[] Data)> entries, Action<ZipArchiveEntry, string>? customize = null)
    {
        var stream = new MemoryStream();
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, data) in entries)
            {
                var entry = zip.CreateEntry(name, CompressionLevel.Fastest);
                customize?.Invoke(entry, name);
                using var s = entry.Open();
                s.Write(data);
            }
        }
        stream.Position = 0;
        return stream;
    }

    public static byte[] Bytes(string s) => System.Text.Encoding.UTF8.GetBytes(s);
}
