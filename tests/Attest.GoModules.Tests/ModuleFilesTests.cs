using System.Text;
using Attest.Testing;

namespace Attest.GoModules.Tests;

/// <summary>x/mod <c>zip/testdata/{check_files,check_dir,create,create_from_dir}</c>: which files go into a module zip.</summary>
public sealed class ModuleFilesTests
{
    private static string Set(string set) => RepositoryPaths.Vectors("go", "xmod-zip-testdata", set);

    public static TheoryData<string> Cases(string set) => new(Directory.GetFiles(Set(set), "*.txt").Select(Path.GetFileName)!);

    private static string? GoVersionOf(IEnumerable<(string Name, byte[] Data)> files) =>
        files.Where(f => f.Name == "go.mod").Select(f => GoModFile.Parse(Encoding.UTF8.GetString(f.Data)).GoVersion).FirstOrDefault();

    [Theory]
    [MemberData(nameof(Cases), "check_files")]
    public void Check_classifies_files_like_xmod_CheckFiles(string file)
    {
        var archive = Txtar.Load(Path.Combine(Set("check_files"), file));
        var files = archive.Files.Where(f => f.Name != "want").ToList();
        var checks = ModuleFiles.Check(files.Select(f => f.Name).ToList(), GoVersionOf(files));
        AssertMatchesWant(archive, checks, prefix: "");
    }

    [Theory]
    [MemberData(nameof(Cases), "check_dir")]
    public void Directory_listing_and_check_match_xmod_CheckDir(string file)
    {
        var archive = Txtar.Load(Path.Combine(Set("check_dir"), file));
        using var dir = new TempDirectory();
        var files = archive.Files.Where(f => f.Name != "want").ToList();
        foreach (var (name, data) in files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(dir.Combine(name))!);
            File.WriteAllBytes(dir.Combine(name), data);
        }
        var (listed, omittedDirectories) = ModuleFiles.ListDirectory(dir.Path);
        var checks = omittedDirectories.Concat(ModuleFiles.Check(listed, GoVersionOf(files))).ToList();
        AssertMatchesWant(archive, checks, prefix: "$work/");
    }

    private static void AssertMatchesWant(Txtar archive, IEnumerable<ModuleFileCheck> checks, string prefix)
    {
        var want = Encoding.UTF8.GetString(archive.Files.Single(f => f.Name == "want").Data);
        var expected = new HashSet<(string, ModuleFileStatus, string?)>();
        ModuleFileStatus? status = null;
        foreach (var line in want.Split('\n'))
        {
            if (line is "valid:") { status = ModuleFileStatus.Valid; continue; }
            if (line is "omitted:") { status = ModuleFileStatus.Omitted; continue; }
            if (line is "invalid:") { status = ModuleFileStatus.Invalid; continue; }
            if (line.Length == 0 || status is null) continue;
            var text = line.StartsWith(prefix, StringComparison.Ordinal) ? line[prefix.Length..] : line;
            var colon = status == ModuleFileStatus.Valid ? -1 : text.IndexOf(": ", StringComparison.Ordinal);
            expected.Add(colon < 0 ? (text, status.Value, null) : (text[..colon], status.Value, Normalize(text[(colon + 2)..])));
        }
        var actual = checks.Select(c => (c.Path, c.Status, c.Reason is null ? null : Normalize(c.Reason))).ToHashSet();
        Assert.Equal(expected.OrderBy(e => e.ToString()), actual.OrderBy(e => e.ToString()));
    }

    // Go quotes the rune '\'' where we write '''; the rest of each reason is the same text.
    private static string Normalize(string reason) => reason.Replace("'\\''", "'''", StringComparison.Ordinal);

    public static TheoryData<string> CreateCases() => Cases("create");

    [Theory]
    [MemberData(nameof(Cases), "create")]
    public void Zip_created_from_file_list_hashes_like_xmod_Create(string file)
    {
        var archive = Txtar.Load(Path.Combine(Set("create"), file));
        var module = new ModuleVersion(archive.Header("path")!, archive.Header("version")!);
        var files = archive.Files.ToList();
        var checks = ModuleFiles.Check(files.Select(f => f.Name).ToList(), GoVersionOf(files));
        var moduleError = module.Check();
        if (archive.Header("wantErr") is { } wantErr)
        {
            var reasons = checks.Where(c => c.Status == ModuleFileStatus.Invalid).Select(c => $"{c.Path}: {c.Reason}").Append(moduleError ?? "");
            Assert.Contains(reasons, r => Normalize(r).Contains(Normalize(wantErr.Replace("\\xff", "\uFFFD", StringComparison.Ordinal)), StringComparison.Ordinal));
            return;
        }
        Assert.Null(moduleError);
        var valid = checks.Where(c => c.Status == ModuleFileStatus.Valid).Select(c => files.First(f => f.Name == c.Path));
        var hash = DirHash.Hash1(valid.Select(f => new DirHashFile(module.ZipPrefix + f.Name, () => new MemoryStream(f.Data))));
        Assert.Equal(archive.Header("hash"), hash);
    }

    [Theory]
    [MemberData(nameof(Cases), "create_from_dir")]
    public void Zip_created_from_directory_hashes_like_xmod_CreateFromDir(string file)
    {
        var archive = Txtar.Load(Path.Combine(Set("create_from_dir"), file));
        var module = new ModuleVersion(archive.Header("path")!, archive.Header("version")!);
        using var dir = new TempDirectory();
        foreach (var (name, data) in archive.Files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(dir.Combine(name))!);
            File.WriteAllBytes(dir.Combine(name), data);
        }
        var (hash, checks) = ModuleFiles.HashAsZip(dir.Path, module);
        var moduleError = module.Check();
        if (archive.Header("wantErr") is { } wantErr)
        {
            var reasons = checks.Where(c => c.Status == ModuleFileStatus.Invalid).Select(c => $"{c.Path}: {c.Reason}").Append(moduleError ?? "");
            Assert.Contains(reasons, r => r.Length > 0 && Normalize(r).Contains(Normalize(wantErr.Replace("\\xff", "\uFFFD", StringComparison.Ordinal)), StringComparison.Ordinal));
            return;
        }
        Assert.Null(moduleError);
        Assert.Equal(archive.Header("hash"), hash);
    }
}
