using System.Diagnostics;
using System.Net;
using System.Text;
using Attest.Core;

namespace Attest.Oci.Tests;

public sealed class HostileRegistryTests
{
    private static readonly byte[] SomeManifest = Encoding.UTF8.GetBytes($$"""{"schemaVersion":2,"mediaType":"{{OciMediaTypes.ImageManifest}}","layers":[]}""");

    [Fact]
    public async Task Manifest_whose_bytes_do_not_match_the_requested_digest_is_rejected()
    {
        await using var registry = new HostileRegistry(c => HostileRegistry.WriteAsync(c, SomeManifest, OciMediaTypes.ImageManifest));
        using var client = registry.Client();
        var requested = Digest.Sha256("the image that was signed"u8);
        var failure = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(ImageReference.Parse($"{registry.Host}/app@{requested}")));
        Assert.Equal(RegistryCodes.DigestMismatch, failure.Code);
        Assert.Contains(requested.ToString(), failure.Message, StringComparison.Ordinal);
        Assert.Contains(Digest.Sha256(SomeManifest).ToString(), failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tag_whose_announced_digest_differs_from_its_bytes_is_rejected()
    {
        var lie = Digest.Sha256("other"u8).ToString();
        await using var registry = new HostileRegistry(c => HostileRegistry.WriteAsync(c, SomeManifest, OciMediaTypes.ImageManifest, digestHeader: lie));
        using var client = registry.Client();
        var failure = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(ImageReference.Parse($"{registry.Host}/app:v1")));
        Assert.Equal(RegistryCodes.DigestMismatch, failure.Code);
    }

    [Fact]
    public async Task Blob_with_other_content_than_its_digest_is_rejected()
    {
        await using var registry = new HostileRegistry(c => HostileRegistry.WriteAsync(c, "tampered"u8.ToArray(), "application/octet-stream"));
        using var client = registry.Client();
        var failure = await Assert.ThrowsAsync<RegistryException>(() => client.GetBlobAsync(registry.Host, "app", Digest.Sha256("original"u8)));
        Assert.Equal(RegistryCodes.DigestMismatch, failure.Code);
    }

    [Fact]
    public async Task Manifest_announced_larger_than_the_limit_is_refused_without_reading_it()
    {
        await using var registry = new HostileRegistry(c =>
        {
            c.Response.ContentType = OciMediaTypes.ImageManifest;
            c.Response.ContentLength64 = 100L << 20;
            return Task.CompletedTask; // closes early; the client must not wait for 100 MiB
        });
        using var client = registry.Client();
        var failure = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(ImageReference.Parse($"{registry.Host}/app:v1")));
        Assert.Equal(RegistryCodes.TooLarge, failure.Code);
    }

    [Fact]
    public async Task Endless_chunked_manifest_is_cut_off_at_the_limit()
    {
        await using var registry = new HostileRegistry(async c =>
        {
            c.Response.ContentType = OciMediaTypes.ImageManifest;
            c.Response.SendChunked = true;
            var chunk = new byte[64 << 10];
            for (var sent = 0L; sent < 64L << 20; sent += chunk.Length) await c.Response.OutputStream.WriteAsync(chunk);
        });
        using var client = registry.Client();
        var failure = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(ImageReference.Parse($"{registry.Host}/app:v1")));
        Assert.Equal(RegistryCodes.TooLarge, failure.Code);
    }

    [Fact]
    public async Task Registry_that_never_answers_times_out_within_the_bounded_attempts()
    {
        await using var registry = new HostileRegistry(_ => Task.Delay(TimeSpan.FromSeconds(30)));
        using var client = registry.Client(attemptTimeout: TimeSpan.FromMilliseconds(300), maxAttempts: 2);
        var watch = Stopwatch.StartNew();
        var failure = await Assert.ThrowsAsync<RegistryException>(() => client.ResolveAsync(ImageReference.Parse($"{registry.Host}/app:v1")));
        Assert.Equal(RegistryCodes.Timeout, failure.Code);
        Assert.True(failure.IsTransient);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        Assert.Equal(2, registry.Requests);
    }

    [Fact]
    public async Task Transient_503_is_retried_and_then_succeeds()
    {
        var calls = 0;
        await using var registry = new HostileRegistry(c => Interlocked.Increment(ref calls) == 1
            ? HostileRegistry.WriteAsync(c, "busy"u8.ToArray(), "text/plain", status: 503)
            : HostileRegistry.WriteAsync(c, SomeManifest, OciMediaTypes.ImageManifest));
        using var client = registry.Client();
        var manifest = await client.GetManifestAsync(ImageReference.Parse($"{registry.Host}/app:v1"));
        Assert.Equal(Digest.Sha256(SomeManifest), manifest.Digest);
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task Persistent_server_error_is_reported_as_transient()
    {
        await using var registry = new HostileRegistry(c => HostileRegistry.WriteAsync(c, "{}"u8.ToArray(), "application/json", status: 500));
        using var client = registry.Client(maxAttempts: 2);
        var failure = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(ImageReference.Parse($"{registry.Host}/app:v1")));
        Assert.Equal(RegistryCodes.ServerError, failure.Code);
        Assert.True(failure.IsTransient);
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("""{"schemaVersion":2,"layers":[{"mediaType":"x"}]}""")]
    [InlineData("""{"schemaVersion":2,"layers":[{"mediaType":"x","digest":"sha256:zz","size":1}]}""")]
    [InlineData("""{"schemaVersion":2,"layers":[{"mediaType":"x","digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","size":-1}]}""")]
    [InlineData("""{"schemaVersion":2,"layers":[{"mediaType":"x","digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","size":1e400}]}""")]
    public async Task Malformed_manifest_is_rejected_as_malformed(string body)
    {
        await using var registry = new HostileRegistry(c => HostileRegistry.WriteAsync(c, Encoding.UTF8.GetBytes(body), OciMediaTypes.ImageManifest));
        using var client = registry.Client();
        var failure = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(ImageReference.Parse($"{registry.Host}/app:v1")));
        Assert.Equal(RegistryCodes.Malformed, failure.Code);
    }

    [Fact]
    public async Task Deeply_nested_manifest_is_rejected_without_a_crash()
    {
        var deep = "{\"annotations\":" + string.Concat(Enumerable.Repeat("[", 10_000)) + string.Concat(Enumerable.Repeat("]", 10_000)) + "}";
        await using var registry = new HostileRegistry(c => HostileRegistry.WriteAsync(c, Encoding.UTF8.GetBytes(deep), OciMediaTypes.ImageManifest));
        using var client = registry.Client();
        var failure = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(ImageReference.Parse($"{registry.Host}/app:v1")));
        Assert.Equal(RegistryCodes.Malformed, failure.Code);
    }

    /// <summary>A registry that answers every request 401 with this challenge.</summary>
    private static HostileRegistry Challenging(string wwwAuthenticate) => new(c =>
    {
        c.Response.StatusCode = (int)HttpStatusCode.Unauthorized;
        c.Response.Headers["WWW-Authenticate"] = wwwAuthenticate;
        return Task.CompletedTask;
    });

    [Fact]
    public async Task Bearer_challenge_without_a_realm_fails_clearly()
    {
        await using var registry = Challenging("Bearer service=\"x\"");
        using var client = registry.Client();
        var failure = await Assert.ThrowsAsync<RegistryException>(() => client.ResolveAsync(ImageReference.Parse($"{registry.Host}/app:v1")));
        Assert.Equal(RegistryCodes.AuthFailed, failure.Code);
    }

    [Fact]
    public async Task Token_realm_on_the_metadata_address_is_refused_without_connecting()
    {
        // A hostile registry sends the client to the cloud metadata service for its "token".
        await using var registry = Challenging("Bearer realm=\"http://169.254.169.254/latest/meta-data/\",service=\"x\"");
        using var client = registry.Client();
        var watch = Stopwatch.StartNew();
        var failure = await Assert.ThrowsAsync<RegistryException>(() => client.ResolveAsync(ImageReference.Parse($"{registry.Host}/app:v1")));
        Assert.Equal(RegistryCodes.NotAllowed, failure.Code);
        Assert.Contains("169.254.169.254", failure.Message, StringComparison.Ordinal);
        Assert.False(failure.IsTransient);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }
}
