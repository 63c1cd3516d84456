using Attest.GoModules;
using Attest.Server.Checks;

namespace Attest.Fuzz.Targets;

/// <summary>An uploaded go.sum as <c>POST /v1/gosum/verify</c> reads it: <see cref="GoSumFile.Load"/> with the
/// server's limits. Every problem is a finding in the result.</summary>
internal static class GoSumTarget
{
    public static void Run(byte[] input)
    {
        var goSum = GoSumFile.Load(ScratchFile.Write("go.sum", input), CheckLimits.GoModules);
        foreach (var module in goSum.Modules) module.Check();
    }
}
