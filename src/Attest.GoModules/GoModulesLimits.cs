namespace Attest.GoModules;

/// <summary>Every bound the go.sum, go.mod, modules.txt, zip and directory readers enforce, in one place.
/// Defaults follow the go command where it has a limit (x/mod <c>zip.MaxZipFile</c>, <c>MaxGoMod</c>,
/// <c>MaxLICENSE</c>) and are generous but finite elsewhere.</summary>
public sealed record GoModulesLimits
{
    public static GoModulesLimits Default { get; } = new();

    /// <summary>Largest go.sum file read (bytes).</summary>
    public long MaxGoSumBytes { get; init; } = 64L << 20;

    /// <summary>Largest go.mod file read (bytes); x/mod <c>MaxGoMod</c> is 16 MiB.</summary>
    public long MaxGoModBytes { get; init; } = 16L << 20;

    /// <summary>Largest vendor/modules.txt read (bytes).</summary>
    public long MaxModulesTxtBytes { get; init; } = 64L << 20;

    /// <summary>Longest single line accepted in go.sum, go.mod or modules.txt (bytes).</summary>
    public int MaxLineBytes { get; init; } = 16 << 10;

    /// <summary>Most findings reported for one file before the reader stops listing them.</summary>
    public int MaxFindingsPerFile { get; init; } = 1000;

    /// <summary>Largest module zip file on disk (bytes); x/mod <c>MaxZipFile</c> is 500 MiB.</summary>
    public long MaxZipFileBytes { get; init; } = 500L << 20;

    /// <summary>Largest sum of uncompressed entry sizes of one module (bytes), the zip-bomb cap; x/mod applies 500 MiB.</summary>
    public long MaxModuleUncompressedBytes { get; init; } = 500L << 20;

    /// <summary>Largest uncompressed size of one file in a module (bytes).</summary>
    public long MaxFileBytes { get; init; } = 500L << 20;

    /// <summary>Largest go.mod or LICENSE inside a module zip (bytes); x/mod <c>MaxGoMod</c>/<c>MaxLICENSE</c>.</summary>
    public long MaxGoModOrLicenseInZipBytes { get; init; } = 16L << 20;

    /// <summary>Most entries in one module zip or files in one module directory.</summary>
    public int MaxFilesPerModule { get; init; } = 100_000;

    /// <summary>Largest ratio of uncompressed to compressed size for one zip entry larger than 1 MiB.</summary>
    public int MaxCompressionRatio { get; init; } = 1000;

    /// <summary>Most modules examined in one module cache or go.sum.</summary>
    public int MaxModules { get; init; } = 100_000;

    /// <summary>Largest sumdb lookup, note or tile file read (bytes).</summary>
    public long MaxSumDbFileBytes { get; init; } = 1L << 20;

    /// <summary>Longest module path a checksum database accepts (characters); the go command has no limit, real
    /// paths are far shorter, and a record must fit the audit ledger's fields.</summary>
    public int MaxModulePathLength { get; init; } = 1024;

    /// <summary>Longest module version a checksum database accepts (characters; pseudo-versions are about 50).</summary>
    public int MaxVersionLength { get; init; } = 256;
}
