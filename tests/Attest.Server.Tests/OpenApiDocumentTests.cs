using System.Text.Json;
using Attest.Server.Tests.Hosting;
using Attest.Testing;
using YamlDotNet.RepresentationModel;

namespace Attest.Server.Tests;

/// <summary>openapi.yaml is the published contract; the server's generated document must describe the same
/// operations, status codes and schema names.</summary>
public sealed class OpenApiDocumentTests
{
    private static readonly string[] Methods = ["get", "put", "post", "delete", "patch", "head", "options"];

    [Fact]
    public async Task Served_document_has_the_operations_of_openapi_yaml()
    {
        using var workspace = new ServerWorkspace();
        await using var server = await workspace.Start().WaitUntilListeningAsync();
        using var served = JsonDocument.Parse(await server.Client.GetStringAsync("openapi/v1.json"));

        var yaml = new YamlStream();
        using (var reader = File.OpenText(Path.Combine(RepositoryPaths.Root, "openapi.yaml"))) yaml.Load(reader);
        var published = (YamlMappingNode)yaml.Documents[0].RootNode;

        Assert.Equal(Operations(published), Operations(served.RootElement));
        Assert.Equal(SchemaNames(published), SchemaNames(served.RootElement));
    }

    private static SortedSet<string> Operations(JsonElement document)
    {
        var result = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var path in document.GetProperty("paths").EnumerateObject())
            foreach (var operation in path.Value.EnumerateObject().Where(o => Methods.Contains(o.Name)))
                foreach (var response in operation.Value.GetProperty("responses").EnumerateObject())
                    result.Add($"{operation.Name.ToUpperInvariant()} {path.Name} {response.Name} {operation.Value.GetProperty("operationId").GetString()} {Scope(operation.Value)}");
        return result;
    }

    private static SortedSet<string> Operations(YamlMappingNode document)
    {
        var result = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (path, item) in (YamlMappingNode)document["paths"])
            foreach (var (method, operation) in ((YamlMappingNode)item).Where(o => Methods.Contains(o.Key.ToString())))
                foreach (var (status, _) in (YamlMappingNode)operation["responses"])
                    result.Add($"{method.ToString().ToUpperInvariant()} {path} {status} {operation["operationId"]} {Scope((YamlMappingNode)operation)}");
        return result;
    }

    /// <summary>The scope an operation requires ("public" when none), so the published security matches the served one.</summary>
    private static string Scope(JsonElement operation) =>
        operation.TryGetProperty("security", out var security) ? security[0].GetProperty("oauth2")[0].GetString()! : "public";

    private static string Scope(YamlMappingNode operation) =>
        operation.Children.TryGetValue("security", out var security)
            ? ((YamlSequenceNode)((YamlMappingNode)((YamlSequenceNode)security)[0])["oauth2"])[0].ToString()
            : "public";

    private static SortedSet<string> SchemaNames(JsonElement document) =>
        new(document.GetProperty("components").GetProperty("schemas").EnumerateObject().Select(s => s.Name), StringComparer.Ordinal);

    private static SortedSet<string> SchemaNames(YamlMappingNode document) =>
        new(((YamlMappingNode)((YamlMappingNode)document["components"])["schemas"]).Children.Keys.Select(k => k.ToString()), StringComparer.Ordinal);
}
