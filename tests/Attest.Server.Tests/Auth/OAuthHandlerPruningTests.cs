using Attest.Server.Auth;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;
using static OpenIddict.Server.OpenIddictServerHandlerFilters;

namespace Attest.Server.Tests.Auth;

/// <summary>
/// Handlers leave OpenIddict's list only when the final options prove they can never run: the endpoints Attest does not
/// enable and, in degraded mode, the non-degraded ones. An endpoint that is configured, or a server outside degraded
/// mode, keeps all of its handlers.
/// </summary>
public sealed class OAuthHandlerPruningTests
{
    [Fact]
    public void Handlers_of_endpoints_without_URIs_and_of_the_non_degraded_mode_are_removed_and_the_token_endpoint_keeps_its_own()
    {
        var options = Options(degraded: true);
        var before = options.Handlers.Count;
        new OAuthHandlerPruning().PostConfigure(null, options);

        Assert.InRange(options.Handlers.Count, 1, before / 2 + 20);
        Assert.DoesNotContain(options.Handlers, h => h.ContextType == typeof(ValidateAuthorizationRequestContext) || h.ContextType == typeof(HandleUserInfoRequestContext));
        Assert.DoesNotContain(options.Handlers, h => h.FilterTypes.Contains(typeof(RequireDegradedModeDisabled)) || h.FilterTypes.Contains(typeof(RequireEndSessionRequest)));
        // What a token request needs is all there: every handler of the token endpoint's own events.
        foreach (var context in new[] { typeof(ExtractTokenRequestContext), typeof(ValidateTokenRequestContext), typeof(HandleTokenRequestContext), typeof(ApplyTokenResponseContext) })
        {
            var all = Options(degraded: true).Handlers.Where(h => h.ContextType == context && !h.FilterTypes.Contains(typeof(RequireDegradedModeDisabled))).ToList();
            Assert.NotEmpty(all);
            Assert.All(all, h => Assert.Contains(h, options.Handlers));
        }
    }

    [Fact]
    public void A_configured_endpoint_and_the_non_degraded_mode_keep_their_handlers()
    {
        var options = Options(degraded: false);
        options.AuthorizationEndpointUris.Add(new Uri("connect/authorize", UriKind.Relative));
        static bool Authorization(OpenIddictServerHandlerDescriptor h) =>
            h.ContextType == typeof(ValidateAuthorizationRequestContext) || h.FilterTypes.Contains(typeof(RequireAuthorizationRequest));
        static bool TokenNonDegraded(OpenIddictServerHandlerDescriptor h) =>
            h.ContextType == typeof(ValidateTokenRequestContext) && h.FilterTypes.Contains(typeof(RequireDegradedModeDisabled));
        var authorization = options.Handlers.Count(Authorization);
        var tokenNonDegraded = options.Handlers.Count(TokenNonDegraded);
        Assert.True(authorization > 0 && tokenNonDegraded > 0);

        new OAuthHandlerPruning().PostConfigure(null, options);

        Assert.Equal(authorization, options.Handlers.Count(Authorization));
        Assert.Equal(tokenNonDegraded, options.Handlers.Count(TokenNonDegraded));
        // The endpoints still without URIs lose theirs.
        Assert.DoesNotContain(options.Handlers, h => h.ContextType == typeof(HandleUserInfoRequestContext) || h.FilterTypes.Contains(typeof(RequireEndSessionRequest)));
    }

    /// <summary>OpenIddict's default handler list (server and its ASP.NET Core host), before any post-configuration.</summary>
    private static OpenIddictServerOptions Options(bool degraded)
    {
        var services = new ServiceCollection();
        services.AddOpenIddict().AddServer(server =>
        {
            server.UseAspNetCore();
            if (degraded) server.EnableDegradedMode();
        });
        using var provider = services.BuildServiceProvider();
        var options = new OpenIddictServerOptions();
        foreach (var configure in provider.GetServices<IConfigureOptions<OpenIddictServerOptions>>()) configure.Configure(options);
        return options;
    }
}
