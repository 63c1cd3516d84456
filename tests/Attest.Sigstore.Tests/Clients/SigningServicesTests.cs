using System.Text;
using System.Text.Json.Nodes;
using Attest.Sigstore.Clients;
using Attest.Sigstore.Keyless;

namespace Attest.Sigstore.Tests.Clients;

public sealed class SigningServicesTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Signing_config_Attest_serves_names_its_CA_log_and_TSA()
    {
        var json = SigningConfigWriter.Write("https://attest.example.com", Start);

        Assert.True(SigningServices.TryParseSigningConfig(json, Start.AddDays(1), out var services, out var error), error);
        Assert.Equal(new Uri("https://attest.example.com"), services.CertificateAuthority);
        Assert.Equal(new Uri("https://attest.example.com"), services.TransparencyLog);
        Assert.Equal(new Uri("https://attest.example.com/api/v1/timestamp"), services.TimestampAuthority);
    }

    [Fact]
    public void With_Rekor_v2_the_log_is_listed_with_both_APIs_v2_first_and_a_v1_client_still_finds_v1()
    {
        var json = SigningConfigWriter.Write("https://attest.example.com", Start, rekorV2: true);
        var logs = JsonNode.Parse(json)!["rekorTlogUrls"]!.AsArray();
        Assert.Equal([2, 1], logs.Select(l => l!["majorApiVersion"]!.GetValue<int>()));
        Assert.All(logs, l => Assert.Equal("https://attest.example.com", l!["url"]!.GetValue<string>()));
        Assert.True(SigningServices.TryParseSigningConfig(json, Start.AddDays(1), out var services, out var error), error);
        Assert.Equal(new Uri("https://attest.example.com"), services.TransparencyLog);
        Assert.Single(JsonNode.Parse(SigningConfigWriter.Write("https://attest.example.com", Start))!["rekorTlogUrls"]!.AsArray());
    }

    [Fact]
    public void Services_not_yet_valid_or_of_another_API_version_are_not_chosen()
    {
        var json = SigningConfigWriter.Write("https://attest.example.com", Start);
        Assert.False(SigningServices.TryParseSigningConfig(json, Start.AddDays(-1), out _, out var error));
        Assert.Contains("caUrls", error, StringComparison.Ordinal);

        var config = JsonNode.Parse(json)!;
        config["rekorTlogUrls"]![0]!["majorApiVersion"] = 2;
        Assert.False(SigningServices.TryParseSigningConfig(Encoding.UTF8.GetBytes(config.ToJsonString()), Start.AddDays(1), out _, out error));
        Assert.Contains("Rekor v1", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("{\"mediaType\":\"application/vnd.dev.sigstore.trustedroot+json;version=0.1\"}")]
    [InlineData("{\"mediaType\":")]
    public void Documents_that_are_not_a_signing_config_are_refused(string json)
    {
        Assert.False(SigningServices.TryParseSigningConfig(Encoding.UTF8.GetBytes(json), Start, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }
}
