using Microsoft.Extensions.Options;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;
using static OpenIddict.Server.OpenIddictServerHandlerFilters;

namespace Attest.Server.Auth;

/// <summary>
/// Removes from OpenIddict's handler list the handlers that can never run on this server, about half of its 393: those
/// of the endpoints Attest does not enable (authorization, pushed authorization, device authorization, end session,
/// end-user verification, userinfo: no request is ever of their type) and those for the non-degraded mode. OpenIddict's
/// dispatcher walks the whole list, context type by context type and filter by filter, for every event of every request
/// (about ten events per token request), and that walk was the largest single cost of issuing a token (about a sixth of
/// the server's CPU per token before). Each removal is justified by the final options it checks: an endpoint family
/// only when none of its URIs is configured, the non-degraded handlers only in degraded mode; so a later configuration
/// that enables any of them keeps their handlers. Runs after OpenIddict's own post-configuration (registered after it).
/// </summary>
internal sealed class OAuthHandlerPruning : IPostConfigureOptions<OpenIddictServerOptions>
{
    public void PostConfigure(string? name, OpenIddictServerOptions options)
    {
        var neverActive = new HashSet<Type>();
        var neverDispatched = new HashSet<Type>();
        if (options.EnableDegradedMode) neverActive.Add(typeof(RequireDegradedModeDisabled));
        Endpoint(options.AuthorizationEndpointUris, typeof(RequireAuthorizationRequest),
            typeof(ExtractAuthorizationRequestContext), typeof(ValidateAuthorizationRequestContext), typeof(HandleAuthorizationRequestContext), typeof(ApplyAuthorizationResponseContext));
        Endpoint(options.PushedAuthorizationEndpointUris, typeof(RequirePushedAuthorizationRequest),
            typeof(ExtractPushedAuthorizationRequestContext), typeof(ValidatePushedAuthorizationRequestContext), typeof(HandlePushedAuthorizationRequestContext), typeof(ApplyPushedAuthorizationResponseContext));
        Endpoint(options.DeviceAuthorizationEndpointUris, typeof(RequireDeviceAuthorizationRequest),
            typeof(ExtractDeviceAuthorizationRequestContext), typeof(ValidateDeviceAuthorizationRequestContext), typeof(HandleDeviceAuthorizationRequestContext), typeof(ApplyDeviceAuthorizationResponseContext));
        Endpoint(options.EndSessionEndpointUris, typeof(RequireEndSessionRequest),
            typeof(ExtractEndSessionRequestContext), typeof(ValidateEndSessionRequestContext), typeof(HandleEndSessionRequestContext), typeof(ApplyEndSessionResponseContext));
        Endpoint(options.EndUserVerificationEndpointUris, typeof(RequireEndUserVerificationRequest),
            typeof(ExtractEndUserVerificationRequestContext), typeof(ValidateEndUserVerificationRequestContext), typeof(HandleEndUserVerificationRequestContext), typeof(ApplyEndUserVerificationResponseContext));
        Endpoint(options.UserInfoEndpointUris, typeof(RequireUserInfoRequest),
            typeof(ExtractUserInfoRequestContext), typeof(ValidateUserInfoRequestContext), typeof(HandleUserInfoRequestContext), typeof(ApplyUserInfoResponseContext));
        options.Handlers.RemoveAll(handler => neverDispatched.Contains(handler.ContextType) || handler.FilterTypes.Any(neverActive.Contains));

        // OpenIddict infers a request's endpoint type from these URIs alone: with none, no request is of that type, so
        // the filter that requires it is always false and the endpoint's own events are never dispatched.
        void Endpoint(List<Uri> uris, Type requestFilter, params Type[] contexts)
        {
            if (uris.Count > 0) return;
            neverActive.Add(requestFilter);
            neverDispatched.UnionWith(contexts);
        }
    }
}
