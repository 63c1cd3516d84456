using Attest.Core.Crypto;
using Attest.Core.Transparency;

namespace Attest.Ledger.Tests;

/// <summary>Checkpoint key rotation: the log goes on under a new key, audits trust the current and previous keys,
/// and a revoked key's checkpoints are refused with a reason that names it.</summary>
public class LedgerKeyRotationTests
{
    [Fact]
    public async Task After_a_rotation_audits_trust_current_and_previous_keys_and_name_a_revoked_or_unknown_key()
    {
        await using var fx = new LedgerFixture();
        var previous = fx.Signer;
        await using (var ledger = await fx.OpenAsync())
        {
            await LedgerFixture.AppendSequentiallyAsync(ledger, 5);
            await ledger.CheckpointAsync();
        }

        var current = new Ed25519NoteSigner(LedgerFixture.Origin, Ed25519.GenerateSeed());
        var options = new AuditLedgerOptions { Origin = LedgerFixture.Origin, CheckpointEveryEntries = 1_000_000, CheckpointInterval = TimeSpan.FromHours(1) };
        // The new key alone does not vouch for the stored head: opening is refused until the previous key is named.
        var refused = await Assert.ThrowsAsync<LedgerCorruptException>(async () =>
            await AuditLedger.OpenAsync(await SqliteLedgerStore.OpenAsync(fx.Path), options, [current], TimeProvider.System));
        Assert.Contains(LedgerTrust.KeyId(previous.VerifierKey.Name, previous.VerifierKey.KeyHash), refused.Message, StringComparison.Ordinal);
        await using (var ledger = await AuditLedger.OpenAsync(await SqliteLedgerStore.OpenAsync(fx.Path),
                         options with { PreviousVerifierKeys = [previous.VerifierKey] }, [current], TimeProvider.System))
        {
            await LedgerFixture.AppendSequentiallyAsync(ledger, 3, offset: 5);
            Assert.Equal(8, (await ledger.CheckpointAsync())!.Size);
        }

        await using var store = await SqliteLedgerStore.OpenAsync(fx.Path);
        var both = await LedgerAuditor.AuditAsync(store, new LedgerAuditOptions(LedgerFixture.Origin, [current.VerifierKey, previous.VerifierKey]));
        Assert.True(both.IsValid, string.Join("; ", both.Findings));
        Assert.Equal(8, both.VerifiedCheckpointSize);

        var previousId = LedgerTrust.KeyId(previous.VerifierKey.Name, previous.VerifierKey.KeyHash);
        var currentOnly = await LedgerAuditor.AuditAsync(store, new LedgerAuditOptions(LedgerFixture.Origin, [current.VerifierKey]));
        var unknown = Assert.Single(currentOnly.Findings);
        Assert.Equal(LedgerCodes.CheckpointSignature, unknown.Code);
        Assert.Contains($"not signed by a trusted key (signed by {previousId}", unknown.Message, StringComparison.Ordinal);
        Assert.Equal("5", unknown.Evidence!["size"]);

        var revoked = await LedgerAuditor.AuditAsync(store,
            new LedgerAuditOptions(LedgerFixture.Origin, [current.VerifierKey, previous.VerifierKey]) { RevokedKeys = [previous.VerifierKey] });
        var finding = Assert.Single(revoked.Findings);
        Assert.Equal(LedgerCodes.CheckpointSignature, finding.Code);
        Assert.Equal("revoked-key", finding.Evidence!["cause"]);
        Assert.Equal(previousId, finding.Evidence["key"]);
        Assert.Contains($"signed by revoked key {previousId}", finding.Message, StringComparison.Ordinal);
        // The checkpoint the current key signed still covers every entry.
        Assert.Equal(8, revoked.VerifiedCheckpointSize);

        // The CLI takes the same sets: --vkey for current and previous, --revoked-vkey for revoked.
        var cliBoth = await AttestCli.RunAsync("ledger", "verify", "--db", fx.Path, "--vkey", current.VerifierKey.ToString(), "--vkey", previous.VerifierKey.ToString());
        Assert.True(cliBoth.ExitCode == 0, cliBoth.Error);
        var cliRevoked = await AttestCli.RunAsync("ledger", "verify", "--db", fx.Path, "--vkey", current.VerifierKey.ToString(),
            "--revoked-vkey", previous.VerifierKey.ToString());
        Assert.Equal(1, cliRevoked.ExitCode);
        Assert.Contains($"signed by revoked key {previousId}", cliRevoked.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_checkpoint_signed_by_current_and_revoked_keys_is_trusted_through_the_current_one()
    {
        var current = new Ed25519NoteSigner(LedgerFixture.Origin, Ed25519.GenerateSeed());
        var revoked = new Ed25519NoteSigner(LedgerFixture.Origin, Ed25519.GenerateSeed());
        var note = new Checkpoint(LedgerFixture.Origin, 1, MerkleHash.Leaf("x"u8)).Sign(revoked, current).ToUtf8();
        var options = new LedgerAuditOptions(LedgerFixture.Origin, [revoked.VerifierKey, current.VerifierKey]) { RevokedKeys = [revoked.VerifierKey] };
        Assert.True(LedgerTrust.TryOpenCheckpoint(note, options, out var checkpoint, out _));
        Assert.Equal(1, checkpoint.Size);
        var onlyRevoked = new Checkpoint(LedgerFixture.Origin, 1, MerkleHash.Leaf("x"u8)).Sign(revoked).ToUtf8();
        Assert.False(LedgerTrust.TryOpenCheckpoint(onlyRevoked, options, out _, out var refusal));
        Assert.Equal("revoked-key", refusal.Evidence!["cause"]);
    }
}
