using Attest.GoModules;
using Attest.GoModules.Uploads;
using Attest.Server.Checks;

namespace Attest.Fuzz.Targets;

/// <summary>
/// A zip from outside: as a module zip the checksum database and the go.sum check hash
/// (<see cref="ModuleZip.Hash(Stream, ModuleVersion, GoModulesLimits?, string)"/>, findings in the result) and the CLI
/// reads go.mod from (<see cref="ModuleZip.ReadGoMod"/>); as an upload of <c>POST /v1/gosum/verify</c>: the end-record
/// entry count (<see cref="ZipDirectory.EntryCount"/>), a <c>module</c> part's identity
/// (<see cref="ModuleZipIdentity.Identify"/>, a sentence when refused) and the extraction of a <c>vendor</c> part
/// (<see cref="ExtractionBudget.Extract"/>, an <see cref="UploadProblem"/> when refused).
/// </summary>
internal static class ModuleZipTarget
{
    private static readonly ModuleVersion Module = ModuleVersion.TryParse("example.com/m@v1.0.0", out var module) ? module! : throw new InvalidOperationException();

    public static void Run(byte[] input)
    {
        using (var stream = new MemoryStream(input, writable: false)) ModuleZip.Hash(stream, Module, CheckLimits.GoModules);
        var path = ScratchFile.Write("upload.zip", input);
        ModuleZip.ReadGoMod(path, Module, CheckLimits.GoModules);
        ZipDirectory.EntryCount(path);
        ModuleZipIdentity.Identify(path);
        var target = Path.Combine(ScratchFile.Directory, "vendor");
        try
        {
            new ExtractionBudget(CheckLimits.MaxExtractedBytes, CheckLimits.MaxExtractedEntries, CheckLimits.MaxCompressionRatio).Extract(path, "vendor", target);
        }
        finally
        {
            if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
        }
    }
}
