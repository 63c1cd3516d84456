using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Attest.Core;
using Attest.GoModules;
using Attest.Testing;

namespace Attest.Server.Tests.Checks;

/// <summary><c>POST /v1/gosum/verify</c> on a real server: a consistent module passes and gets an attestation that
/// verifies and satisfies an image policy; a tampered zip, a denied module and bad uploads do not.</summary>
[Collection(CheckCollection.Name)]
public sealed class GoSumVerifyTests(CheckServerFixture fixture)
{
    private static readonly ModuleVersion A = new("example.com/attest/a", "v1.0.0");
    private const string GoMod = "module example.com/app\n\ngo 1.17\n\nrequire example.com/attest/a v1.0.0\n";

    /// <summary>The hand-made module of tests/vectors/go (txtar: <c>.mod</c> section, then the module's files).</summary>
    private static (byte[] Mod, List<(string Name, byte[] Data)> Files) ModuleA()
    {
        var text = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "tests", "vectors", "go", "attest-own-txtar-modules", "example.com_attest_a_v1.0.0.txt"));
        var sections = new List<(string Name, StringBuilder Data)>();
        foreach (var line in text.Split('\n').SkipLast(1))
        {
            if (line.StartsWith("-- ", StringComparison.Ordinal) && line.EndsWith(" --", StringComparison.Ordinal)) sections.Add((line[3..^3], new StringBuilder()));
            else if (sections.Count > 0) sections[^1].Data.Append(line).Append('\n');
        }
        var mod = Encoding.UTF8.GetBytes(sections.Single(s => s.Name == ".mod").Data.ToString());
        return (mod, sections.Where(s => !s.Name.StartsWith('.')).Select(s => (s.Name, Encoding.UTF8.GetBytes(s.Data.ToString()))).ToList());
    }

    private static byte[] Zip(IEnumerable<(string Name, byte[] Data)> entries, CompressionLevel level = CompressionLevel.Optimal)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, data) in entries)
            {
                using var stream = zip.CreateEntry(name, level).Open();
                stream.Write(data);
            }
        return buffer.ToArray();
    }

    private static string GoSum()
    {
        var (mod, files) = ModuleA();
        var h1 = DirHash.Hash1(files.Select(f => new DirHashFile(A.ZipPrefix + f.Name, () => new MemoryStream(f.Data))));
        return $"{A.Path} {A.Version} {h1}\n{A.Path} {A.Version}/go.mod {DirHash.HashGoMod(mod)}\n";
    }

    internal static byte[] ModuleZip(Func<string, byte[], byte[]>? tamper = null) =>
        Zip(ModuleA().Files.Select(f => (A.ZipPrefix + f.Name, tamper is null ? f.Data : tamper(f.Name, f.Data))));

    private static string NewDigest() => "sha256:" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    internal static MultipartFormDataContent Form(string digest, byte[]? moduleZip, string? policy = "go-modules")
    {
        var form = new MultipartFormDataContent()
            .AddFile("go.mod", Encoding.UTF8.GetBytes(GoMod))
            .AddFile("go.sum", Encoding.UTF8.GetBytes(GoSum()))
            .Add("subjectName", "registry.example.com/app")
            .Add("subjectDigest", digest);
        if (moduleZip is not null) form.AddFile("module", moduleZip, "a.zip");
        if (policy is not null) form.Add("policy", policy);
        return form;
    }

    [Fact]
    public async Task Consistent_module_passes_and_its_attestation_verifies_and_satisfies_an_image_policy()
    {
        var (artifact, digest) = CheckAttestations.NewArtifact();
        var (status, body) = await fixture.PostAsync("v1/gosum/verify", Form(digest, ModuleZip()));
        var root = body.RootElement;
        Assert.True(status == 200, root.ToString());
        Assert.Equal("passed", root.GetProperty("verdict").GetString());
        Assert.Equal("go-modules", root.GetProperty("policy").GetString());
        Assert.Equal(1, root.GetProperty("modules").GetInt32());
        Assert.True(root.GetProperty("filesHashed").GetInt32() >= 4, root.ToString());
        Assert.DoesNotContain(root.GetProperty("findings").EnumerateArray(), f => f.GetProperty("severity").GetString() == "error");
        var goSumDigest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(GoSum())));
        Assert.Equal(goSumDigest, root.GetProperty("goSumDigest").GetString());

        var attestation = root.GetProperty("attestation");
        var bundle = attestation.GetProperty("bundle");
        using (var statement = CheckAttestations.Statement(bundle))
        {
            Assert.Equal(CheckAttestations.GoSumType, statement.RootElement.GetProperty("predicateType").GetString());
            var subject = Assert.Single(statement.RootElement.GetProperty("subject").EnumerateArray());
            Assert.Equal("registry.example.com/app", subject.GetProperty("name").GetString());
            Assert.Equal(digest, "sha256:" + subject.GetProperty("digest").GetProperty("sha256").GetString());
            var predicate = statement.RootElement.GetProperty("predicate");
            Assert.Equal("passed", predicate.GetProperty("verdict").GetString());
            Assert.Equal(1, predicate.GetProperty("modules").GetInt32());
            Assert.Equal("go-modules", predicate.GetProperty("policy").GetString());
            Assert.Equal(goSumDigest, predicate.GetProperty("goSumDigest").GetString());
            Assert.Equal(root.GetProperty("evaluationLogIndex").GetInt64(), predicate.GetProperty("evaluationLogIndex").GetInt64());
        }
        // The evaluation is logged before the attestation that cites it.
        Assert.True(attestation.GetProperty("logIndex").GetInt64() > root.GetProperty("evaluationLogIndex").GetInt64());

        using var directory = new TempDirectory("attest-gosum-attestation");
        var files = await CheckAttestations.SaveAsync(fixture, bundle, directory.Path);
        var verified = await CheckAttestations.VerifyBundleAsync(directory.Path, files, digest);
        Assert.True(verified.ExitCode == 0, verified.StandardOutput + verified.StandardError);
        var otherImage = await CheckAttestations.VerifyBundleAsync(directory.Path, files, NewDigest());
        Assert.NotEqual(0, otherImage.ExitCode);
        await CheckAttestations.AssertSigstoreJsVerifiesAsync(directory.Path, files, artifact);

        var admitted = CheckAttestations.Evaluate(directory.Path, CheckAttestations.GoSumType, "passed", files.Bundle, Digest.Parse(digest));
        Assert.True(admitted.Passed, CheckAttestations.Reasons(admitted));
        Assert.Contains(admitted.SatisfiedBy, s => s.Contains("check", StringComparison.Ordinal));
        // The same attestation does not satisfy a policy that needs another verdict, nor count for another image.
        var wrongCondition = CheckAttestations.Evaluate(directory.Path, CheckAttestations.GoSumType, "failed", files.Bundle, Digest.Parse(digest));
        Assert.False(wrongCondition.Passed);
        Assert.Contains(wrongCondition.Reasons, r => r.Code == "attestation.condition-failed");
        var otherDigest = CheckAttestations.Evaluate(directory.Path, CheckAttestations.GoSumType, "passed", files.Bundle, Digest.Parse(NewDigest()));
        Assert.False(otherDigest.Passed);
    }

    [Fact]
    public async Task Tampered_module_zip_fails_with_the_module_named_and_no_attestation_but_is_logged()
    {
        var digest = NewDigest();
        var tampered = ModuleZip((name, data) => name == "a.go" ? Encoding.UTF8.GetBytes("package a\n\nfunc A() string { return \"evil\" }\n") : data);
        var (status, body) = await fixture.PostAsync("v1/gosum/verify", Form(digest, tampered));
        var root = body.RootElement;
        Assert.True(status == 200, root.ToString());
        Assert.Equal("failed", root.GetProperty("verdict").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("attestation").ValueKind);
        var mismatch = Assert.Single(root.GetProperty("findings").EnumerateArray(), f => f.GetProperty("code").GetString() == GoSumCodes.HashMismatch);
        Assert.Equal("error", mismatch.GetProperty("severity").GetString());
        Assert.Equal(A.ToString(), mismatch.GetProperty("module").GetString());
        // Paths name the upload as the caller knows it, not the server's scratch directory.
        Assert.DoesNotContain("/tmp/", mismatch.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("$GOMODCACHE/cache/download/example.com/attest/a/@v/v1.0.0.zip", mismatch.GetProperty("message").GetString(), StringComparison.Ordinal);

        var entries = await CheckAttestations.LedgerEntriesAsync(fixture, "gosum.verification");
        var entry = Assert.Single(entries, e => e.RootElement.GetProperty("digest").GetString() == digest).RootElement;
        Assert.Equal("failed", entry.GetProperty("verdict").GetString());
        Assert.Equal(root.GetProperty("evaluationLogIndex").GetInt64(), entry.GetProperty("index").GetInt64());
        Assert.Contains(entry.GetProperty("details").GetProperty("findings").EnumerateArray(), f => f.GetProperty("code").GetString() == GoSumCodes.HashMismatch);
    }

    [Fact]
    public async Task Passing_evaluation_is_logged_too()
    {
        var digest = NewDigest();
        var (status, body) = await fixture.PostAsync("v1/gosum/verify", Form(digest, ModuleZip()));
        Assert.Equal(200, status);
        var entries = await CheckAttestations.LedgerEntriesAsync(fixture, "gosum.verification");
        var entry = Assert.Single(entries, e => e.RootElement.GetProperty("digest").GetString() == digest).RootElement;
        Assert.Equal("passed", entry.GetProperty("verdict").GetString());
        Assert.Equal("registry.example.com/app", entry.GetProperty("image").GetString());
        Assert.Equal(body.RootElement.GetProperty("policyRevision").GetString(), entry.GetProperty("details").GetProperty("policyRevision").GetString());
    }

    [Fact]
    public async Task Module_absent_from_the_upload_passes_with_a_warning_that_says_it_was_not_hashed()
    {
        var (status, body) = await fixture.PostAsync("v1/gosum/verify", Form(NewDigest(), moduleZip: null));
        var root = body.RootElement;
        Assert.True(status == 200, root.ToString());
        Assert.Equal("passed", root.GetProperty("verdict").GetString());
        Assert.Equal(0, root.GetProperty("filesHashed").GetInt32());
        var warning = Assert.Single(root.GetProperty("findings").EnumerateArray());
        Assert.Equal(GoSumCodes.ModuleNotInCache, warning.GetProperty("code").GetString());
        Assert.Equal("warning", warning.GetProperty("severity").GetString());
        using var statement = CheckAttestations.Statement(root.GetProperty("attestation").GetProperty("bundle"));
        Assert.Equal(GoSumCodes.ModuleNotInCache, statement.RootElement.GetProperty("predicate").GetProperty("findings")[0].GetProperty("code").GetString());
    }

    [Fact]
    public async Task Module_cache_zip_is_verified_like_uploaded_module_zips()
    {
        var (mod, _) = ModuleA();
        var cache = Zip([("cache/download/example.com/attest/a/@v/v1.0.0.zip", ModuleZip()), ("cache/download/example.com/attest/a/@v/v1.0.0.mod", mod)]);
        var form = Form(NewDigest(), moduleZip: null).AddFile("modcache", cache, "modcache.zip");
        var (status, body) = await fixture.PostAsync("v1/gosum/verify", form);
        Assert.True(status == 200, body.RootElement.ToString());
        Assert.Equal("passed", body.RootElement.GetProperty("verdict").GetString());
        Assert.Empty(body.RootElement.GetProperty("findings").EnumerateArray());

        var badMod = Zip([("cache/download/example.com/attest/a/@v/v1.0.0.mod", Encoding.UTF8.GetBytes("module example.com/attest/a\n\ngo 1.21\n"))]);
        var (_, failed) = await fixture.PostAsync("v1/gosum/verify", Form(NewDigest(), moduleZip: null).AddFile("modcache", badMod, "modcache.zip"));
        Assert.Equal("failed", failed.RootElement.GetProperty("verdict").GetString());
        Assert.Contains(failed.RootElement.GetProperty("findings").EnumerateArray(), f => f.GetProperty("code").GetString() == GoSumCodes.GoModHashMismatch);
    }

    [Fact]
    public async Task Vendored_files_are_compared_with_the_verified_module_zip()
    {
        var files = ModuleA().Files.ToDictionary(f => f.Name, f => f.Data);
        const string ModulesTxt = "# example.com/attest/a v1.0.0\n## explicit; go 1.17\nexample.com/attest/a\nexample.com/attest/a/sub\n";
        byte[] Vendor(byte[] aGo) => Zip([
            ("modules.txt", Encoding.UTF8.GetBytes(ModulesTxt)),
            ("example.com/attest/a/a.go", aGo),
            ("example.com/attest/a/sub/z.go", files["sub/z.go"]),
            ("example.com/attest/a/LICENSE", files["LICENSE"])]);

        var (status, body) = await fixture.PostAsync("v1/gosum/verify", Form(NewDigest(), ModuleZip()).AddFile("vendor", Vendor(files["a.go"]), "vendor.zip"));
        Assert.True(status == 200, body.RootElement.ToString());
        Assert.Equal("passed", body.RootElement.GetProperty("verdict").GetString());
        Assert.Empty(body.RootElement.GetProperty("findings").EnumerateArray());
        using (var statement = CheckAttestations.Statement(body.RootElement.GetProperty("attestation").GetProperty("bundle")))
            Assert.True(statement.RootElement.GetProperty("predicate").GetProperty("vendored").GetBoolean());

        var (_, modified) = await fixture.PostAsync("v1/gosum/verify",
            Form(NewDigest(), ModuleZip()).AddFile("vendor", Vendor(Encoding.UTF8.GetBytes("package a\n\nfunc A() string { return \"patched\" }\n")), "vendor.zip"));
        Assert.Equal("failed", modified.RootElement.GetProperty("verdict").GetString());
        var finding = Assert.Single(modified.RootElement.GetProperty("findings").EnumerateArray(), f => f.GetProperty("code").GetString() == GoSumCodes.VendorFileModified);
        Assert.Contains("vendor/example.com/attest/a/a.go", finding.GetProperty("message").GetString(), StringComparison.Ordinal);

        // modules.txt may come on its own, but not twice.
        var (twice, twiceBody) = await fixture.PostAsync("v1/gosum/verify",
            Form(NewDigest(), ModuleZip()).AddFile("vendor", Vendor(files["a.go"]), "vendor.zip").AddFile("modules.txt", Encoding.UTF8.GetBytes(ModulesTxt)));
        Assert.Equal(400, twice);
        Assert.Contains("'modules.txt' is given both", twiceBody.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Named_policy_applies_its_denials()
    {
        var (status, body) = await fixture.PostAsync("v1/gosum/verify", Form(NewDigest(), ModuleZip(), policy: "no-attest-a"));
        var root = body.RootElement;
        Assert.True(status == 200, root.ToString());
        Assert.Equal("failed", root.GetProperty("verdict").GetString());
        Assert.Equal("no-attest-a", root.GetProperty("policy").GetString());
        Assert.Contains(root.GetProperty("findings").EnumerateArray(), f => f.GetProperty("code").GetString() == GoSumCodes.PolicyDeniedModule);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("attestation").ValueKind);

        // Without a name every GoSumPolicy document applies together, so the denial applies as well.
        var (_, combined) = await fixture.PostAsync("v1/gosum/verify", Form(NewDigest(), ModuleZip(), policy: null));
        Assert.Equal("failed", combined.RootElement.GetProperty("verdict").GetString());
        Assert.Equal(JsonValueKind.Null, combined.RootElement.GetProperty("policy").ValueKind);
    }

    [Fact]
    public async Task Unknown_policy_is_a_bad_request_that_lists_the_loaded_ones()
    {
        var (status, body) = await fixture.PostAsync("v1/gosum/verify", Form(NewDigest(), ModuleZip(), policy: "nope"));
        Assert.Equal(400, status);
        var detail = body.RootElement.GetProperty("detail").GetString();
        Assert.Contains("no GoSumPolicy named 'nope'", detail, StringComparison.Ordinal);
        Assert.Contains("go-modules", detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "subjectDigest is missing")]
    [InlineData("sha256:abc", "subjectDigest must be")]
    public async Task Missing_or_malformed_subject_digest_is_a_bad_request(string? digest, string expected)
    {
        var form = new MultipartFormDataContent().AddFile("go.mod", Encoding.UTF8.GetBytes(GoMod));
        if (digest is not null) form.Add("subjectDigest", digest);
        var (status, body) = await fixture.PostAsync("v1/gosum/verify", form);
        Assert.Equal(400, status);
        Assert.Contains(expected, body.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_go_mod_unknown_fields_and_repeated_fields_are_bad_requests()
    {
        var (noGoMod, body) = await fixture.PostAsync("v1/gosum/verify", new MultipartFormDataContent().Add("subjectDigest", NewDigest()));
        Assert.Equal(400, noGoMod);
        Assert.Contains("'go.mod' is missing", body.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var (unknown, unknownBody) = await fixture.PostAsync("v1/gosum/verify", Form(NewDigest(), null).Add("gosum", "x"));
        Assert.Equal(400, unknown);
        Assert.Contains("unknown field 'gosum'", unknownBody.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var (twice, twiceBody) = await fixture.PostAsync("v1/gosum/verify", Form(NewDigest(), null).AddFile("go.mod", [1]));
        Assert.Equal(400, twice);
        Assert.Contains("'go.mod' is given more than once", twiceBody.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_body_is_unsupported_and_malformed_multipart_is_a_bad_request()
    {
        using var json = await fixture.Server.SendAsync(HttpMethod.Post, "v1/gosum/verify", fixture.SignToken,
            new StringContent("{\"goMod\":\"module x\"}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, json.StatusCode);
        Assert.Equal("application/problem+json", json.Content.Headers.ContentType?.MediaType);

        var truncated = new ByteArrayContent(Encoding.UTF8.GetBytes("--b\r\nContent-Disposition: form-data; name=\"go.mod\"\r\n\r\nmodule x\r\n"));
        truncated.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=b");
        using var malformed = await fixture.Server.SendAsync(HttpMethod.Post, "v1/gosum/verify", fixture.SignToken, truncated);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Contains("malformed", await malformed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Zip_entry_escaping_the_upload_is_refused()
    {
        var vendor = Zip([("modules.txt", Encoding.UTF8.GetBytes("# example.com/attest/a v1.0.0\n## explicit\n")), ("../../etc/evil", [1])]);
        var (status, body) = await fixture.PostAsync("v1/gosum/verify", Form(NewDigest(), null).AddFile("vendor", vendor, "vendor.zip"));
        Assert.Equal(400, status);
        Assert.Contains("zip path traversal", body.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Zip_bomb_is_refused_by_ratio_and_by_expanded_size()
    {
        // 16 MiB of zeros deflates about 1,030 times: above the go.sum library's ratio limit of 1,000.
        var bomb = Zip([("cache/download/x/@v/zeros", new byte[16 << 20])], CompressionLevel.SmallestSize);
        using (var archive = new ZipArchive(new MemoryStream(bomb)))
            Assert.True(archive.Entries[0].Length > archive.Entries[0].CompressedLength * GoModulesLimits.Default.MaxCompressionRatio, "the test bomb must exceed the ratio");
        var (status, body) = await fixture.PostAsync("v1/gosum/verify", Form(NewDigest(), null).AddFile("modcache", bomb, "modcache.zip"));
        Assert.Equal(400, status);
        Assert.Contains("zip bomb", body.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // Declaring more than the request may expand to is refused before anything is inflated.
        var huge = Zip([("cache/download/x/@v/big", new byte[300 << 20])], CompressionLevel.Fastest);
        var (tooLarge, tooLargeBody) = await fixture.PostAsync("v1/gosum/verify", Form(NewDigest(), null).AddFile("modcache", huge, "modcache.zip"));
        Assert.Equal(413, tooLarge);
        Assert.Contains("expands to more than", tooLargeBody.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Zip_declaring_too_many_entries_is_refused_before_it_is_opened()
    {
        var many = Zip(Enumerable.Range(0, GoModulesLimits.Default.MaxFilesPerModule + 1).Select(i => ($"f{i}", Array.Empty<byte>())), CompressionLevel.NoCompression);
        var (status, body) = await fixture.PostAsync("v1/gosum/verify", Form(NewDigest(), null).AddFile("modcache", many, "modcache.zip"));
        Assert.Equal(400, status);
        Assert.Contains($"more than {GoModulesLimits.Default.MaxFilesPerModule} entries", body.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var (module, moduleBody) = await fixture.PostAsync("v1/gosum/verify", Form(NewDigest(), many));
        Assert.Equal(400, module);
        Assert.Contains("entries", moduleBody.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Zip_that_is_not_a_tree_is_a_bad_request()
    {
        var clash = Zip([("cache/x", [1]), ("cache/x/y", [2])]);
        var (status, body) = await fixture.PostAsync("v1/gosum/verify", Form(NewDigest(), null).AddFile("modcache", clash, "modcache.zip"));
        Assert.Equal(400, status);
        Assert.Contains("cannot be extracted", body.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("/tmp/", body.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var (notZip, notZipBody) = await fixture.PostAsync("v1/gosum/verify", Form(NewDigest(), null).AddFile("vendor", Encoding.UTF8.GetBytes("not a zip"), "vendor.zip"));
        Assert.Equal(400, notZip);
        Assert.Contains("not a readable zip", notZipBody.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Zips_of_the_directory_instead_of_its_contents_are_explained()
    {
        var vendor = Zip([("vendor/modules.txt", Encoding.UTF8.GetBytes("# example.com/attest/a v1.0.0\n## explicit\n"))]);
        var (status, body) = await fixture.PostAsync("v1/gosum/verify", Form(NewDigest(), null).AddFile("vendor", vendor, "vendor.zip"));
        Assert.Equal(400, status);
        Assert.Contains("'vendor' has no modules.txt at its root", body.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var cache = Zip([("mod/cache/download/example.com/attest/a/@v/v1.0.0.zip", ModuleZip())]);
        var (cacheStatus, cacheBody) = await fixture.PostAsync("v1/gosum/verify", Form(NewDigest(), null).AddFile("modcache", cache, "modcache.zip"));
        Assert.Equal(400, cacheStatus);
        Assert.Contains("'modcache' has no cache/download directory", cacheBody.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Build_settings_that_weaken_checksums_are_reported_and_exemptions_fail()
    {
        var (_, insecure) = await fixture.PostAsync("v1/gosum/verify", Form(NewDigest(), ModuleZip()).Add("GOFLAGS", "-insecure").Add("GOPRIVATE", ""));
        Assert.Equal("passed", insecure.RootElement.GetProperty("verdict").GetString());
        Assert.Contains(insecure.RootElement.GetProperty("findings").EnumerateArray(), f => f.GetProperty("severity").GetString() == "warning"
            && f.GetProperty("code").GetString()!.StartsWith("gosum.env.", StringComparison.Ordinal));

        var (_, exempt) = await fixture.PostAsync("v1/gosum/verify", Form(NewDigest(), ModuleZip()).Add("GONOSUMDB", "example.com/attest"));
        Assert.Equal("failed", exempt.RootElement.GetProperty("verdict").GetString());
        Assert.Contains(exempt.RootElement.GetProperty("findings").EnumerateArray(), f => f.GetProperty("code").GetString() == GoSumCodes.PolicySumDbExempt);
    }

    [Fact]
    public async Task Body_over_the_limit_is_refused_with_413()
    {
        var form = Form(NewDigest(), null).AddFile("modcache", new byte[(64 << 20) + 1], "modcache.zip");
        var (status, body) = await fixture.PostExpectingContinueAsync("v1/gosum/verify", form);
        Assert.Equal(413, status);
        Assert.Contains("larger than 67108864 bytes", body.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Module_part_that_is_not_a_module_zip_is_a_bad_request()
    {
        var (status, body) = await fixture.PostAsync("v1/gosum/verify", Form(NewDigest(), Zip([("README", [1])])));
        Assert.Equal(400, status);
        Assert.Contains("not a module zip", body.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}

[CollectionDefinition(Name)]
public sealed class CheckCollection : ICollectionFixture<CheckServerFixture>
{
    public const string Name = "check server";
}
