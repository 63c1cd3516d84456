using System.Net;
using System.Text;
using Attest.Core;
using Attest.Testing;

namespace Attest.Oci.Tests;

/// <summary>One egress check on every hop a registry sends the client on: redirects, upload locations and token realms
/// must name a host the allowlist permits, redirects never go from HTTPS to HTTP nor on forever, and the registry's
/// Authorization header never reaches another host.</summary>
public sealed class EgressTests
{
    private static readonly byte[] Blob = "blob content"u8.ToArray();

    private static RegistryClient Client(HostileRegistry registry, bool allowOnlyRegistry, bool withCredentials = false) => new(new RegistryClientOptions
    {
        InsecureRegistries = new HashSet<string> { registry.Host },
        AllowedRegistries = allowOnlyRegistry ? [registry.Host] : [],
        AttemptTimeout = TimeSpan.FromSeconds(5),
        Credentials = withCredentials
            ? DockerConfigCredentials.ParseConfigJson(Encoding.UTF8.GetBytes($$"""{"auths":{"{{registry.Host}}":{"auth":"{{Convert.ToBase64String("ci:s3cret"u8)}}"} } }"""))
            : null,
    });

    /// <summary>A registry that wants Basic credentials, then answers everything with <paramref name="then"/>.</summary>
    private static HostileRegistry BasicRegistry(Func<HttpListenerContext, Task> then) => new(c =>
    {
        if (c.Request.Headers["Authorization"] is null)
        {
            c.Response.StatusCode = 401;
            c.Response.Headers["WWW-Authenticate"] = "Basic realm=\"r\"";
            return Task.CompletedTask;
        }
        return then(c);
    });

    private static Task Redirect(HttpListenerContext context, string location, int status = 302)
    {
        context.Response.StatusCode = status;
        context.Response.Headers["Location"] = location;
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Redirect_to_a_host_outside_the_allowlist_is_refused_without_contacting_it()
    {
        await using var bystander = new Bystander();
        await using var registry = new HostileRegistry(c => Redirect(c, $"http://{bystander.Host}/latest/secret"));
        using var client = Client(registry, allowOnlyRegistry: true);
        var failure = await Assert.ThrowsAsync<RegistryException>(() => client.GetBlobAsync(registry.Host, "app", Digest.Sha256(Blob)));
        Assert.Equal(RegistryCodes.NotAllowed, failure.Code);
        Assert.Contains(bystander.Host, failure.Message, StringComparison.Ordinal);
        Assert.Empty(bystander.Received);
    }

    [Fact]
    public async Task Redirect_within_the_allowlist_is_followed_without_the_registrys_credentials()
    {
        string? authorizationAtStorage = "unset";
        await using var spy = new HostileRegistry(async c =>
        {
            authorizationAtStorage = c.Request.Headers["Authorization"];
            await HostileRegistry.WriteAsync(c, Blob, "application/octet-stream");
        });
        await using var registry = BasicRegistry(c => Redirect(c, $"http://{spy.Host}/blobs/stored", 307));
        using var client = Client(registry, allowOnlyRegistry: false, withCredentials: true);
        var blob = await client.GetBlobAsync(registry.Host, "app", Digest.Sha256(Blob));
        Assert.Equal(Blob, blob);
        Assert.Null(authorizationAtStorage);
    }

    [Fact]
    public async Task Upload_location_on_another_host_gets_no_credentials_and_is_refused_outside_the_allowlist()
    {
        await using var bystander = new Bystander();
        await using var registry = BasicRegistry(c =>
        {
            if (c.Request.HttpMethod == "HEAD") { c.Response.StatusCode = 404; return Task.CompletedTask; }
            c.Response.StatusCode = 202;
            c.Response.Headers["Location"] = $"http://{bystander.Host}/v2/app/blobs/uploads/session?state=abc";
            return Task.CompletedTask;
        });

        using (var open = Client(registry, allowOnlyRegistry: false, withCredentials: true))
        {
            await open.PushBlobAsync(registry.Host, "app", Blob);
            var put = Assert.Single(bystander.Received);
            Assert.Equal("PUT", put.Method);
            Assert.Null(put.Authorization);
        }

        using var allowlisted = Client(registry, allowOnlyRegistry: true, withCredentials: true);
        var failure = await Assert.ThrowsAsync<RegistryException>(() => allowlisted.PushBlobAsync(registry.Host, "app", Blob));
        Assert.Equal(RegistryCodes.NotAllowed, failure.Code);
        Assert.Single(bystander.Received); // still only the first client's PUT
    }

    [Fact]
    public async Task Token_realm_outside_the_allowlist_is_refused_without_contacting_it()
    {
        await using var bystander = new Bystander();
        await using var registry = new HostileRegistry(c =>
        {
            c.Response.StatusCode = 401;
            c.Response.Headers["WWW-Authenticate"] = $"Bearer realm=\"http://{bystander.Host}/token\",service=\"x\"";
            return Task.CompletedTask;
        });
        using var client = Client(registry, allowOnlyRegistry: true, withCredentials: true);
        var failure = await Assert.ThrowsAsync<RegistryException>(() => client.ResolveAsync(ImageReference.Parse($"{registry.Host}/app:v1")));
        Assert.Equal(RegistryCodes.NotAllowed, failure.Code);
        Assert.Empty(bystander.Received);
    }

    [Fact]
    public async Task Endless_redirects_stop_at_the_limit()
    {
        await using var registry = new HostileRegistry(c => Redirect(c, c.Request.Url!.AbsolutePath + "x"));
        using var client = Client(registry, allowOnlyRegistry: true);
        var failure = await Assert.ThrowsAsync<RegistryException>(() => client.GetBlobAsync(registry.Host, "app", Digest.Sha256(Blob)));
        Assert.Contains("redirected more than", failure.Message, StringComparison.Ordinal);
        Assert.True(registry.Requests <= OciLimits.MaxRedirects + 1, $"{registry.Requests} requests");
    }
}
