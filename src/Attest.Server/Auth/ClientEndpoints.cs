using System.Security.Claims;
using System.Text.Json.Serialization;
using Attest.Server.Api;

namespace Attest.Server.Auth;

/// <summary>Administration of OAuth2 clients (scope <c>admin</c>): create (the secret is returned once), list, revoke.</summary>
public static class ClientEndpoints
{
    private const int MaxBodyBytes = 16 * 1024;
    private const int MaxNameLength = 100;

    public static void MapClientEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/v1/clients").WithTags("clients").RequireAuthorization(Scopes.Admin).RequireRateLimiting(AuthSetup.ApiRateLimit);
        group.MapPost("", CreateAsync)
            .WithName("CreateClient")
            .Accepts<CreateClientRequest>("application/json")
            .Produces<CreatedClient>(StatusCodes.Status201Created)
            .ProducesBodyProblems();
        group.MapGet("", ListAsync)
            .WithName("ListClients")
            .Produces<ClientList>(StatusCodes.Status200OK);
        group.MapDelete("/{clientId}", RevokeAsync)
            .WithName("RevokeClient")
            .Produces<ClientInfo>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
    }

    private static async Task<IResult> CreateAsync(HttpContext context, ClientDirectory clients)
    {
        var (request, problem) = await JsonBody.ReadAsync(context.Request, AuthApiJsonContext.Default.CreateClientRequest, MaxBodyBytes).ConfigureAwait(false);
        if (request is null) return problem!;
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > MaxNameLength || request.Name.Any(char.IsControl))
            return ApiProblems.Create(StatusCodes.Status400BadRequest, "invalid client", $"name must be 1-{MaxNameLength} printable characters");
        if (request.Scopes is not { Count: > 0 } scopes)
            return ApiProblems.Create(StatusCodes.Status400BadRequest, "invalid client", $"scopes must list at least one of: {string.Join(", ", Scopes.All)}");
        var unknown = scopes.FirstOrDefault(s => !Scopes.IsKnown(s));
        if (unknown is not null)
            return ApiProblems.Create(StatusCodes.Status400BadRequest, "invalid client", $"scope '{(unknown.Length > 40 ? unknown[..40] : unknown)}' is unknown; scopes are: {string.Join(", ", Scopes.All)}");

        var (client, secret) = await clients.CreateAsync(request.Name.Trim(), scopes.Distinct(StringComparer.Ordinal).ToList(), AttestClaims.ClientIdOf(context.User), context.RequestAborted).ConfigureAwait(false);
        return Results.Json(new CreatedClient(client.ClientId, secret, client.Name, client.Scopes, client.CreatedAt),
            AuthApiJsonContext.Default.CreatedClient, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> ListAsync(HttpContext context, ClientDirectory clients)
    {
        var list = await clients.Store.ListAsync(context.RequestAborted).ConfigureAwait(false);
        return Results.Json(new ClientList(list.Select(ClientInfo.From).ToList()), AuthApiJsonContext.Default.ClientList);
    }

    private static async Task<IResult> RevokeAsync(string clientId, HttpContext context, ClientDirectory clients)
    {
        var (client, lastAdministrator) = clientId.Length <= 128
            ? await clients.RevokeAsync(clientId, AttestClaims.ClientIdOf(context.User), context.RequestAborted).ConfigureAwait(false)
            : (null, false);
        if (client is null)
            return ApiProblems.Create(StatusCodes.Status404NotFound, "no such client", $"no client '{(clientId.Length > 40 ? clientId[..40] : clientId)}' is registered");
        if (lastAdministrator)
            return ApiProblems.Create(StatusCodes.Status409Conflict, "last administrator",
                $"{client.ClientId} is the last active client with scope admin; revoking it would leave nobody able to manage clients or keys. " +
                "Create another administrator first (attest client create --scope admin), then revoke this one");
        return Results.Json(ClientInfo.From(client), AuthApiJsonContext.Default.ClientInfo);
    }
}

public sealed record CreateClientRequest(string Name, IReadOnlyList<string>? Scopes);

public sealed record CreatedClient(string ClientId, string ClientSecret, string Name, IReadOnlyList<string> Scopes, DateTimeOffset CreatedAt);

public sealed record ClientInfo(
    string ClientId, string Name, IReadOnlyList<string> Scopes, DateTimeOffset CreatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? RevokedAt)
{
    public static ClientInfo From(OAuthClient client) => new(client.ClientId, client.Name, client.Scopes, client.CreatedAt, client.RevokedAt);
}

public sealed record ClientList(IReadOnlyList<ClientInfo> Clients);

[JsonSerializable(typeof(CreateClientRequest))]
[JsonSerializable(typeof(CreatedClient))]
[JsonSerializable(typeof(ClientInfo))]
[JsonSerializable(typeof(ClientList))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
internal sealed partial class AuthApiJsonContext : JsonSerializerContext;
