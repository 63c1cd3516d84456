using Attest.Core.IO;

namespace Attest.Core.Tests.IO;

public sealed class BoundedReadTests
{
    /// <summary>A stream that hands out at most <paramref name="step"/> bytes per read, as a network stream does.</summary>
    private sealed class TricklingStream(byte[] content, int step) : MemoryStream(content)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, step));
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, step)], cancellationToken);
    }

    private static byte[] Pattern(int length) => [.. Enumerable.Range(0, length).Select(i => (byte)(i * 7 + 3))];

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(81920)]
    [InlineData(81921)]
    [InlineData(300_000)]
    public async Task Whole_stream_is_returned_up_to_and_at_the_limit(int length)
    {
        var content = Pattern(length);
        Assert.Equal(content, await BoundedRead.ReadAllAsync(new TricklingStream(content, 50_000), length));
        Assert.Equal(content, BoundedRead.ReadAll(new TricklingStream(content, 50_000), length));
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(81921, 81920)]
    [InlineData(300_000, 299_999)]
    public async Task A_stream_one_byte_over_the_limit_gives_null(int length, int limit)
    {
        Assert.Null(await BoundedRead.ReadAllAsync(new TricklingStream(Pattern(length), 4096), limit));
        Assert.Null(BoundedRead.ReadAll(new TricklingStream(Pattern(length), 4096), limit));
    }

    [Fact]
    public async Task A_short_read_after_a_long_one_holds_only_its_own_bytes()
    {
        // The read chunk is pooled: what a long body left in it must not appear in a later, shorter result.
        var longer = Enumerable.Repeat((byte)0xFF, 200_000).ToArray();
        Assert.Equal(longer, await BoundedRead.ReadAllAsync(new MemoryStream(longer), longer.Length));
        var shorter = "{\"a\":1}"u8.ToArray();
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(shorter, await BoundedRead.ReadAllAsync(new MemoryStream(shorter), 1024));
            Assert.Equal(shorter, BoundedRead.ReadAll(new MemoryStream(shorter), 1024));
        }
    }
}
