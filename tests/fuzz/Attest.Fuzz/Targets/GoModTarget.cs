using Attest.GoModules;
using Attest.Server.Checks;

namespace Attest.Fuzz.Targets;

/// <summary>An uploaded go.mod as <c>POST /v1/gosum/verify</c> reads it: <see cref="GoModFile.Load"/> with the
/// server's limits (bounded read, UTF-8, the x/mod grammar). Every problem is a finding in the result.</summary>
internal static class GoModTarget
{
    public static void Run(byte[] input)
    {
        var goMod = GoModFile.Load(ScratchFile.Write("go.mod", input), CheckLimits.GoModules);
        foreach (var replace in goMod.Replaces) _ = replace.IsLocal;
    }
}
