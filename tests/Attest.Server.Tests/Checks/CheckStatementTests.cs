using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Attest.GoModules;
using Attest.Testing;

namespace Attest.Server.Tests.Checks;

/// <summary>A check attestation states exactly what was checked, so an image policy can bind it: the digests of the
/// files uploaded, the module they declare and how much it requires, and the client that asked. A go.mod that
/// requires nothing still passes, but says that nothing was checked.</summary>
[Collection(CheckCollection.Name)]
public sealed class CheckStatementTests(CheckServerFixture fixture)
{
    private static string NewDigest() => "sha256:" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    private static string Sha256(byte[] bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

    [Fact]
    public async Task Empty_go_mod_is_attested_as_checking_nothing_with_the_module_and_client_named()
    {
        var goMod = Encoding.UTF8.GetBytes("module example.com/m\n");
        var form = new MultipartFormDataContent().AddFile("go.mod", goMod).Add("subjectDigest", NewDigest());
        var (status, body) = await fixture.PostAsync("v1/gosum/verify", form);
        var root = body.RootElement;
        Assert.True(status == 200, root.ToString());
        var nothing = Assert.Single(root.GetProperty("findings").EnumerateArray(), f => f.GetProperty("code").GetString() == GoSumCodes.NothingChecked);
        Assert.Equal("warning", nothing.GetProperty("severity").GetString());

        using var statement = CheckAttestations.Statement(root.GetProperty("attestation").GetProperty("bundle"));
        var predicate = statement.RootElement.GetProperty("predicate");
        Assert.Equal("example.com/m", predicate.GetProperty("modulePath").GetString());
        Assert.Equal(0, predicate.GetProperty("requirements").GetInt32());
        Assert.Equal(0, predicate.GetProperty("modules").GetInt32());
        Assert.Equal(Sha256(goMod), predicate.GetProperty("goModDigest").GetString());
        Assert.Equal(Sha256([]), predicate.GetProperty("goSumDigest").GetString());
        Assert.NotEqual(0, predicate.GetProperty("findingCount").GetInt32());
        Assert.Contains(predicate.GetProperty("findings").EnumerateArray(), f => f.GetProperty("code").GetString() == GoSumCodes.NothingChecked);
        Assert.Equal(await ClientOfEntryAsync(root.GetProperty("evaluationLogIndex").GetInt64()), predicate.GetProperty("client").GetString());
    }

    [Fact]
    public async Task Go_sum_attestation_names_the_module_its_requirements_and_the_client()
    {
        var (status, body) = await fixture.PostAsync("v1/gosum/verify", GoSumVerifyTests.Form(NewDigest(), GoSumVerifyTests.ModuleZip()));
        var root = body.RootElement;
        Assert.True(status == 200, root.ToString());
        using var statement = CheckAttestations.Statement(root.GetProperty("attestation").GetProperty("bundle"));
        var predicate = statement.RootElement.GetProperty("predicate");
        Assert.Equal("example.com/app", predicate.GetProperty("modulePath").GetString());
        Assert.Equal(1, predicate.GetProperty("requirements").GetInt32());
        Assert.Equal(1, predicate.GetProperty("modules").GetInt32());
        Assert.DoesNotContain(predicate.GetProperty("findings").EnumerateArray(), f => f.GetProperty("code").GetString() == GoSumCodes.NothingChecked);
        var client = predicate.GetProperty("client").GetString();
        Assert.False(string.IsNullOrEmpty(client));
        Assert.Equal(await ClientOfEntryAsync(root.GetProperty("evaluationLogIndex").GetInt64()), client);
    }

    [Fact]
    public async Task Sbom_attestation_names_the_client()
    {
        var sbom = File.ReadAllBytes(Path.Combine(RepositoryPaths.Root, "tests", "vectors", "sbom", "ntia", "no_elements_missing.spdx.json"));
        var form = new MultipartFormDataContent().AddFile("sbom", sbom, "sbom.json").Add("subjectDigest", NewDigest()).Add("policy", "ntia");
        var (status, body) = await fixture.PostAsync("v1/sbom/evaluate", form);
        var root = body.RootElement;
        Assert.True(status == 200, root.ToString());
        using var statement = CheckAttestations.Statement(root.GetProperty("attestation").GetProperty("bundle"));
        var predicate = statement.RootElement.GetProperty("predicate");
        Assert.Equal(Sha256(sbom), predicate.GetProperty("sbomDigest").GetString());
        Assert.Equal(await ClientOfEntryAsync(root.GetProperty("evaluationLogIndex").GetInt64()), predicate.GetProperty("client").GetString());
    }

    private async Task<string> ClientOfEntryAsync(long index)
    {
        var entries = await CheckAttestations.LedgerEntriesAsync(fixture, "gosum.verification");
        entries.AddRange(await CheckAttestations.LedgerEntriesAsync(fixture, "sbom.evaluation"));
        var entry = Assert.Single(entries, e => e.RootElement.GetProperty("index").GetInt64() == index);
        return entry.RootElement.GetProperty("client").GetString()!;
    }
}
