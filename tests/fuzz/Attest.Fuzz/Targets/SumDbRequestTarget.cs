using System.Text;
using Attest.GoModules;
using Attest.GoModules.SumDb;
using Attest.Ledger.SumDb;

namespace Attest.Fuzz.Targets;

/// <summary>
/// What an anonymous client sends the checksum database: a <c>/lookup/</c> tail (<see cref="SumDbModule.TryParseLookup"/>),
/// a tile path (<see cref="SumDbTile.TryParsePath"/>), and, read as a record, the text rules of the log
/// (<see cref="SumDbLog.IsValidRecordText"/>, <see cref="SumDbRecord.TryParse"/>). Every refusal is a false; whatever
/// is accepted must read back as itself (the case-encoding and the tile path are canonical).
/// </summary>
internal static class SumDbRequestTarget
{
    public static void Run(byte[] input)
    {
        var text = Encoding.UTF8.GetString(input);
        if (SumDbModule.TryParseLookup(text, GoModulesLimits.Default, out var module, out _))
        {
            var again = $"{ModulePath.Escape(module.Path)}@{ModulePath.EscapeVersion(module.Version)}";
            if (again != text) throw new InvalidOperationException($"lookup '{text}' reads as {module}, which escapes to '{again}'");
        }
        if (SumDbTile.TryParsePath(text, out var tile) && tile.Path != text)
            throw new InvalidOperationException($"tile path '{text}' reads as a tile whose path is '{tile.Path}'");
        if (SumDbLog.IsValidRecordText(input))
        {
            var first = text.Split('\n')[0].Split(' ');
            if (first.Length == 3 && SumDbRecord.TryParse(text, new ModuleVersion(first[0], first[1]), out var record, out _) && record!.Text != text)
                throw new InvalidOperationException("a record does not read back as itself");
        }
    }
}
