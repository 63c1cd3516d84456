namespace Attest.GoModules.Tests;

public class GoSumCodesTests
{
    /// <summary>Codes are a public contract (policy, JSON output, ledger entries): a rename must show up here.</summary>
    [Fact]
    public void Codes_snapshot_is_stable()
    {
        const string expected = """
            gosum.cache.missing
            gosum.cache.ziphash-mismatch
            gosum.dir.irregular-file
            gosum.dir.name-invalid
            gosum.dir.too-many-files
            gosum.entry.gomod-missing
            gosum.entry.missing
            gosum.env.insecure
            gosum.env.mod-mod
            gosum.env.modcacherw
            gosum.env.nosumcheck
            gosum.file.too-large
            gosum.file.unreadable
            gosum.gomod.directive
            gosum.gomod.missing
            gosum.gomod.nothing-checked
            gosum.gomod.syntax
            gosum.hash.conflict
            gosum.hash.dir-mismatch
            gosum.hash.empty-gomod
            gosum.hash.gomod-mismatch
            gosum.hash.malformed
            gosum.hash.mismatch
            gosum.hash.unknown-algorithm
            gosum.hash.zip-gomod-mismatch
            gosum.line.duplicate
            gosum.line.malformed
            gosum.line.order
            gosum.path.invalid
            gosum.policy.denied-module
            gosum.policy.local-replace
            gosum.policy.sumdb-exempt
            gosum.replace.local
            gosum.replace.module
            gosum.sumdb.exempt
            gosum.sumdb.exempt-all
            gosum.sumdb.hash-mismatch
            gosum.sumdb.inclusion-failed
            gosum.sumdb.note-malformed
            gosum.sumdb.note-unverified
            gosum.sumdb.record-malformed
            gosum.sumdb.record-missing
            gosum.sumdb.signature-invalid
            gosum.sumdb.tile-missing
            gosum.sumdb.tree-inconsistent
            gosum.vendor.explicit-extra
            gosum.vendor.explicit-missing
            gosum.vendor.file-extra
            gosum.vendor.file-modified
            gosum.vendor.file-unlisted
            gosum.vendor.go-version-mismatch
            gosum.vendor.replace-mismatch
            gosum.vendor.syntax
            gosum.vendor.unverified
            gosum.vendor.version-mismatch
            gosum.version.invalid
            gosum.version.major-mismatch
            gosum.version.noncanonical
            gosum.zip.bomb
            gosum.zip.case-collision
            gosum.zip.directory-entry
            gosum.zip.duplicate
            gosum.zip.file-and-directory
            gosum.zip.gomod-case
            gosum.zip.gomod-not-root
            gosum.zip.module-path-invalid
            gosum.zip.path-invalid
            gosum.zip.path-prefix
            gosum.zip.path-traversal
            gosum.zip.symlink
            gosum.zip.too-large
            gosum.zip.too-many-entries
            gosum.zip.unreadable
            gosum.zip.version-invalid
            """;
        Assert.Equal(expected.Split('\n'), GoSumCodes.All);
    }

    [Fact]
    public void Codes_are_unique_and_dotted_under_gosum()
    {
        Assert.Equal(GoSumCodes.All.Count, GoSumCodes.All.Distinct().Count());
        Assert.All(GoSumCodes.All, c => Assert.Matches(@"^gosum\.[a-z]+\.[a-z0-9-]+$", c));
    }

    [Theory]
    [InlineData(GoSumCodes.HashMismatch, false)]
    [InlineData(GoSumCodes.LineOrder, true)]
    [InlineData(GoSumCodes.ReplaceLocal, true)]
    [InlineData(GoSumCodes.PolicyLocalReplace, false)]
    [InlineData(GoSumCodes.ZipDirectoryEntry, true)]
    public void IsWarning_separates_advisory_codes(string code, bool warning) => Assert.Equal(warning, GoSumCodes.IsWarning(code));
}
