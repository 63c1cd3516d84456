using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace Attest.Server.Tests.Checks;

/// <summary>Damaged zips uploaded to the checks are bad requests with a sentence, never a server error.</summary>
[Collection(CheckCollection.Name)]
public sealed class UploadedZipTests(CheckServerFixture fixture)
{
    [Theory]
    [InlineData("vendor")]
    [InlineData("modcache")]
    public async Task Zip_whose_end_record_undercounts_its_entries_is_a_bad_request(string field)
    {
        // Two stored entries; the end-of-central-directory record says one (the red team's 229-byte zip had this shape).
        var zip = Zip(("modules.txt", "# example.com/x v1.0.0\n## explicit\n"), ("cache/download/x", "x"));
        var end = zip.Length - 22;
        BinaryPrimitives.WriteUInt16LittleEndian(zip.AsSpan(end + 8), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(zip.AsSpan(end + 10), 1);

        var form = new MultipartFormDataContent()
            .AddFile("go.mod", Encoding.UTF8.GetBytes("module example.com/app\n"))
            .Add("subjectDigest", "sha256:" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)))
            .AddFile(field, zip, field + ".zip");
        var (status, body) = await fixture.PostAsync("v1/gosum/verify", form);
        Assert.True(status == 400, $"{status} {body.RootElement}");
        Assert.Contains($"part '{field}' is not a readable zip file", body.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    private static byte[] Zip(params (string Name, string Data)[] entries)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, data) in entries)
            {
                using var stream = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
                stream.Write(Encoding.UTF8.GetBytes(data));
            }
        return buffer.ToArray();
    }
}
