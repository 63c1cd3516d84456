using Attest.Testing;

namespace Attest.Oci.Tests;

[Collection(BasicAuthRegistryCollection.Name)]
public sealed class BasicAuthRegistryTests(BasicAuthRegistryFixture registry)
{
    private RegistryClient Client(RegistryCredential? credential) => new(new RegistryClientOptions
    {
        InsecureRegistries = new HashSet<string> { registry.Host },
        Credentials = credential is null ? null : new StaticCredentials(registry.Host, credential),
    });

    [Fact]
    public async Task Right_credentials_push_and_pull()
    {
        using var client = Client(new RegistryCredential(registry.Username, registry.Password));
        var repository = TestImages.UniqueRepository("basic");
        var (digest, _) = await TestImages.PushAsync(client, registry.Host, repository, "v1");
        Assert.Equal(digest, await client.ResolveAsync(ImageReference.Parse($"{registry.Host}/{repository}:v1")));
    }

    [Fact]
    public async Task No_credentials_fail_with_auth_required()
    {
        using var client = Client(null);
        var failure = await Assert.ThrowsAsync<RegistryException>(() => client.ResolveAsync(ImageReference.Parse($"{registry.Host}/basic/x:v1")));
        Assert.Equal(RegistryCodes.AuthRequired, failure.Code);
        Assert.Contains(registry.Host, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_password_fails_with_auth_denied_and_does_not_echo_it()
    {
        using var client = Client(new RegistryCredential(registry.Username, "wrong-password-value"));
        var failure = await Assert.ThrowsAsync<RegistryException>(() => client.ResolveAsync(ImageReference.Parse($"{registry.Host}/basic/x:v1")));
        Assert.Equal(RegistryCodes.AuthDenied, failure.Code);
        Assert.DoesNotContain("wrong-password-value", failure.Message, StringComparison.Ordinal);
    }
}

[Collection(TokenAuthRegistryCollection.Name)]
public sealed class TokenAuthRegistryTests(TokenAuthRegistryFixture registry)
{
    private RegistryClient Client(RegistryCredential? credential) => new(new RegistryClientOptions
    {
        InsecureRegistries = new HashSet<string> { registry.Host },
        Credentials = credential is null ? null : new StaticCredentials(registry.Host, credential),
    });

    [Fact]
    public async Task Bearer_challenge_flow_gets_a_token_and_reuses_it_per_scope()
    {
        using var client = Client(new RegistryCredential(registry.Username, registry.Password));
        var repository = TestImages.UniqueRepository("token");
        var (digest, _) = await TestImages.PushAsync(client, registry.Host, repository, "v1");
        var afterPush = registry.TokenRequests;

        var reference = ImageReference.Parse($"{registry.Host}/{repository}:v1");
        for (var i = 0; i < 5; i++) Assert.Equal(digest, await client.ResolveAsync(reference));
        await client.GetManifestAsync(reference);
        // Reads need a pull token once; every later read reuses it.
        Assert.Equal(afterPush + 1, registry.TokenRequests);
    }

    [Fact]
    public async Task A_token_obtained_with_one_credential_never_signs_in_another()
    {
        // Views made by WithCredentials (a workload's pull secrets) share one connection pool and one token cache:
        // the cache is keyed by the credential, so a workload with a wrong secret does not ride on another's token.
        using var client = Client(null);
        var repository = TestImages.UniqueRepository("token-views");
        using (var pusher = Client(new RegistryCredential(registry.Username, registry.Password)))
            await TestImages.PushAsync(pusher, registry.Host, repository, "v1");
        var reference = ImageReference.Parse($"{registry.Host}/{repository}:v1");

        var right = client.WithCredentials(new StaticCredentials(registry.Host, new RegistryCredential(registry.Username, registry.Password)));
        await right.ResolveAsync(reference);
        var wrong = client.WithCredentials(new StaticCredentials(registry.Host, new RegistryCredential(registry.Username, "not-the-password")));
        var failure = await Assert.ThrowsAsync<RegistryException>(() => wrong.ResolveAsync(reference));
        Assert.Equal(RegistryCodes.AuthDenied, failure.Code);
        var anonymous = await Assert.ThrowsAsync<RegistryException>(() => client.ResolveAsync(reference));
        Assert.Equal(RegistryCodes.AuthDenied, anonymous.Code);
        await right.ResolveAsync(reference); // and the right one still holds its token
    }

    [Fact]
    public async Task Token_service_refusing_the_credentials_is_auth_denied()
    {
        using var client = Client(new RegistryCredential(registry.Username, "not-the-password"));
        var failure = await Assert.ThrowsAsync<RegistryException>(() => client.ResolveAsync(ImageReference.Parse($"{registry.Host}/token/x:v1")));
        Assert.Equal(RegistryCodes.AuthDenied, failure.Code);
    }

    [Fact]
    public async Task Anonymous_client_is_refused_by_the_token_service()
    {
        using var client = Client(null);
        var failure = await Assert.ThrowsAsync<RegistryException>(() => client.ResolveAsync(ImageReference.Parse($"{registry.Host}/token/x:v1")));
        Assert.Equal(RegistryCodes.AuthDenied, failure.Code);
    }
}

internal sealed class StaticCredentials(string registry, RegistryCredential credential) : IRegistryCredentialProvider
{
    public RegistryCredential? GetCredential(string host) => host == registry ? credential : null;
}
