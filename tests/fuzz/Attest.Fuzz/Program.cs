using Attest.Fuzz;
using SharpFuzz;

// Attest.Fuzz list                        the target names, one a line
// Attest.Fuzz TARGET                      under afl-fuzz: SharpFuzz's fork server runs TARGET on every input
//                                         (out of process, so a stack overflow or a hang is a finding, not the end
//                                         of the campaign); without afl-fuzz: TARGET once on stdin
// Attest.Fuzz TARGET replay PATH...       the plain harness over files (directories: every file in them); prints
//                                         the first finding and exits 1, or "N inputs, no finding" and exits 0
if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.Error.WriteLine("usage: Attest.Fuzz list | TARGET | TARGET replay PATH...");
    return 2;
}
if (args[0] == "list")
{
    foreach (var name in FuzzTargets.Names) Console.WriteLine(name);
    return 0;
}
if (!FuzzTargets.TryGet(args[0], out var target))
{
    Console.Error.WriteLine($"Attest.Fuzz: unknown target '{args[0]}' (Attest.Fuzz list)");
    return 2;
}
if (args.Length >= 2 && args[1] == "replay")
{
    var inputs = args.Skip(2).SelectMany(p => Directory.Exists(p) ? Directory.EnumerateFiles(p, "*", SearchOption.AllDirectories) : [p]).Order(StringComparer.Ordinal).ToList();
    foreach (var file in inputs)
    {
        try
        {
            target.Run(File.ReadAllBytes(file));
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"{target.Name}: finding on {file}: {e}");
            return 1;
        }
    }
    Console.WriteLine($"{target.Name}: {inputs.Count} inputs, no finding");
    return 0;
}

Fuzzer.OutOfProcess.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    target.Run(buffer.ToArray());
});
return 0;
