using System.Buffers.Binary;
using System.Text;
using Attest.Testing;

namespace Attest.Ledger.Tests;

/// <summary><c>attest ledger verify --url</c> against an exported log served by a static HTTP server.</summary>
public class LedgerUrlVerifyTests
{
    private static async Task<(TempDirectory Dir, string Log, string VerifierKey)> ExportAsync(int entries)
    {
        await using var fx = new LedgerFixture();
        await using (var ledger = await fx.OpenAsync())
        {
            await Task.WhenAll(Enumerable.Range(0, entries).Select(i => ledger.AppendAsync(LedgerFixture.Decision(i))));
            await ledger.CheckpointAsync();
        }
        var dir = new TempDirectory("attest-url");
        var log = dir.Combine("log");
        await using var store = await SqliteLedgerStore.OpenAsync(fx.Path);
        await LedgerExporter.ExportAsync(store, fx.AuditOptions, log);
        return (dir, log, fx.Signer.VerifierKey.ToString());
    }

    [Fact]
    public async Task Verify_url_accepts_an_exported_log_and_names_the_entry_changed_in_a_served_bundle()
    {
        var (dir, log, vkey) = await ExportAsync(600); // two full bundles and tiles, partial ones, two tile levels
        using var _ = dir;
        await using var server = new StaticFileServer(log);

        var ok = await AttestCli.RunAsync("ledger", "verify", "--url", server.BaseUrl.AbsoluteUri, "--vkey", vkey);
        Assert.True(ok.ExitCode == 0, ok.Error);
        Assert.Contains("600 entries, 1 checkpoint, verified through size 600", ok.Output, StringComparison.Ordinal);

        // Entry 300 (bundle 1, position 44) rewritten in place, same length: "allow" <-> "deny!" would change length,
        // so swap one character of its image instead.
        var bundlePath = Path.Combine(log, "tile", "entries", "001");
        var bundle = await File.ReadAllBytesAsync(bundlePath);
        var at = 0;
        for (var i = 0; i < 44; i++) at += 2 + BinaryPrimitives.ReadUInt16BigEndian(bundle.AsSpan(at));
        var length = BinaryPrimitives.ReadUInt16BigEndian(bundle.AsSpan(at));
        var body = Encoding.UTF8.GetString(bundle, at + 2, length);
        Assert.Contains("\"index\":300,", body, StringComparison.Ordinal);
        var changed = Encoding.UTF8.GetBytes(body.Replace("app:300", "app:999", StringComparison.Ordinal));
        Assert.Equal(length, changed.Length);
        changed.CopyTo(bundle, at + 2);
        await File.WriteAllBytesAsync(bundlePath, bundle);

        var tampered = await AttestCli.RunAsync("ledger", "verify", "--url", server.BaseUrl.AbsoluteUri, "--vkey", vkey);
        Assert.Equal(1, tampered.ExitCode);
        Assert.Contains("first bad index 300", tampered.Output, StringComparison.Ordinal);
        Assert.Contains(LedgerCodes.EntryLeafHashMismatch, tampered.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_url_refuses_a_rewritten_hash_tile_a_forged_checkpoint_and_a_missing_bundle()
    {
        var (dir, log, vkey) = await ExportAsync(300);
        using var _ = dir;
        await using var server = new StaticFileServer(log);

        // A level-1 hash tile altered: entries intact, but the served tree is not the signed one.
        var tile = Path.Combine(log, "tile", "1", "000.p", "1");
        var hashes = await File.ReadAllBytesAsync(tile);
        hashes[0] ^= 1;
        await File.WriteAllBytesAsync(tile, hashes);
        var badTile = await AttestCli.RunAsync("ledger", "verify", "--url", server.BaseUrl.AbsoluteUri, "--vkey", vkey);
        Assert.Equal(1, badTile.ExitCode);
        Assert.Contains(LedgerCodes.NodeMismatch, badTile.Error, StringComparison.Ordinal);
        Assert.Contains("tile/1/000.p/1", badTile.Error, StringComparison.Ordinal);
        hashes[0] ^= 1;
        await File.WriteAllBytesAsync(tile, hashes);

        // The checkpoint's size changed without a new signature.
        var checkpointPath = Path.Combine(log, "checkpoint");
        var note = await File.ReadAllTextAsync(checkpointPath);
        await File.WriteAllTextAsync(checkpointPath, note.Replace("\n300\n", "\n299\n", StringComparison.Ordinal));
        var forged = await AttestCli.RunAsync("ledger", "verify", "--url", server.BaseUrl.AbsoluteUri, "--vkey", vkey);
        Assert.Equal(1, forged.ExitCode);
        Assert.Contains(LedgerCodes.CheckpointSignature, forged.Error, StringComparison.Ordinal);
        await File.WriteAllTextAsync(checkpointPath, note);

        // A bundle the checkpoint covers is gone.
        File.Delete(Path.Combine(log, "tile", "entries", "001.p", "44"));
        var missing = await AttestCli.RunAsync("ledger", "verify", "--url", server.BaseUrl.AbsoluteUri, "--vkey", vkey);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("first bad index 256", missing.Output, StringComparison.Ordinal);
        Assert.Contains(LedgerCodes.EntryMissing, missing.Error, StringComparison.Ordinal);
        Assert.True(server.Requests > 0);
    }

    [Fact]
    public async Task Verify_url_rejects_a_url_together_with_a_database()
    {
        var result = await AttestCli.RunAsync("ledger", "verify", "--url", "http://127.0.0.1:1/", "--db", "x.db", "--vkey", "a+00000000+AQ==");
        Assert.Equal(2, result.ExitCode);
    }
}
