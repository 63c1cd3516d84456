using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Features.Authentication;
using OpenIddict.Validation.AspNetCore;

namespace Attest.Server.Auth;

/// <summary>
/// Authentication of an API request: what ASP.NET Core's authentication middleware does, except that of the schemes
/// that see every request first only OpenIddict's validation does (it sets up its transaction there), not OpenIddict's
/// server, whose pipeline would only find that the path is none of its endpoints. Then the default scheme (the
/// validation) authenticates; its principal becomes the request's user, and its result is kept for the authorization
/// middleware and the challenge.
/// </summary>
internal static class ApiAuthentication
{
    public static async Task AuthenticateAsync(HttpContext context, RequestDelegate next)
    {
        context.Features.Set<IAuthenticationFeature>(new AuthenticationFeature { OriginalPath = context.Request.Path, OriginalPathBase = context.Request.PathBase });
        var handlers = context.RequestServices.GetRequiredService<IAuthenticationHandlerProvider>();
        if (await handlers.GetHandlerAsync(context, OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme).ConfigureAwait(false) is IAuthenticationRequestHandler validation
            && await validation.HandleRequestAsync().ConfigureAwait(false))
        {
            return;
        }
        var result = await context.AuthenticateAsync(OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme).ConfigureAwait(false);
        if (result.Principal is not null) context.User = result.Principal;
        if (result.Succeeded)
        {
            var features = new Features(result);
            context.Features.Set<IHttpAuthenticationFeature>(features);
            context.Features.Set<IAuthenticateResultFeature>(features);
        }
        await next(context).ConfigureAwait(false);
    }

    /// <summary>The two features the authentication middleware sets on success (its own class is internal).</summary>
    private sealed class Features(AuthenticateResult result) : IHttpAuthenticationFeature, IAuthenticateResultFeature
    {
        private AuthenticateResult? _result = result;
        private ClaimsPrincipal? _user = result.Principal;

        public AuthenticateResult? AuthenticateResult
        {
            get => _result;
            set => (_result, _user) = (value, value?.Principal);
        }

        public ClaimsPrincipal? User
        {
            get => _user;
            set => (_user, _result) = (value, null);
        }
    }
}
