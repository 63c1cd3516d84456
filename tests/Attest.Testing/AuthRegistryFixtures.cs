using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace Attest.Testing;

/// <summary>A registry that requires HTTP Basic credentials (htpasswd; Distribution accepts only bcrypt entries,
/// made here with the real <c>htpasswd -B</c>).</summary>
public sealed class BasicAuthRegistryFixture : RegistryFixture
{
    public string Username { get; } = "attest";

    public string Password { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    protected override async Task<string> AuthConfigurationAsync()
    {
        var htpasswd = Prerequisites.Executable("htpasswd", "apache2-utils");
        var (_, entry) = await RigProcess.RunAsync(htpasswd, ["-Bbn", Username, Password]).ConfigureAwait(false);
        var file = Path.Combine(Directory, "htpasswd");
        await File.WriteAllTextAsync(file, entry.Trim() + "\n").ConfigureAwait(false);
        return $"auth:\n  htpasswd:\n    realm: attest-test\n    path: {file}\n";
    }
}

/// <summary>
/// A registry that requires bearer tokens (Docker's token authentication), with a token service hosted by the test
/// process: it checks Basic credentials, then issues an RS256 JWT whose <c>x5c</c> certificate is the registry's
/// <c>rootcertbundle</c>, granting the requested repository actions. Counts token requests so tests can see caching.
/// </summary>
public sealed class TokenAuthRegistryFixture : RegistryFixture
{
    private const string Service = "attest-test-registry";
    private const string Issuer = "attest-test-issuer";
    private readonly RSA _key = RSA.Create(2048);
    private HttpListener? _listener;
    private Task? _serving;
    private int _tokenRequests;
    private X509Certificate2? _certificate;

    public string Username { get; } = "ci";

    public string Password { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    public int TokenRequests => Volatile.Read(ref _tokenRequests);

    /// <summary>Lifetime of issued tokens in seconds (the <c>expires_in</c> the service reports).</summary>
    public int TokenLifetimeSeconds { get; set; } = 300;

    protected override async Task<string> AuthConfigurationAsync()
    {
        var request = new CertificateRequest("CN=attest-test-token-issuer", _key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var bundle = Path.Combine(Directory, "token.crt");
        await File.WriteAllTextAsync(bundle, _certificate.ExportCertificatePem() + "\n").ConfigureAwait(false);

        Exception? last = null;
        for (var attempt = 0; attempt < 5 && _listener is null; attempt++)
        {
            var port = RigProcess.FreeLoopbackPort();
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                _listener = listener;
                RealmUri = new Uri($"http://127.0.0.1:{port}/token");
            }
            catch (HttpListenerException e)
            {
                last = e;
                listener.Close();
            }
        }
        if (_listener is null) throw new InvalidOperationException($"token service could not listen: {last?.Message}");
        _serving = Task.Run(ServeAsync);
        return $"auth:\n  token:\n    realm: {RealmUri}\n    service: {Service}\n    issuer: {Issuer}\n    rootcertbundle: {bundle}\n";
    }

    public Uri RealmUri { get; private set; } = null!;

    private async Task ServeAsync()
    {
        while (_listener is { IsListening: true } listener)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            Interlocked.Increment(ref _tokenRequests);
            using var response = context.Response;
            if (!Authorized(context.Request.Headers["Authorization"]))
            {
                response.StatusCode = 401;
                continue;
            }
            var scopes = (context.Request.QueryString.GetValues("scope") ?? []).SelectMany(s => s.Split(' ')).ToArray();
            var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
            {
                ["token"] = IssueToken(scopes),
                ["expires_in"] = TokenLifetimeSeconds,
            });
            response.ContentType = "application/json";
            await response.OutputStream.WriteAsync(body).ConfigureAwait(false);
        }
    }

    private bool Authorized(string? header)
    {
        if (header is null || !header.StartsWith("Basic ", StringComparison.Ordinal)) return false;
        var expected = Encoding.UTF8.GetBytes($"{Username}:{Password}");
        try
        {
            return CryptographicOperations.FixedTimeEquals(Convert.FromBase64String(header[6..]), expected);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private string IssueToken(string[] scopes)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var access = scopes.Select(s => s.Split(':')).Where(p => p.Length == 3 && p[0] == "repository")
            .Select(p => new Dictionary<string, object> { ["type"] = "repository", ["name"] = p[1], ["actions"] = p[2].Split(',') })
            .ToArray();
        var header = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["alg"] = "RS256",
            ["typ"] = "JWT",
            ["x5c"] = new[] { Convert.ToBase64String(_certificate!.RawData) },
        });
        var claims = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["iss"] = Issuer,
            ["sub"] = Username,
            ["aud"] = Service,
            ["exp"] = now + TokenLifetimeSeconds,
            ["nbf"] = now - 10,
            ["iat"] = now,
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["access"] = access,
        });
        var signingInput = $"{Base64Url(header)}.{Base64Url(claims)}";
        var signature = _key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return $"{signingInput}.{Base64Url(signature)}";
    }

    private static string Base64Url(byte[] data) => Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync().ConfigureAwait(false);
        _listener?.Close();
        if (_serving is not null) await _serving.ConfigureAwait(false);
        _certificate?.Dispose();
        _key.Dispose();
    }
}
