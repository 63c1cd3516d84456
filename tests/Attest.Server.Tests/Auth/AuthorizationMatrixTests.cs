using System.Net;
using System.Text;
using Attest.Testing;
using YamlDotNet.RepresentationModel;

namespace Attest.Server.Tests.Auth;

/// <summary>
/// Every operation openapi.yaml marks as secured (and OpenApiDocumentTests proves that list equal to what the server
/// serves) is called with no token, an expired token, a token of every other scope, and a token of its own scope.
/// </summary>
public sealed class AuthorizationMatrixTests(AuthServerFixture fixture) : IClassFixture<AuthServerFixture>
{
    /// <summary>The server's own list, so a scope added later is in the matrix without editing it.</summary>
    private static readonly string[] AllScopes = [.. Attest.Server.Auth.Scopes.All];

    [Fact]
    public async Task Every_secured_operation_requires_its_scope()
    {
        var operations = SecuredOperations();
        Assert.Contains(operations, o => o.Scope == "admin");
        Assert.Contains(operations, o => o.Scope == "metrics");
        var server = fixture.Server;
        var everything = await server.CreateClientAsync(fixture.DataDirectory, "matrix", AllScopes);

        var expired = new Dictionary<string, string>();
        foreach (var scope in AllScopes) expired[scope] = await server.TokenAsync(everything, scope);
        var issuedAt = DateTime.UtcNow;

        var failures = new List<string>();
        foreach (var operation in operations)
        {
            await Expect(operation, null, [HttpStatusCode.Unauthorized], "no token");
            foreach (var other in AllScopes.Where(s => s != operation.Scope))
                await Expect(operation, await server.TokenAsync(everything, other), [HttpStatusCode.Forbidden], $"scope {other}");
            var response = await Send(operation, await server.TokenAsync(everything, operation.Scope));
            if (response is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden || !operation.Statuses.Contains(((int)response).ToString(System.Globalization.CultureInfo.InvariantCulture)))
                failures.Add($"{operation}: right scope answered {(int)response}, documented: {string.Join(",", operation.Statuses)}");
        }

        // The first tokens have expired by now (or are made to).
        var wait = issuedAt + AuthServerFixture.TokenLifetime + TimeSpan.FromSeconds(1) - DateTime.UtcNow;
        if (wait > TimeSpan.Zero) await Task.Delay(wait);
        foreach (var operation in operations)
            await Expect(operation, expired[operation.Scope], [HttpStatusCode.Unauthorized], "expired token");

        Assert.Empty(failures);

        async Task Expect(Operation operation, string? token, HttpStatusCode[] expected, string what)
        {
            var status = await Send(operation, token);
            if (!expected.Contains(status)) failures.Add($"{operation} with {what}: {(int)status}, expected {string.Join("/", expected.Select(e => (int)e))}");
        }
    }

    private async Task<HttpStatusCode> Send(Operation operation, string? token)
    {
        // A syntactically harmless request: the point is who may make it, not what it does.
        HttpContent? content = operation.Method is "POST" or "PUT" or "PATCH" ? new StringContent("{}", Encoding.UTF8, "application/json") : null;
        using var response = await fixture.Server.SendAsync(new HttpMethod(operation.Method), operation.SamplePath, token, content);
        return response.StatusCode;
    }

    private sealed record Operation(string Method, string Path, string Scope, IReadOnlyList<string> Statuses)
    {
        public string SamplePath => System.Text.RegularExpressions.Regex.Replace(Path, @"\{[^}]+\}", "0") ;

        public override string ToString() => $"{Method} {Path}";
    }

    private static List<Operation> SecuredOperations()
    {
        var yaml = new YamlStream();
        using (var reader = File.OpenText(System.IO.Path.Combine(RepositoryPaths.Root, "openapi.yaml"))) yaml.Load(reader);
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        var result = new List<Operation>();
        foreach (var (path, item) in (YamlMappingNode)root["paths"])
            foreach (var (method, node) in (YamlMappingNode)item)
            {
                if (node is not YamlMappingNode operation || !operation.Children.TryGetValue("security", out var security)) continue;
                var requirement = (YamlMappingNode)((YamlSequenceNode)security)[0];
                var scope = ((YamlSequenceNode)requirement["oauth2"])[0].ToString();
                var statuses = ((YamlMappingNode)operation["responses"]).Children.Keys.Select(k => k.ToString()).ToList();
                result.Add(new Operation(method.ToString().ToUpperInvariant(), path.ToString(), scope, statuses));
            }
        return result;
    }
}
