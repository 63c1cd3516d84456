using Attest.Testing;

namespace Attest.Core.Tests.Transparency;

/// <summary>Reads the pieces of tests/vectors/go/note-vectors.txt the tests use.</summary>
internal static class NoteVectors
{
    private static readonly Lazy<string[]> Lines = new(() => File.ReadAllLines(RepositoryPaths.Vectors("go", "note-vectors.txt")));

    public static string SumDbKey => Vkeys().First(k => k.StartsWith("sum.golang.org+", StringComparison.Ordinal));

    public static string PeterKey => Vkeys().First(k => k.StartsWith("PeterNeumann+", StringComparison.Ordinal));

    public static string EnochKey => Vkeys().First(k => k.StartsWith("EnochRoot+", StringComparison.Ordinal));

    public static string TestSumDbKey => Vkeys().First(k => k.StartsWith("localhost.localdev/sumdb+", StringComparison.Ordinal));

    public static string PeterSigner => Signers().First(s => s.Contains("PeterNeumann", StringComparison.Ordinal));

    public static string TestSumDbSigner => Signers().First(s => s.Contains("localhost.localdev", StringComparison.Ordinal));

    /// <summary>The two-line PeterNeumann/EnochRoot text, final newline included.</summary>
    public static string PeterText
    {
        get
        {
            var i = Array.FindIndex(Lines.Value, l => l.StartsWith("text (2 lines", StringComparison.Ordinal));
            return Lines.Value[i + 1] + "\n" + Lines.Value[i + 2] + "\n";
        }
    }

    public static string PeterSignatureLine => SignatureLines()[0] + "\n";

    public static string EnochSignatureLine => SignatureLines()[1] + "\n";

    public static IReadOnlyList<string> NegativeVkeys =>
        [.. Lines.Value.SkipWhile(l => !l.StartsWith("negative vkeys", StringComparison.Ordinal)).Skip(1).Take(2).Select(l => l.Trim().Split(' ')[0])];

    /// <summary>The real sum.golang.org tree heads between BEGIN/END NOTE markers.</summary>
    public static IReadOnlyList<string> SumDbTreeHeads()
    {
        var notes = new List<string>();
        for (var i = 0; i < Lines.Value.Length; i++)
        {
            if (!Lines.Value[i].StartsWith("-----BEGIN NOTE", StringComparison.Ordinal)) continue;
            var end = Array.FindIndex(Lines.Value, i, l => l.StartsWith("-----END NOTE", StringComparison.Ordinal));
            notes.Add(string.Concat(Lines.Value[(i + 1)..end].Select(l => l + "\n")));
            i = end;
        }
        return notes;
    }

    private static IEnumerable<string> Vkeys() =>
        Lines.Value.Where(l => l.StartsWith("vkey:", StringComparison.Ordinal)).Select(l => l["vkey:".Length..].Trim());

    private static IEnumerable<string> Signers() =>
        Lines.Value.Where(l => l.StartsWith("signer:", StringComparison.Ordinal)).Select(l => l["signer:".Length..].Trim());

    private static string[] SignatureLines()
    {
        var i = Array.FindIndex(Lines.Value, l => l == "sig lines:");
        return [Lines.Value[i + 1], Lines.Value[i + 2]];
    }
}
