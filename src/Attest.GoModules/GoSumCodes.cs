namespace Attest.GoModules;

/// <summary>Stable reason codes of every go.sum, go.mod, vendoring, zip and checksum-database finding, grouped
/// by prefix. Tests list them (a rename is a visible diff); <see cref="IsWarning"/> decides in one switch which
/// codes are advisory and do not fail verification.</summary>
public static class GoSumCodes
{
    // gosum.line.*: go.sum syntax
    public const string LineMalformed = "gosum.line.malformed";
    public const string LineDuplicate = "gosum.line.duplicate";
    public const string LineOrder = "gosum.line.order";
    public const string PathInvalid = "gosum.path.invalid";
    public const string VersionInvalid = "gosum.version.invalid";
    public const string VersionNonCanonical = "gosum.version.noncanonical";
    public const string VersionMajorMismatch = "gosum.version.major-mismatch";
    public const string HashMalformed = "gosum.hash.malformed";
    public const string HashUnknownAlgorithm = "gosum.hash.unknown-algorithm";
    public const string HashConflict = "gosum.hash.conflict";
    public const string HashEmptyGoMod = "gosum.hash.empty-gomod";

    // gosum.hash.* / gosum.entry.*: content against go.sum
    public const string HashMismatch = "gosum.hash.mismatch";
    public const string DirHashMismatch = "gosum.hash.dir-mismatch";
    public const string GoModHashMismatch = "gosum.hash.gomod-mismatch";
    public const string ZipGoModMismatch = "gosum.hash.zip-gomod-mismatch";
    public const string EntryMissing = "gosum.entry.missing";
    public const string GoModEntryMissing = "gosum.entry.gomod-missing";
    public const string ModuleNotInCache = "gosum.cache.missing";
    public const string FileUnreadable = "gosum.file.unreadable";
    public const string FileTooLarge = "gosum.file.too-large";

    // gosum.zip.* / gosum.dir.*: module zips and extracted trees
    public const string ZipUnreadable = "gosum.zip.unreadable";
    public const string ZipTooLarge = "gosum.zip.too-large";
    public const string ZipTooManyEntries = "gosum.zip.too-many-entries";
    public const string ZipBomb = "gosum.zip.bomb";
    public const string ZipPathPrefix = "gosum.zip.path-prefix";
    public const string ZipPathInvalid = "gosum.zip.path-invalid";
    public const string ZipPathTraversal = "gosum.zip.path-traversal";
    public const string ZipDuplicate = "gosum.zip.duplicate";
    public const string ZipCaseCollision = "gosum.zip.case-collision";
    public const string ZipFileAndDirectory = "gosum.zip.file-and-directory";
    public const string ZipGoModNotRoot = "gosum.zip.gomod-not-root";
    public const string ZipGoModCase = "gosum.zip.gomod-case";
    public const string ZipSymlink = "gosum.zip.symlink";
    public const string ZipDirectoryEntry = "gosum.zip.directory-entry";
    public const string ZipModulePathInvalid = "gosum.zip.module-path-invalid";
    public const string ZipVersionInvalid = "gosum.zip.version-invalid";
    public const string DirIrregularFile = "gosum.dir.irregular-file";
    public const string DirNameInvalid = "gosum.dir.name-invalid";
    public const string DirTooManyFiles = "gosum.dir.too-many-files";

    // gosum.gomod.*: go.mod syntax
    public const string GoModSyntax = "gosum.gomod.syntax";
    public const string GoModDirective = "gosum.gomod.directive";
    public const string GoModMissing = "gosum.gomod.missing";

    // gosum.vendor.*: vendor/modules.txt and vendored files
    public const string VendorSyntax = "gosum.vendor.syntax";
    public const string VendorExplicitMissing = "gosum.vendor.explicit-missing";
    public const string VendorExplicitExtra = "gosum.vendor.explicit-extra";
    public const string VendorVersionMismatch = "gosum.vendor.version-mismatch";
    public const string VendorReplaceMismatch = "gosum.vendor.replace-mismatch";
    public const string VendorGoVersionMismatch = "gosum.vendor.go-version-mismatch";
    public const string VendorFileModified = "gosum.vendor.file-modified";
    public const string VendorFileExtra = "gosum.vendor.file-extra";
    public const string VendorFileUnlisted = "gosum.vendor.file-unlisted";
    public const string VendorUnverified = "gosum.vendor.unverified";

    // gosum.replace.*, gosum.sumdb-exempt, gosum.policy.*
    public const string ReplaceLocal = "gosum.replace.local";
    public const string ReplaceModule = "gosum.replace.module";
    public const string SumDbExempt = "gosum.sumdb.exempt";
    public const string SumDbExemptAll = "gosum.sumdb.exempt-all";
    public const string PolicyDeniedModule = "gosum.policy.denied-module";
    public const string PolicyLocalReplace = "gosum.policy.local-replace";
    public const string PolicySumDbExempt = "gosum.policy.sumdb-exempt";
    public const string CacheZipHashMismatch = "gosum.cache.ziphash-mismatch";

    /// <summary>go.mod requires no module and go.sum lists none: a pass says nothing about any dependency.</summary>
    public const string NothingChecked = "gosum.gomod.nothing-checked";

    // gosum.env.*: go command settings seen by the build (advisory)
    public const string EnvModMod = "gosum.env.mod-mod";
    public const string EnvModCacheRw = "gosum.env.modcacherw";
    public const string EnvInsecure = "gosum.env.insecure";
    public const string EnvNoSumCheck = "gosum.env.nosumcheck";

    // gosum.sumdb.*: checksum database
    public const string SumDbNoteMalformed = "gosum.sumdb.note-malformed";
    public const string SumDbSignatureInvalid = "gosum.sumdb.signature-invalid";
    public const string SumDbNoteUnverified = "gosum.sumdb.note-unverified";
    public const string SumDbRecordMalformed = "gosum.sumdb.record-malformed";
    public const string SumDbTileMissing = "gosum.sumdb.tile-missing";
    public const string SumDbInclusion = "gosum.sumdb.inclusion-failed";
    public const string SumDbTreeInconsistent = "gosum.sumdb.tree-inconsistent";
    public const string SumDbHashMismatch = "gosum.sumdb.hash-mismatch";
    public const string SumDbRecordMissing = "gosum.sumdb.record-missing";

    /// <summary>Every code, for the snapshot test and documentation.</summary>
    public static IReadOnlyList<string> All { get; } =
        typeof(GoSumCodes).GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)
            .Order(StringComparer.Ordinal)
            .ToArray();

    /// <summary>Advisory codes: reported, but verification still passes. Everything else fails verification.</summary>
    public static bool IsWarning(string code) => code switch
    {
        LineOrder or LineDuplicate or ZipDirectoryEntry or ReplaceModule or ReplaceLocal or SumDbExempt
            or ModuleNotInCache or VendorUnverified or NothingChecked or EnvModMod or EnvModCacheRw or EnvInsecure or EnvNoSumCheck => true,
        _ => false,
    };
}
