using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Threading.RateLimiting;
using Attest.Ledger;
using Attest.Server.Hosting;
using Attest.Server.Secrets;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Attest.Server.Auth;

/// <summary>Wires authorization (one policy per scope, over the access tokens of <see cref="OAuthServer"/>), the OAuth
/// endpoints' guard and per-client rate limits.</summary>
public static class AuthSetup
{
    public const string ApiRateLimit = "api-per-client";

    /// <summary>Registers authorization and rate limits; returns the validated options (the client store is opened
    /// before the host is built, by <see cref="OpenClientsAsync"/>; the authorization server, which needs its signing
    /// key, by <see cref="OAuthServer.AddAttestOAuthServer"/>).</summary>
    public static AuthOptions AddAttestAuth(this IServiceCollection services, IConfiguration configuration)
    {
        var options = services.AddValidatedOptions<AuthOptions>(configuration, AuthOptions.Section, o => o.Validate());
        services.AddSingleton<Microsoft.AspNetCore.Authentication.IClaimsTransformation, ScopeClaims>();
        services.AddAuthorization(o =>
        {
            foreach (var scope in Scopes.All)
                o.AddPolicy(scope, p => p.RequireAuthenticatedUser().RequireClaim(AttestClaims.Scope, scope));
        });
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = (context, _) =>
            {
                if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
                    context.HttpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                return ValueTask.CompletedTask;
            };
            o.AddPolicy(ApiRateLimit, context => RateLimitPartition.GetTokenBucketLimiter(
                context.User.FindFirst(AttestClaims.ClientId)?.Value ?? "address:" + Address(context),
                _ => Bucket(options.PermitsPerSecond, options.Burst)));
        });
        return options;
    }

    public static void UseAttestAuth(this WebApplication app)
    {
        app.UseQueryStringCredentialGuard();
        app.UseOAuthRequestGuard();
        // The authorization server answers its endpoints here (ASP.NET Core's authentication middleware, which offers
        // every request to OpenIddict's server first); API requests only get their access token validated (a revoked
        // client's or revoked token is refused, see OAuthHandlers), without passing through the server's pipeline,
        // which has nothing to do for them (it cost about a tenth of an authenticated request's CPU). Requests without
        // credentials for endpoints that need none skip both: the webhook's and the probes' (as the health and
        // admission benchmarks showed, OpenIddict's pipelines are not free).
        app.UseWhen(context => OAuthServer.Serves(context.Request.Path), branch => branch.UseAuthentication());
        app.UseWhen(context => !OAuthServer.Serves(context.Request.Path) && NeedsAuthentication(context), branch => branch.Use(ApiAuthentication.AuthenticateAsync));
        // The branch's UseAuthentication marks only the branch; unmarked, WebApplication would add its own
        // authentication middleware at the head of the pipeline, ahead of the guards above.
        ((IApplicationBuilder)app).Properties[AuthenticationMiddlewareSetKey] = true;
        app.UseRateLimiter();
        app.UseAuthorization();
        app.MapOAuthDescriptions();
        app.MapClientEndpoints();
    }

    /// <summary>The application property by which WebApplication sees that authentication is in the pipeline
    /// (ASP.NET Core's <c>AuthAppBuilderExtensions</c>).</summary>
    private const string AuthenticationMiddlewareSetKey = "__AuthenticationMiddlewareSet";

    /// <summary>A request that carries an <c>Authorization</c> header, or one for an endpoint that requires
    /// authorization (its challenge is OpenIddict's, which needs OpenIddict to have seen the request).</summary>
    private static bool NeedsAuthentication(HttpContext context) =>
        context.Request.Headers.ContainsKey(HeaderNames.Authorization) || context.GetEndpoint()?.Metadata.GetMetadata<IAuthorizeData>() is not null;

    /// <summary>Opens the client store and, on the very first start, creates the bootstrap administrator whose
    /// credentials are written to an owner-only file (never logged).</summary>
    public static async Task<ClientDirectory> OpenClientsAsync(AuditLedger ledger, AuthOptions options, string dataDirectory, string? postgresConnectionString,
        SecretStore? secrets, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        var storePath = postgresConnectionString is null ? Path.GetFullPath(Path.Combine(dataDirectory, "clients.db")) : "the PostgreSQL ledger database";
        try
        {
            var store = postgresConnectionString is null
                ? await ClientStore.OpenSqliteAsync(storePath, cancellationToken).ConfigureAwait(false)
                : await ClientStore.OpenPostgresAsync(postgresConnectionString, cancellationToken).ConfigureAwait(false);
            var path = Path.GetFullPath(options.BootstrapCredentialsFile ?? Path.Combine(dataDirectory, "admin-credentials.json"));
            IReadOnlyList<string> scopes = [Scopes.Admin, Scopes.Audit];
            var directory = new ClientDirectory(ledger, store, time);
            if (secrets is not null)
            {
                await BootstrapSharedAdminAsync(secrets, directory, path, scopes, logger, cancellationToken).ConfigureAwait(false);
                return directory;
            }
            if (await store.CountAsync(cancellationToken).ConfigureAwait(false) > 0) return directory;

            // The file is written before the client exists, so a failed start never leaves an administrator nobody can
            // use; a start that failed after writing it registers the credentials it holds.
            var credentials = ReadCredentials(path);
            if (credentials is null)
            {
                credentials = new ClientCredentials(ClientSecrets.NewClientId(), ClientSecrets.NewSecret());
                WriteCredentials(path, credentials, scopes);
            }
            await directory.CreateAsync("bootstrap-admin", scopes, "attest first start", cancellationToken, credentials).ConfigureAwait(false);
            AuthLog.BootstrapClientCreated(logger, credentials.ClientId, path);
            return directory;
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or Npgsql.NpgsqlException or IOException or UnauthorizedAccessException or SecretStoreException)
        {
            throw new StartupException($"client store {storePath} cannot be opened: {e.Message}", e);
        }
    }

    /// <summary>
    /// Replicas of a shared ledger: the bootstrap administrator's credentials are kept (encrypted) in the database's key
    /// store, decided once by the first replica (from the bootstrap file if the operator gave one, else generated), and
    /// every replica registers them if no replica has yet and writes them to its own owner-only file when it has none.
    /// Replicas starting together therefore agree on one administrator instead of each creating its own.
    /// </summary>
    private static async Task BootstrapSharedAdminAsync(SecretStore secrets, ClientDirectory directory, string path, IReadOnlyList<string> scopes,
        ILogger logger, CancellationToken cancellationToken)
    {
        var (value, _) = await ServerSecretsSetup.GetOrCreateAsync(secrets, ServerSecrets.Kinds.BootstrapAdmin, () =>
        {
            var given = ReadCredentials(path) ?? new ClientCredentials(ClientSecrets.NewClientId(), ClientSecrets.NewSecret());
            return JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["client_id"] = given.ClientId, ["client_secret"] = given.Secret });
        }, cancellationToken).ConfigureAwait(false);
        using var document = JsonDocument.Parse(value, Attest.Core.Json.StrictJson.DocumentOptions(4));
        var credentials = new ClientCredentials(document.RootElement.GetProperty("client_id").GetString()!, document.RootElement.GetProperty("client_secret").GetString()!);
        if (!File.Exists(path)) WriteCredentials(path, credentials, scopes);
        if (await directory.Store.FindAsync(credentials.ClientId, cancellationToken).ConfigureAwait(false) is not null) return;
        if (await directory.Store.CountAsync(cancellationToken).ConfigureAwait(false) > 0) return; // administrators exist already
        try
        {
            await directory.CreateAsync("bootstrap-admin", scopes, "attest first start", cancellationToken, credentials).ConfigureAwait(false);
            AuthLog.BootstrapClientCreated(logger, credentials.ClientId, path);
        }
        catch (Npgsql.PostgresException e) when (e.SqlState == Npgsql.PostgresErrorCodes.UniqueViolation)
        {
            // Another replica registered the same administrator a moment earlier.
        }
    }

    /// <summary>The credentials a bootstrap file left by an earlier, failed first start holds; null when there is none.
    /// Only a file this server could have written is adopted: a regular file (not a link), owned by this user, mode
    /// 0600. Anything else was put there by someone else (say, 0644 with a secret of their choosing) and stops the start.</summary>
    internal static ClientCredentials? ReadCredentials(string path)
    {
        var status = Attest.Core.IO.RegularFile.Status(path);
        if (status.Kind == Attest.Core.IO.FileKind.Missing) return null;
        if (!OperatingSystem.IsWindows())
        {
            const UnixFileMode ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            var problem = !status.IsRegular ? $"it is not a regular file ({Attest.Core.IO.IrregularFileException.Describe(status.Kind)})"
                : status.OwnerId != Attest.Core.IO.RegularFile.CurrentUserId ? $"it is owned by user {status.OwnerId}, not by this server's user {Attest.Core.IO.RegularFile.CurrentUserId}"
                : status.Mode != ownerOnly ? $"its mode is {Convert.ToString((int)status.Mode, 8)}, not 600"
                : status.Links != 1 ? "it has other hard links"
                : null;
            if (problem is not null)
                throw new StartupException($"{path} exists, but this server did not write it ({problem}), so it is not adopted as the administrator's credentials; " +
                                           "remove it (or move it aside) and start again to create a new administrator");
        }
        try
        {
            if (status.Size > 64 * 1024) throw new IOException($"{path} is too large to be a credentials file");
            byte[] bytes;
            using (var stream = Attest.Core.IO.RegularFile.OpenRead(path))
            {
                bytes = new byte[Math.Min(stream.Length, 64 * 1024)];
                stream.ReadExactly(bytes);
            }
            using var document = JsonDocument.Parse(bytes, Attest.Core.Json.StrictJson.DocumentOptions(4));
            var id = document.RootElement.GetProperty("client_id").GetString();
            var secret = document.RootElement.GetProperty("client_secret").GetString();
            return string.IsNullOrEmpty(id) || string.IsNullOrEmpty(secret)
                ? throw new IOException($"{path} has no client_id and client_secret")
                : new ClientCredentials(id, secret);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new IOException($"{path} exists but is not a credentials file ({e.Message}); remove it to create a new administrator", e);
        }
    }

    internal static void WriteCredentials(string path, ClientCredentials credentials, IReadOnlyList<string> scopes)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var stream = new FileStream(path, fileOptions);
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        writer.WriteStartObject();
        writer.WriteString("client_id", credentials.ClientId);
        writer.WriteString("client_secret", credentials.Secret);
        writer.WriteString("scope", string.Join(' ', scopes));
        writer.WriteEndObject();
    }

    private static TokenBucketRateLimiterOptions Bucket(int perSecond, int burst) => new()
    {
        TokenLimit = burst,
        TokensPerPeriod = perSecond,
        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    private static string Address(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? IPAddress.None.ToString();
}

internal static partial class AuthLog
{
    [LoggerMessage(EventId = LogEvents.BootstrapClientCreated, Level = LogLevel.Warning, Message = "Created bootstrap administrator client {ClientId}; its credentials are in {Path} (owner-only): create your own clients with it, then revoke it")]
    public static partial void BootstrapClientCreated(ILogger logger, string clientId, string path);
}
