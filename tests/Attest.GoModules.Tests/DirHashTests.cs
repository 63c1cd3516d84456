using System.Text;
using Attest.Testing;

namespace Attest.GoModules.Tests;

public class DirHashTests
{
    private static DirHashFile File(string name, string content) => new(name, () => new MemoryStream(Encoding.UTF8.GetBytes(content)));

    [Fact]
    public void Hash1_matches_xmod_TestHash1_vector()
    {
        // x/mod TestHash1: files xyz and abc with content "data for <name>" (tests/vectors/go/dirhash-vectors.txt).
        var hash = DirHash.Hash1([File("xyz", "data for xyz"), File("abc", "data for abc")]);
        Assert.Equal(Vector("TestHash1"), hash);
    }

    [Fact]
    public void Hash1_matches_xmod_TestHashDir_vector_with_prefixed_names()
    {
        var hash = DirHash.Hash1([File("prefix/xyz", "data for xyz"), File("prefix/abc", "data for abc")]);
        Assert.Equal(Vector("TestHashDir"), hash);
    }

    [Fact]
    public void Hash1_is_independent_of_input_order_but_not_of_names()
    {
        var a = DirHash.Hash1([File("a", "1"), File("b", "2")]);
        var b = DirHash.Hash1([File("b", "2"), File("a", "1")]);
        var renamed = DirHash.Hash1([File("a", "1"), File("c", "2")]);
        Assert.Equal(a, b);
        Assert.NotEqual(a, renamed);
    }

    [Fact]
    public void Hash1_of_no_files_is_the_empty_module_constant()
    {
        Assert.Equal(DirHash.Empty, DirHash.Hash1([]));
        Assert.Contains(DirHash.Empty, VectorsText());
    }

    [Fact]
    public void HashGoMod_of_empty_file_is_the_empty_gomod_constant()
    {
        Assert.Equal(DirHash.EmptyGoMod, DirHash.HashGoMod([]));
        Assert.Contains(DirHash.EmptyGoMod, VectorsText());
    }

    [Fact]
    public void Hash1_rejects_names_with_newlines()
    {
        var e = Assert.Throws<ArgumentException>(() => DirHash.Hash1([File("a\nb", "x")]));
        Assert.Contains("newlines", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Hash1_sorts_by_utf8_bytes_not_utf16_code_units()
    {
        // U+FF21 sorts before U+10400 in UTF-8 (EF BC A1 < F0 90 90 80) but after it in UTF-16 (FF21 > D801).
        Assert.True(Utf8Order.Compare("d\uFF21.txt", "d\U00010400.txt") < 0);
        Assert.True(string.CompareOrdinal("d\uFF21.txt", "d\U00010400.txt") > 0);
    }

    [Fact]
    public void Legacy_gomod_hash_matches_go_tool_for_incompatible_module()
    {
        // example.com/attest/old has no go.mod: its /go.mod line hashes the synthesized "module <path>\n".
        var hash = DirHash.HashGoMod(DirHash.LegacyGoMod("example.com/attest/old"));
        Assert.Contains($"example.com/attest/old v3.0.0+incompatible/go.mod {hash}", VectorsText());
    }

    [Fact]
    public void IsWellFormedH1_accepts_only_h1_prefix_and_32_byte_base64()
    {
        Assert.True(DirHash.IsWellFormedH1(DirHash.Empty));
        Assert.False(DirHash.IsWellFormedH1("h1:garbage+hash"));
        Assert.False(DirHash.IsWellFormedH1("h2:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="));
        Assert.False(DirHash.IsWellFormedH1("h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuF=="));
    }

    internal static string VectorsText() => System.IO.File.ReadAllText(RepositoryPaths.Vectors("go", "dirhash-vectors.txt"));

    private static string Vector(string label)
    {
        var line = VectorsText().Split('\n').Single(l => l.StartsWith(label + " ", StringComparison.Ordinal));
        var at = line.IndexOf("h1:", StringComparison.Ordinal);
        return line[at..(at + 47)];
    }
}
