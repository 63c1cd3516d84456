using Attest.Core.Crypto;
using Attest.Core.Transparency;

namespace Attest.Ledger.Tests;

/// <summary>Direct edits of the database file, made the way an attacker would (triggers dropped first), must be
/// found by the audit at the right index.</summary>
public class LedgerAuditTests
{
    private static async Task<LedgerFixture> LedgerWithAsync(int entries, int checkpointEvery)
    {
        var fx = new LedgerFixture();
        await using var ledger = await fx.OpenAsync(checkpointEvery);
        await LedgerFixture.AppendSequentiallyAsync(ledger, entries);
        await ledger.CheckpointAsync();
        return fx;
    }

    [Fact]
    public async Task Audit_of_an_untouched_ledger_is_clean()
    {
        await using var fx = await LedgerWithAsync(20, checkpointEvery: 4);
        var report = await fx.AuditAsync();
        Assert.True(report.IsValid, string.Join("; ", report.Findings));
        Assert.Equal((20, 5, 20), (report.EntriesChecked, report.CheckpointsChecked, report.VerifiedCheckpointSize));
        Assert.Null(report.FirstBadIndex);
    }

    [Fact]
    public async Task Audit_names_the_entry_whose_body_was_changed()
    {
        await using var fx = await LedgerWithAsync(20, checkpointEvery: 4);
        await fx.TamperAsync("UPDATE entries SET body = replace(body, 'deny', 'allow') WHERE idx = 9");
        var report = await fx.AuditAsync();
        Assert.Equal(9, report.FirstBadIndex);
        Assert.Equal(LedgerCodes.EntryLeafHashMismatch, report.Findings[0].Code);
    }

    [Fact]
    public async Task Audit_names_the_deleted_entry()
    {
        await using var fx = await LedgerWithAsync(20, checkpointEvery: 4);
        await fx.TamperAsync("DELETE FROM entries WHERE idx = 5");
        var report = await fx.AuditAsync();
        Assert.Equal(5, report.FirstBadIndex);
        Assert.Equal(LedgerCodes.EntryMissing, report.Findings.Single(f => f.Code.StartsWith("ledger.entry", StringComparison.Ordinal)).Code);
    }

    [Fact]
    public async Task Audit_names_a_deleted_entry_even_when_later_rows_were_renumbered()
    {
        await using var fx = await LedgerWithAsync(12, checkpointEvery: 4);
        var renumber = string.Concat(Enumerable.Range(6, 6).Select(i => $"UPDATE entries SET idx = {i - 1} WHERE idx = {i};"));
        await fx.TamperAsync("DELETE FROM entries WHERE idx = 5;" + renumber);
        var report = await fx.AuditAsync();
        Assert.Equal(5, report.FirstBadIndex);
        Assert.Equal(LedgerCodes.EntryIndexMismatch, report.Findings.First(f => f.Code.StartsWith("ledger.entry", StringComparison.Ordinal)).Code);
    }

    [Fact]
    public async Task Audit_names_the_first_of_two_reordered_entries()
    {
        await using var fx = await LedgerWithAsync(12, checkpointEvery: 4);
        await fx.TamperAsync("""
            UPDATE entries SET idx = -1 WHERE idx = 3;
            UPDATE entries SET idx = 3 WHERE idx = 4;
            UPDATE entries SET idx = 4 WHERE idx = -1;
            """);
        var report = await fx.AuditAsync();
        Assert.Equal(3, report.FirstBadIndex);
        Assert.Equal(LedgerCodes.EntryIndexMismatch, report.Findings.First(f => f.Code.StartsWith("ledger.entry", StringComparison.Ordinal)).Code);
    }

    [Fact]
    public async Task Audit_bounds_an_entry_rewritten_with_its_leaf_hash_to_its_checkpoint_interval()
    {
        await using var fx = await LedgerWithAsync(12, checkpointEvery: 4);
        // A careful attacker recomputes the leaf hash too; only the signed root at size 8 disagrees.
        var body = await fx.QueryScalarAsync<byte[]>("SELECT body FROM entries WHERE idx = 6");
        var changed = System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(body).Replace("\"deny\"", "\"allow\"", StringComparison.Ordinal));
        Assert.NotEqual(body, changed);
        await fx.TamperAsync("UPDATE entries SET body = @body, leaf_hash = @leaf WHERE idx = 6", new { body = changed, leaf = MerkleHash.Leaf(changed) });
        var report = await fx.AuditAsync();
        var mismatch = report.Findings.Single(f => f.Code == LedgerCodes.CheckpointRootMismatch);
        Assert.Equal(4, report.FirstBadIndex);
        Assert.Equal("4", mismatch.Evidence!["firstSuspect"]);
        Assert.Equal("7", mismatch.Evidence["lastSuspect"]);
        // The stored subtree above leaves 6 and 7 was not rewritten and disagrees as well.
        Assert.Contains(report.Findings, f => f.Code == LedgerCodes.NodeMismatch);
    }

    [Fact]
    public async Task Audit_detects_entries_deleted_from_the_checkpointed_tail()
    {
        await using var fx = await LedgerWithAsync(12, checkpointEvery: 4);
        await fx.TamperAsync("DELETE FROM entries WHERE idx >= 10");
        var report = await fx.AuditAsync();
        Assert.Equal(10, report.FirstBadIndex);
        Assert.Contains(report.Findings, f => f.Code == LedgerCodes.CheckpointBeyondLog);
    }

    [Fact]
    public async Task Audit_reports_a_tampered_subtree_hash_without_blaming_an_entry()
    {
        await using var fx = await LedgerWithAsync(16, checkpointEvery: 4);
        // Entry 7 (binary 111) completes three subtrees; zero the middle one (level 2, leaves 4..7).
        await fx.TamperAsync("UPDATE entries SET subtree_hashes = substr(subtree_hashes, 1, 32) || zeroblob(32) || substr(subtree_hashes, 65) WHERE idx = 7");
        var report = await fx.AuditAsync();
        Assert.Equal(LedgerCodes.NodeMismatch, Assert.Single(report.Findings).Code);
        Assert.Null(report.FirstBadIndex);
    }

    [Fact]
    public async Task Audit_rejects_a_forged_checkpoint_signed_by_another_key()
    {
        await using var fx = await LedgerWithAsync(8, checkpointEvery: 4);
        var forger = new Ed25519NoteSigner(LedgerFixture.Origin, Ed25519.GenerateSeed());
        var root = MerkleHash.Leaf("whatever"u8);
        var note = new Checkpoint(LedgerFixture.Origin, 12, root).Sign(forger).ToString();
        await fx.TamperAsync("INSERT INTO checkpoints (size, root_hash, note) VALUES (12, @root, @note); UPDATE checkpoint_head SET size = 12, note = @note",
            new { root, note });
        var report = await fx.AuditAsync();
        var signature = report.Findings.Single(f => f.Code == LedgerCodes.CheckpointSignature);
        Assert.Equal(TransparencyCodes.NoteUnverified, signature.Evidence!["cause"]);
        Assert.Contains(report.Findings, f => f.Code == LedgerCodes.CheckpointHeadMismatch);
    }

    [Fact]
    public async Task Audit_rejects_a_checkpoint_row_whose_columns_disagree_with_its_note()
    {
        await using var fx = await LedgerWithAsync(8, checkpointEvery: 4);
        await fx.TamperAsync("UPDATE checkpoints SET root_hash = zeroblob(32) WHERE size = 4");
        var report = await fx.AuditAsync();
        Assert.Contains(report.Findings, f => f.Code == LedgerCodes.CheckpointRowMismatch);
    }

    [Fact]
    public async Task Audit_with_the_wrong_trusted_key_verifies_no_checkpoint()
    {
        await using var fx = await LedgerWithAsync(8, checkpointEvery: 4);
        await using var store = await SqliteLedgerStore.OpenAsync(fx.Path);
        var stranger = new Ed25519NoteSigner(LedgerFixture.Origin, Ed25519.GenerateSeed()).VerifierKey;
        var report = await LedgerAuditor.AuditAsync(store, new LedgerAuditOptions(LedgerFixture.Origin, [stranger]));
        Assert.Equal(2, report.Findings.Count(f => f.Code == LedgerCodes.CheckpointSignature));
        Assert.Equal(0, report.VerifiedCheckpointSize);
    }
}
