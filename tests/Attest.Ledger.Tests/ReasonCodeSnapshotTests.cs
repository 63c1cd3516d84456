using System.Reflection;
using Attest.Core.Transparency;

namespace Attest.Ledger.Tests;

/// <summary>Reason codes are a public contract: this list makes a rename or removal a visible diff.</summary>
public class ReasonCodeSnapshotTests
{
    [Fact]
    public void Ledger_and_transparency_codes_are_the_published_set()
    {
        string[] expected =
        [
            "checkpoint.malformed", "checkpoint.origin-mismatch",
            "ledger.checkpoint.beyond-log", "ledger.checkpoint.head-mismatch", "ledger.checkpoint.inconsistent", "ledger.checkpoint.none",
            "ledger.checkpoint.rollback", "ledger.checkpoint.root-mismatch", "ledger.checkpoint.row-mismatch", "ledger.checkpoint.signature",
            "ledger.entry.column-mismatch", "ledger.entry.index-mismatch", "ledger.entry.leaf-hash-mismatch", "ledger.entry.malformed", "ledger.entry.missing",
            "ledger.node.mismatch", "ledger.record.column-mismatch", "ledger.record.duplicate", "ledger.record.malformed",
            "ledger.witness.cosignature-invalid", "ledger.witness.quorum-not-met",
            "note.key.hash-mismatch", "note.key.malformed", "note.key.unsupported", "note.malformed", "note.signature.invalid",
            "note.too-large", "note.too-many-signatures", "note.unverified",
            "tlog.consistency.new-root-mismatch", "tlog.consistency.old-root-mismatch", "tlog.consistency.proof-size",
            "tlog.consistency.size-order", "tlog.hash.size", "tlog.inclusion.index-out-of-range", "tlog.inclusion.proof-size",
            "tlog.inclusion.root-mismatch",
        ];
        var actual = Codes(typeof(LedgerCodes)).Concat(Codes(typeof(TransparencyCodes))).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(expected, actual);
    }

    private static IEnumerable<string> Codes(Type type) =>
        type.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!);
}
