namespace Attest.GoModules.Tests;

/// <summary>x/mod <c>zip/testdata/check_zip</c>: every entry the reference lists as invalid is named by a failing
/// finding; entries it lists as valid are not.</summary>
public sealed class XmodZipCheckTests
{
    [Theory]
    [InlineData("various.txt")]
    [InlineData("empty.txt")]
    public void Module_zip_findings_match_xmod_check_zip(string file)
    {
        var (archive, module) = ModuleZipTests.LoadXmod("check_zip", file);
        var want = archive.Files.Single(f => f.Name == "want").Data;
        var (valid, invalid) = ParseWant(System.Text.Encoding.UTF8.GetString(want));
        using var zip = TestZips.Build(archive.Files.Where(f => f.Name != "want"));
        var result = ModuleZip.Hash(zip, module);
        var failing = result.Findings.Where(f => !GoSumCodes.IsWarning(f.Code)).ToList();
        foreach (var name in invalid)
            Assert.Contains(failing, f => f.Evidence!.TryGetValue("entry", out var entry) && entry == name);
        foreach (var name in valid.Except(invalid))
            Assert.DoesNotContain(failing, f => f.Evidence!.TryGetValue("entry", out var entry) && entry == name);
        Assert.Equal(invalid.Count == 0, result.IsClean);
    }

    internal static (List<string> Valid, List<string> Invalid) ParseWant(string text)
    {
        var valid = new List<string>();
        var invalid = new List<string>();
        List<string>? current = null;
        foreach (var line in text.Split('\n'))
        {
            switch (line)
            {
                case "valid:": current = valid; continue;
                case "omitted:": current = null; continue;
                case "invalid:": current = invalid; continue;
                case "": continue;
            }
            if (current is null) continue;
            var colon = current == invalid ? line.IndexOf(": ", StringComparison.Ordinal) : -1;
            current.Add(colon >= 0 ? line[..colon] : line);
        }
        return (valid, invalid);
    }
}
