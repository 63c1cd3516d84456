using System.Text;
using Attest.Core.InToto;
using Attest.Testing;

namespace Attest.Core.Tests.InToto;

public class StatementTests
{
    [Fact]
    public void Parses_the_sigstore_js_provenance_statement()
    {
        var json = File.ReadAllBytes(RepositoryPaths.Vectors("sigstore", "sigstore-go", "statement-provenance-sigstorejs1.3.0.json"));
        Assert.True(Statement.TryParse(json, out var statement, out var error), error);
        Assert.Equal("pkg:npm/sigstore@1.3.0", statement.Subjects[0].Name);
        Assert.True(statement.HasSubjectDigest("sha512", statement.Subjects[0].Digest["sha512"]));
        Assert.False(statement.HasSubjectDigest("sha256", statement.Subjects[0].Digest["sha512"]));
        Assert.StartsWith("https://slsa.dev/provenance/", statement.PredicateType, StringComparison.Ordinal);
        Assert.NotNull(statement.Predicate);
    }

    [Theory]
    [InlineData("https://in-toto.io/Statement/v1")]
    [InlineData("https://in-toto.io/Statement/v0.1")]
    public void Accepts_v1_and_v01_types(string type)
    {
        var json = $"{{\"_type\":\"{type}\",\"subject\":[{{\"name\":\"a\",\"digest\":{{\"sha256\":\"AB\"}}}}],\"predicateType\":\"p\",\"predicate\":{{}}}}";
        Assert.True(Statement.TryParse(Encoding.UTF8.GetBytes(json), out var statement, out _));
        Assert.True(statement.HasSubjectDigest("sha256", "ab"));
    }

    [Theory]
    [InlineData("{\"_type\":\"https://in-toto.io/Statement/v2\",\"subject\":[{\"digest\":{\"sha256\":\"ab\"}}],\"predicateType\":\"p\"}", "_type")]
    [InlineData("{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[],\"predicateType\":\"p\"}", "no subjects")]
    [InlineData("{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"a\"}],\"predicateType\":\"p\"}", "digest")]
    [InlineData("{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"digest\":{\"sha256\":1}}],\"predicateType\":\"p\"}", "not a string")]
    [InlineData("{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"digest\":{\"sha256\":\"ab\"}}]}", "predicateType")]
    public void Rejects_malformed_statements_with_a_reason(string json, string reason)
    {
        Assert.False(Statement.TryParse(Encoding.UTF8.GetBytes(json), out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_more_subjects_than_the_limit()
    {
        var subjects = string.Join(",", Enumerable.Range(0, Statement.MaxSubjects + 1).Select(i => $"{{\"name\":\"{i}\",\"digest\":{{\"sha256\":\"ab\"}}}}"));
        var json = $"{{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{subjects}],\"predicateType\":\"p\"}}";
        Assert.False(Statement.TryParse(Encoding.UTF8.GetBytes(json), out _, out var error));
        Assert.Contains("more than", error, StringComparison.Ordinal);
    }
}
