using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Attest.Core.Crypto;
using Attest.Core.Transparency;
using Attest.Ledger.SumDb;

namespace Attest.Ledger.Tests.SumDb;

/// <summary>What every checksum-database store must do under <see cref="SumDbLog"/>, checked the same way on SQLite and
/// PostgreSQL, against a tree computed here from the records alone (RFC 6962 by recursion, no compact range).</summary>
internal static class SumDbContract
{
    public const string Name = "sumdb.attest.test";

    public static Ed25519NoteSigner NewSigner() => new(Name, Ed25519.GenerateSeed());

    public static (string Path, string Version, byte[] Text) Record(int i, string salt = "")
    {
        var path = $"corp.example/m{i.ToString(CultureInfo.InvariantCulture)}";
        var hash = "h1:" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes($"{path}{salt}")));
        var goMod = "h1:" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes($"{path}{salt}/go.mod")));
        return (path, "v1.0.0", Encoding.UTF8.GetBytes($"{path} v1.0.0 {hash}\n{path} v1.0.0/go.mod {goMod}\n"));
    }

    /// <summary>MTH over the record texts, the RFC 6962 way.</summary>
    public static byte[] Root(IReadOnlyList<byte[]> texts) => Mth([.. texts.Select(t => MerkleHash.Leaf(t))], 0, texts.Count);

    public static byte[] Mth(byte[][] leaves, int start, int count)
    {
        if (count == 0) return MerkleHash.EmptyRoot();
        if (count == 1) return leaves[start];
        var k = 1;
        while (k * 2 < count) k *= 2;
        return MerkleHash.Children(Mth(leaves, start, k), Mth(leaves, start + k, count - k));
    }

    /// <summary>First records are final; the same text again is no change; the log serves what it signed.</summary>
    public static async Task AddsOnceAndTheFirstIsFinalAsync(ISumDbStore store)
    {
        var signer = NewSigner();
        await using var log = await SumDbLog.OpenAsync(store, signer, TimeProvider.System);
        var empty = await log.LatestAsync();
        Assert.Equal(0, empty.Size);

        var (path, version, text) = Record(1);
        var added = await log.AddAsync(path, version, text);
        Assert.Equal(SumDbAddOutcome.Added, added.Outcome);
        Assert.Equal(0, added.Row.Index);
        Assert.Equal(1, added.Checkpoint.Size);

        var again = await log.AddAsync(path, version, text);
        Assert.Equal(SumDbAddOutcome.Existing, again.Outcome);
        Assert.Equal(0, again.Row.Index);

        var other = Record(1, salt: "rewritten").Text;
        var conflict = await log.AddAsync(path, version, other);
        Assert.Equal(SumDbAddOutcome.Conflict, conflict.Outcome);
        Assert.Equal(text, conflict.Row.Text); // the record that stands is the first
        Assert.Equal(1, await store.GetSizeAsync());

        var found = await log.FindAsync(path, version);
        Assert.NotNull(found);
        Assert.Equal(text, found.Value.Row.Text);
        Assert.Null(await log.FindAsync(path, "v1.0.1"));

        // The signed head: a go.sum database tree note, by the database key, over the records' RFC 6962 root.
        Assert.True(Checkpoint.TryOpen(Encoding.UTF8.GetBytes(found.Value.Head.Note), SumDbLog.TreeOrigin, [signer.VerifierKey], out var head, out var error), error?.Message);
        Assert.Equal(1, head.Size);
        Assert.Equal(Root([text]), head.RootHash);
        Assert.StartsWith("go.sum database tree\n1\n", found.Value.Head.Note, StringComparison.Ordinal);
    }

    /// <summary>Hash tiles (height 8) and data tiles of a tree of 300 records equal the ones computed from the records;
    /// anything the signed tree does not hold is refused.</summary>
    public static async Task ServesTilesOfTheSignedTreeAsync(ISumDbStore store)
    {
        var signer = NewSigner();
        await using var log = await SumDbLog.OpenAsync(store, signer, TimeProvider.System);
        var texts = new List<byte[]>();
        for (var i = 0; i < 300; i++)
        {
            var (path, version, text) = Record(i);
            await log.AddAsync(path, version, text);
            texts.Add(text);
        }
        var leaves = texts.Select(t => MerkleHash.Leaf(t)).ToArray();
        Assert.Equal(leaves[..256].SelectMany(h => h).ToArray(), await log.ReadHashTileAsync(0, 0, 256));
        Assert.Equal(leaves[256..].SelectMany(h => h).ToArray(), await log.ReadHashTileAsync(0, 1, 44));
        Assert.Equal(leaves[256..266].SelectMany(h => h).ToArray(), await log.ReadHashTileAsync(0, 1, 10)); // an older client's partial tile
        Assert.Equal(Mth(leaves, 0, 256), await log.ReadHashTileAsync(1, 0, 1));
        Assert.Equal(string.Concat(texts.Skip(256).Take(3).Select(t => Encoding.UTF8.GetString(t) + "\n")),
            Encoding.UTF8.GetString((await log.ReadDataTileAsync(1, 3))!));
        Assert.Equal(string.Concat(texts.Take(256).Select(t => Encoding.UTF8.GetString(t) + "\n")), Encoding.UTF8.GetString((await log.ReadDataTileAsync(0, 256))!));

        // Beyond the tree, or not a tile at all.
        Assert.Null(await log.ReadHashTileAsync(0, 1, 45));
        Assert.Null(await log.ReadHashTileAsync(0, 1, 256));
        Assert.Null(await log.ReadHashTileAsync(0, 2, 1));
        Assert.Null(await log.ReadHashTileAsync(1, 0, 2));
        Assert.Null(await log.ReadHashTileAsync(2, 0, 1));
        Assert.Null(await log.ReadHashTileAsync(0, 0, 0));
        Assert.Null(await log.ReadHashTileAsync(0, 0, 257));
        Assert.Null(await log.ReadHashTileAsync(7, long.MaxValue / 256, 1));
        Assert.Null(await log.ReadHashTileAsync(8, 0, 1));
        Assert.Null(await log.ReadDataTileAsync(1, 45));
        Assert.Null(await log.ReadDataTileAsync(long.MaxValue, 1));

        var head = await log.LatestAsync();
        Assert.Equal(300, head.Size);
        Assert.Equal(Root(texts), head.RootHash);
        var audit = await SumDbAuditor.AuditAsync(store, signer.VerifierKey);
        Assert.True(audit.IsValid, string.Join("; ", audit.Findings));
        Assert.Equal(300, audit.VerifiedCheckpointSize);
    }
}
