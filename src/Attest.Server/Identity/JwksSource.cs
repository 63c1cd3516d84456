using System.Net;
using Attest.Core.IO;
using Attest.Oci;
using Microsoft.IdentityModel.Tokens;

namespace Attest.Server.Identity;

/// <summary>
/// An issuer's signing keys (JWKS), from a file or fetched from its URI through the egress rules (allowlist,
/// link-local guard, plain HTTP only for hosts listed as insecure). Keys are cached; a token naming an unknown key id
/// triggers a refetch, at most once per <see cref="MinRefetchInterval"/> per issuer, so forged key ids cannot make
/// Attest hammer the issuer. Only asymmetric public keys (RSA, EC) are kept: a symmetric "oct" key, with which a
/// token could be signed using public material, is never a verification key. Thread-safe.
/// </summary>
public sealed class JwksSource
{
    public const int MaxBytes = 64 * 1024;
    public const int MaxKeys = 64;
    public static readonly TimeSpan MinRefetchInterval = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan MaxAge = TimeSpan.FromHours(1);

    private readonly OidcIssuerOptions _issuer;
    private readonly HttpClient? _http;
    private readonly RegistryClientOptions _egress;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _fetching = new(1, 1);
    private IReadOnlyList<SecurityKey> _keys = [];
    private DateTimeOffset _fetchedAt = DateTimeOffset.MinValue;
    private DateTimeOffset _lastAttempt = DateTimeOffset.MinValue;

    public JwksSource(OidcIssuerOptions issuer, HttpClient? http, RegistryClientOptions egress, TimeProvider time)
    {
        _issuer = issuer;
        _http = http;
        _egress = egress;
        _time = time;
    }

    /// <summary>Loads a file-based key set now, so that a missing or invalid file stops start-up.</summary>
    public void LoadFile()
    {
        if (_issuer.JwksFile is not { } file) return;
        _keys = Parse(ReadFile(file));
        _fetchedAt = _lastAttempt = _time.GetUtcNow();
    }

    /// <summary>The keys with <paramref name="keyId"/> (all keys when null), refetching once (rate-limited) when none match
    /// or the cache is stale. An unreachable issuer keeps the cached keys.</summary>
    public async Task<IReadOnlyList<SecurityKey>> GetKeysAsync(string? keyId, CancellationToken cancellationToken)
    {
        var keys = Matching(_keys, keyId);
        var now = _time.GetUtcNow();
        var stale = now - _fetchedAt > MaxAge;
        if ((keys.Count > 0 && !stale) || now - _lastAttempt < MinRefetchInterval) return keys;
        await _fetching.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            now = _time.GetUtcNow();
            if (now - _lastAttempt >= MinRefetchInterval)
            {
                _lastAttempt = now;
                try
                {
                    var json = _issuer.JwksFile is { } file ? ReadFile(file) : await FetchAsync(cancellationToken).ConfigureAwait(false);
                    _keys = Parse(json);
                    _fetchedAt = now;
                }
                catch (Exception e) when (e is JwksException or HttpRequestException or IOException or UnauthorizedAccessException or TaskCanceledException or RegistryException)
                {
                    if (_keys.Count == 0) throw new JwksException($"the key set of {_issuer.Issuer} cannot be loaded: {e.Message}", e);
                }
            }
        }
        finally
        {
            _fetching.Release();
        }
        return Matching(_keys, keyId);
    }

    private static List<SecurityKey> Matching(IReadOnlyList<SecurityKey> keys, string? keyId) =>
        keyId is null ? [.. keys] : [.. keys.Where(k => string.Equals(k.KeyId, keyId, StringComparison.Ordinal))];

    private async Task<string> FetchAsync(CancellationToken cancellationToken)
    {
        var uri = new Uri(_issuer.JwksUri!);
        var host = uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port}";
        if (!_egress.IsAllowed(host)) throw new JwksException($"{host} is not a host Attest may contact (Attest:Registries:Allowed)");
        if (uri.Scheme == "http" && !_egress.InsecureRegistries.Contains(host))
            throw new JwksException($"{uri} is plain HTTP; list {host} in Attest:Registries:Insecure to allow it (development only)");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        using var response = await _http!.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK) throw new JwksException($"{uri} answered {(int)response.StatusCode}");
        if (response.Content.Headers.ContentLength > MaxBytes) throw new JwksException($"{uri} sent more than {MaxBytes} bytes");
        await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
        var body = await BoundedRead.ReadAllAsync(stream, MaxBytes, timeout.Token).ConfigureAwait(false)
            ?? throw new JwksException($"{uri} sent more than {MaxBytes} bytes");
        return System.Text.Encoding.UTF8.GetString(body);
    }

    private static string ReadFile(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new JwksException($"key set file {path} does not exist");
        if (info.Length > MaxBytes) throw new JwksException($"key set file {path} is larger than {MaxBytes} bytes");
        return File.ReadAllText(path);
    }

    /// <summary>The public RSA and EC keys of a JWKS document; anything else in it is ignored, and a set without any is refused.</summary>
    internal static IReadOnlyList<SecurityKey> Parse(string json)
    {
        JsonWebKeySet set;
        try
        {
            set = new JsonWebKeySet(json);
        }
        catch (Exception e) when (e is ArgumentException or System.Text.Json.JsonException or InvalidOperationException)
        {
            throw new JwksException($"not a JSON Web Key Set ({e.Message})", e);
        }
        if (set.Keys.Count > MaxKeys) throw new JwksException($"the key set has {set.Keys.Count} keys, more than {MaxKeys}");
        var keys = set.Keys
            .Where(k => k.Kty is JsonWebAlgorithmsKeyTypes.RSA or JsonWebAlgorithmsKeyTypes.EllipticCurve && !k.HasPrivateKey
                        && (k.Use is null or "sig"))
            .ToList();
        foreach (var key in keys) key.CryptoProviderFactory = EcdsaTokenVerifiers.Factory;
        if (keys.Count == 0) throw new JwksException("the key set holds no RSA or EC public signing key");
        return [.. keys.Cast<SecurityKey>()];
    }
}

/// <summary>A key set that cannot be loaded or used.</summary>
public sealed class JwksException(string message, Exception? inner = null) : Exception(message, inner);
