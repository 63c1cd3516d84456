using Attest.GoModules;
using Attest.Server.Checks;

namespace Attest.Fuzz.Targets;

/// <summary>An uploaded vendor/modules.txt as <c>POST /v1/gosum/verify</c> reads it: <see cref="VendorModulesTxt.Load"/>
/// with the server's limits. Every problem is a finding in the result.</summary>
internal static class ModulesTxtTarget
{
    public static void Run(byte[] input) => VendorModulesTxt.Load(ScratchFile.Write("modules.txt", input), CheckLimits.GoModules);
}
