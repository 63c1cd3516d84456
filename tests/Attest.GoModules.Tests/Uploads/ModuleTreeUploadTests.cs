using Attest.GoModules.Uploads;

namespace Attest.GoModules.Tests.Uploads;

/// <summary>An uploaded module tree laid out as a checkout and module cache, without the HTTP layer: where each part
/// goes, and the uploads that could only verify nothing or that exceed the budget, refused with a sentence.</summary>
public sealed class ModuleTreeUploadTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("attest-tree-");

    public void Dispose() => _root.Delete(recursive: true);

    private static ExtractionBudget Budget(long bytes = 1 << 20, int entries = 100) => new(bytes, entries, 1000);

    private string File(string name, byte[] content)
    {
        var path = Path.Combine(_root.FullName, "parts", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllBytes(path, content);
        return path;
    }

    private string Zip(string name, params (string Name, string Data)[] entries) =>
        File(name, TestZips.Build(entries.Select(e => (e.Name, TestZips.Bytes(e.Data)))).ToArray());

    private string Staging => Path.Combine(_root.FullName, "staged");

    [Fact]
    public void Parts_go_where_the_verifier_reads_a_checkout_and_the_go_command_its_cache()
    {
        var parts = new ModuleTreeParts(File("go.mod", TestZips.Bytes("module example.com/app\n")), File("go.sum", TestZips.Bytes("")),
            Zip("vendor.zip", ("modules.txt", "# example.com/x v1.0.0\n"), ("example.com/x/x.go", "package x\n")), null, null,
            [Zip("m.zip", ("example.com/Upper@v1.2.3/go.mod", "module example.com/Upper\n"))]);

        var (tree, problem) = ModuleTreeUpload.Stage(Staging, parts, Budget());

        Assert.Null(problem);
        Assert.True(tree!.Vendored);
        Assert.True(System.IO.File.Exists(Path.Combine(tree.MainDirectory, "go.mod")));
        Assert.True(System.IO.File.Exists(Path.Combine(tree.MainDirectory, "vendor", "example.com", "x", "x.go")));
        // The go command's case-encoding of the path: Upper is !upper.
        Assert.True(System.IO.File.Exists(Path.Combine(tree.ModuleCache, "cache", "download", "example.com", "!upper", "@v", "v1.2.3.zip")));
    }

    [Fact]
    public void A_vendor_zip_of_the_directory_rather_than_its_contents_is_refused_with_how_to_build_it()
    {
        var parts = new ModuleTreeParts(File("go.mod", TestZips.Bytes("module example.com/app\n")), null,
            Zip("vendor.zip", ("vendor/modules.txt", "# example.com/x v1.0.0\n")), null, null, []);
        var (tree, problem) = ModuleTreeUpload.Stage(Staging, parts, Budget());
        Assert.Null(tree);
        Assert.False(problem!.TooLarge);
        Assert.StartsWith("'vendor' has no modules.txt at its root", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_same_module_zip_twice_is_refused()
    {
        var parts = new ModuleTreeParts(File("go.mod", TestZips.Bytes("module example.com/app\n")), null, null, null, null,
            [Zip("a.zip", ("example.com/m@v1.0.0/go.mod", "module example.com/m\n")), Zip("b.zip", ("example.com/m@v1.0.0/go.mod", "module example.com/m\n"))]);
        var (_, problem) = ModuleTreeUpload.Stage(Staging, parts, Budget());
        Assert.Equal("the module zip of example.com/m@v1.0.0 is given more than once", problem!.Message);
    }

    [Fact]
    public void A_module_cache_beyond_the_budget_is_too_large_not_invalid()
    {
        var parts = new ModuleTreeParts(File("go.mod", TestZips.Bytes("module example.com/app\n")), null, null, null,
            Zip("modcache.zip", ("cache/download/big", new string('x', 4096))), []);
        var (tree, problem) = ModuleTreeUpload.Stage(Staging, parts, Budget(bytes: 1024));
        Assert.Null(tree);
        Assert.True(problem!.TooLarge);
        Assert.Contains("part 'modcache' expands to more than 1024 bytes", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_module_cache_without_its_download_directory_is_refused()
    {
        var parts = new ModuleTreeParts(File("go.mod", TestZips.Bytes("module example.com/app\n")), null, null, null,
            Zip("modcache.zip", ("pkg/mod/cache/download/x", "x")), []);
        var (_, problem) = ModuleTreeUpload.Stage(Staging, parts, Budget());
        Assert.StartsWith("'modcache' has no cache/download directory at its root", problem!.Message, StringComparison.Ordinal);
    }
}
