using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Testing;

namespace Attest.Server.Tests.Admission;

/// <summary>Real AdmissionReview requests (tests/vectors/admission/connaisseur) with their images replaced, and
/// helpers to post them as the API server does.</summary>
internal static class AdmissionRequests
{
    public static JsonObject Load(string file) =>
        JsonNode.Parse(File.ReadAllText(RepositoryPaths.Vectors("admission", "connaisseur", file)))!.AsObject();

    /// <summary>Sets the image at a JSON pointer inside <c>request.object</c>.</summary>
    public static JsonObject WithImage(this JsonObject review, string pointer, string image)
    {
        JsonNode node = review["request"]!["object"]!;
        var segments = pointer.Split('/', StringSplitOptions.RemoveEmptyEntries);
        foreach (var segment in segments[..^1])
            node = node is JsonArray array ? array[int.Parse(segment, System.Globalization.CultureInfo.InvariantCulture)]! : node[segment]!;
        node[segments[^1]] = image;
        return review;
    }

    /// <summary>Posts the pod of 02_pod.json with <paramref name="image"/> (in <paramref name="namespace"/> when given) to
    /// the validating webhook and returns its <c>response</c>.</summary>
    public static async Task<JsonElement> ValidateImageAsync(HttpClient client, string image, string? @namespace = null)
    {
        var review = Load("02_pod.json").WithImage("/spec/containers/0/image", image);
        if (@namespace is not null)
        {
            review["request"]!["namespace"] = @namespace;
            review["request"]!["object"]!["metadata"]!["namespace"] = @namespace;
        }
        var (status, body) = await PostAsync(client, "admission/validate", review);
        Assert.Equal(200, status);
        return body.RootElement.GetProperty("response").Clone();
    }

    public static void AssertAllowed(JsonElement response) =>
        Assert.True(response.GetProperty("allowed").GetBoolean(), response.TryGetProperty("status", out var s) ? s.GetProperty("message").GetString() : "denied");

    /// <summary>The denial message of a response that must be a denial.</summary>
    public static string DeniedMessage(JsonElement response)
    {
        Assert.False(response.GetProperty("allowed").GetBoolean(), "expected a denial");
        return response.GetProperty("status").GetProperty("message").GetString()!;
    }

    public static async Task<(int Status, JsonDocument Body)> PostAsync(HttpClient client, string path, JsonObject review) =>
        await PostRawAsync(client, path, Encoding.UTF8.GetBytes(review.ToJsonString()));

    public static async Task<(int Status, JsonDocument Body)> PostRawAsync(HttpClient client, string path, byte[] body, string contentType = "application/json")
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        using var response = await client.PostAsync(path, content);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, JsonDocument.Parse(text.Length == 0 ? "null" : text));
    }
}
