using System.Text;

namespace Attest.GoModules;

/// <summary>Go string order: byte-wise over UTF-8. <see cref="string.CompareOrdinal(string, string)"/> compares UTF-16 code
/// units and disagrees for names that mix characters at or above U+E000 with supplementary-plane characters.</summary>
public sealed class Utf8Order : IComparer<string>
{
    public static Utf8Order Instance { get; } = new();

    int IComparer<string>.Compare(string? x, string? y) => Compare(x ?? "", y ?? "");

    public static int Compare(string x, string y)
    {
        var i = 0;
        var j = 0;
        while (i < x.Length && j < y.Length)
        {
            if (x[i] == y[j] && !char.IsSurrogate(x[i])) { i++; j++; continue; }
            Rune.DecodeFromUtf16(x.AsSpan(i), out var a, out var na);
            Rune.DecodeFromUtf16(y.AsSpan(j), out var b, out var nb);
            // Code point order equals UTF-8 byte order (for valid scalars).
            if (a.Value != b.Value) return a.Value < b.Value ? -1 : 1;
            i += na;
            j += nb;
        }
        if (i < x.Length) return 1;
        return j < y.Length ? -1 : 0;
    }
}
