using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Attest.Core;
using Attest.Core.Crypto;

namespace Attest.Oci;

/// <summary>
/// OCI Distribution client: manifests and indexes (with the full Accept list), tag-to-digest resolution, size-bounded
/// and digest-checked blobs, tags, referrers (OCI 1.1 API with the tag-schema fallback), cosign's
/// <c>sha256-&lt;hex&gt;.sig/.att/.sbom</c> tags, and pushes, each attempt under a deadline with bounded retries.
/// Signing in (anonymous, Basic, the bearer-token challenge flow) is <see cref="RegistryAuthenticationHandler"/>'s, and
/// the egress rules <see cref="EgressHandler"/>'s, below every call. Everything fetched is checked against its digest
/// before it is returned.
/// </summary>
public sealed class RegistryClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly RegistryClientOptions _options;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _fallbackIndexLock;

    /// <summary>Credentials of this view (a workload's image pull secrets), tried before the configured ones.</summary>
    private readonly IRegistryCredentialProvider? _callerCredentials;

    /// <summary>Whether this instance created the connection pool (views made by <see cref="WithCredentials"/> share it).</summary>
    private readonly bool _ownsTransport;

    public RegistryClient(RegistryClientOptions? options = null, TimeProvider? time = null, HttpMessageHandler? handler = null)
    {
        _options = options ?? new RegistryClientOptions();
        _time = time ?? TimeProvider.System;
        // Every request, and every hop a registry sends it on, passes the egress check.
        _http = new HttpClient(
            new RegistryAuthenticationHandler(_options, _time, new EgressHandler(_options, handler ?? EgressHttpHandler.Create(_options))),
            disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd(_options.UserAgent);
        _fallbackIndexLock = new SemaphoreSlim(1, 1);
        _ownsTransport = true;
    }

    private RegistryClient(RegistryClient shared, IRegistryCredentialProvider credentials)
    {
        _http = shared._http;
        _options = shared._options;
        _time = shared._time;
        _fallbackIndexLock = shared._fallbackIndexLock;
        _callerCredentials = credentials;
    }

    /// <summary>
    /// The same client (connections, token cache) signing in with <paramref name="credentials"/> first and the
    /// configured ones as the fallback: a workload's image pull secrets, passed with each request rather than kept
    /// in ambient state. Bearer tokens are cached per registry, scope and credential, so one workload's credentials
    /// never sign in another with a different identity. Disposing a view leaves the shared client open.
    /// </summary>
    public RegistryClient WithCredentials(IRegistryCredentialProvider? credentials) =>
        credentials is null ? this : new RegistryClient(this, credentials);

    /// <summary>The credential a call to <paramref name="registry"/> signs in with (null: anonymous).</summary>
    public RegistryCredential? CredentialFor(string registry) =>
        _callerCredentials?.GetCredential(registry) ?? _options.Credentials?.GetCredential(registry);

    /// <summary>Resolves a reference to the digest of what it names now (the index digest for multi-arch images).
    /// A digest-pinned reference is returned as is.</summary>
    public async Task<Digest> ResolveAsync(ImageReference reference, CancellationToken cancellationToken = default)
    {
        if (reference.Digest is { } pinned) return pinned;
        using var response = await SendAsync(reference.Registry, reference.Repository, write: false, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Head, ManifestUri(reference.Registry, reference.Repository, reference.ManifestReference));
            AcceptManifests(request);
            return request;
        }, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, $"manifest {reference}", cancellationToken).ConfigureAwait(false);
        if (response.Headers.TryGetValues("Docker-Content-Digest", out var values) &&
            Digest.TryParse(values.FirstOrDefault(), out var digest, out _) && digest.Value.Algorithm == "sha256")
            return digest.Value;
        // No usable header: fetch the manifest and hash it ourselves.
        return (await GetManifestAsync(reference, cancellationToken).ConfigureAwait(false)).Digest;
    }

    /// <summary>Fetches a manifest or index. When the reference has a digest, the content must hash to it; when it is
    /// a tag, the content must hash to the registry's Docker-Content-Digest if one is sent.</summary>
    public async Task<Manifest> GetManifestAsync(ImageReference reference, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(reference.Registry, reference.Repository, write: false, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, ManifestUri(reference.Registry, reference.Repository, reference.ManifestReference));
            AcceptManifests(request);
            return request;
        }, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, $"manifest {reference}", cancellationToken).ConfigureAwait(false);
        var content = await RegistryResponses.ReadBoundedAsync(response, OciLimits.MaxManifestBytes, $"manifest {reference}", cancellationToken).ConfigureAwait(false);

        var actual = reference.Digest is { Algorithm: not "sha256" } other ? Hash(other.Algorithm, content) : Digest.Sha256(content);
        if (reference.Digest is { } expected && !expected.Equals(actual))
            throw new RegistryException(RegistryCodes.DigestMismatch, $"manifest {reference} has digest {actual}, not the {expected} that was requested");
        if (reference.Digest is null && response.Headers.TryGetValues("Docker-Content-Digest", out var values) &&
            Digest.TryParse(values.FirstOrDefault(), out var announced, out _) && announced.Value.Algorithm == "sha256" &&
            !announced.Value.Equals(actual))
            throw new RegistryException(RegistryCodes.DigestMismatch, $"manifest {reference} has digest {actual}, but the registry announced {announced}");

        return Manifest.Parse(actual, content, response.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>Fetches a manifest if it exists; null for 404 (a missing signature tag is not an error).</summary>
    public async Task<Manifest?> TryGetManifestAsync(ImageReference reference, CancellationToken cancellationToken = default)
    {
        try
        {
            return await GetManifestAsync(reference, cancellationToken).ConfigureAwait(false);
        }
        catch (RegistryException e) when (e.Code == RegistryCodes.NotFound)
        {
            return null;
        }
    }

    /// <summary>Fetches a blob into memory, at most <paramref name="maxBytes"/>, and checks it hashes to its digest.</summary>
    public async Task<byte[]> GetBlobAsync(
        string registry, string repository, Digest digest, long maxBytes = OciLimits.DefaultMaxBlobBytes, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(registry, repository, write: false,
            () => new HttpRequestMessage(HttpMethod.Get, RepositoryUri(registry, repository, $"blobs/{digest}")), cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, $"blob {digest} of {registry}/{repository}", cancellationToken).ConfigureAwait(false);
        var content = await RegistryResponses.ReadBoundedAsync(response, maxBytes, $"blob {digest} of {registry}/{repository}", cancellationToken).ConfigureAwait(false);
        var actual = Hash(digest.Algorithm, content);
        if (!actual.Equals(digest))
            throw new RegistryException(RegistryCodes.DigestMismatch, $"blob {digest} of {registry}/{repository} has digest {actual}");
        return content;
    }

    public async Task<IReadOnlyList<string>> ListTagsAsync(string registry, string repository, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(registry, repository, write: false,
            () => new HttpRequestMessage(HttpMethod.Get, RepositoryUri(registry, repository, "tags/list")), cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, $"tags of {registry}/{repository}", cancellationToken).ConfigureAwait(false);
        var content = await RegistryResponses.ReadBoundedAsync(response, OciLimits.MaxManifestBytes, $"tags of {registry}/{repository}", cancellationToken).ConfigureAwait(false);
        try
        {
            var tags = JsonSerializer.Deserialize(content, OciJsonContext.Default.TagListJson)?.Tags ?? [];
            if (tags.Count > OciLimits.MaxTags) throw new RegistryException(RegistryCodes.TooLarge, $"{registry}/{repository} lists more than {OciLimits.MaxTags} tags");
            return tags;
        }
        catch (JsonException e)
        {
            throw new RegistryException(RegistryCodes.Malformed, $"tag list of {registry}/{repository} is not valid JSON: {e.Message}", inner: e);
        }
    }

    /// <summary>Artifacts that name <paramref name="subject"/> as their subject, every page of them up to
    /// <see cref="OciLimits.MaxReferrerPages"/> and <see cref="OciLimits.MaxDescriptors"/> (beyond that,
    /// <see cref="RegistryCodes.TooLarge"/>). Listing is discovery only: nothing here is trusted until its signature
    /// verifies. Callers that must bound the work and name what they left out page with <see cref="GetReferrersPageAsync"/>.</summary>
    public async Task<IReadOnlyList<Descriptor>> GetReferrersAsync(
        string registry, string repository, Digest subject, CancellationToken cancellationToken = default)
    {
        var all = new List<Descriptor>();
        string? next = null;
        for (var page = 0; page < OciLimits.MaxReferrerPages; page++)
        {
            var listed = await GetReferrersPageAsync(registry, repository, subject, next, cancellationToken).ConfigureAwait(false);
            all.AddRange(listed.Referrers);
            if (all.Count > OciLimits.MaxDescriptors)
                throw new RegistryException(RegistryCodes.TooLarge, $"{registry}/{repository} lists more than {OciLimits.MaxDescriptors} referrers of {subject}");
            if ((next = listed.Next) is null) return all;
        }
        throw new RegistryException(RegistryCodes.TooLarge, $"{registry}/{repository} pages the referrers of {subject} over more than {OciLimits.MaxReferrerPages} pages");
    }

    /// <summary>
    /// One page of the artifacts that name <paramref name="subject"/>: the OCI 1.1 referrers API
    /// (<c>GET /v2/&lt;name&gt;/referrers/&lt;digest&gt;</c>, distribution-spec 1.1 "Listing Referrers"; further pages
    /// through the <c>Link: &lt;…&gt;; rel="next"</c> header, passed back as <paramref name="next"/>), or, where the
    /// registry does not have the API (Distribution 2.8 answers 404 text/plain), the fallback index under the tag
    /// <c>sha256-&lt;hex&gt;</c>, which is a single page. A next link may only stay on the registry's own origin.
    /// </summary>
    public async Task<ReferrersPage> GetReferrersPageAsync(
        string registry, string repository, Digest subject, string? next, CancellationToken cancellationToken = default)
    {
        var first = RepositoryUri(registry, repository, $"referrers/{subject}");
        var uri = next is null ? first : NextPage(first, next, registry, subject);
        using (var response = await SendAsync(registry, repository, write: false, () =>
               {
                   var request = new HttpRequestMessage(HttpMethod.Get, uri);
                   request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(OciMediaTypes.ImageIndex));
                   return request;
               }, cancellationToken).ConfigureAwait(false))
        {
            if (response.IsSuccessStatusCode && response.Content.Headers.ContentType?.MediaType == OciMediaTypes.ImageIndex)
            {
                var content = await RegistryResponses.ReadBoundedAsync(response, OciLimits.MaxManifestBytes, $"referrers of {subject}", cancellationToken).ConfigureAwait(false);
                var referrers = Manifest.Parse(Digest.Sha256(content), content, OciMediaTypes.ImageIndex).Manifests;
                return new ReferrersPage(referrers, NextLink(response), FromApi: true);
            }
            if (next is not null)
            {
                await EnsureSuccessAsync(response, $"referrers of {subject} (next page)", cancellationToken).ConfigureAwait(false);
                throw new RegistryException(RegistryCodes.Malformed, $"a next page of the referrers of {subject} is not an image index");
            }
            if (response.StatusCode is not (HttpStatusCode.NotFound or HttpStatusCode.BadRequest or HttpStatusCode.MethodNotAllowed))
                await EnsureSuccessAsync(response, $"referrers of {subject}", cancellationToken).ConfigureAwait(false);
        }
        var fallback = ImageReference.Parse($"{registry}/{repository}:{ReferrersTag(subject)}");
        var index = await TryGetManifestAsync(fallback, cancellationToken).ConfigureAwait(false);
        return new ReferrersPage(index?.Manifests ?? [], null, FromApi: false);
    }

    /// <summary>The <c>rel="next"</c> target of an RFC 8288 <c>Link</c> header, as sent (resolved by the next call).</summary>
    private static string? NextLink(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Link", out var values)) return null;
        foreach (var value in values)
        {
            foreach (var link in value.Split(',', StringSplitOptions.TrimEntries))
            {
                var open = link.IndexOf('<', StringComparison.Ordinal);
                var close = link.IndexOf('>', StringComparison.Ordinal);
                if (open != 0 || close < 0) continue;
                var parameters = link[(close + 1)..].Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                if (parameters.Any(p => p.Replace(" ", "", StringComparison.Ordinal) is "rel=\"next\"" or "rel=next"))
                    return link[1..close];
            }
        }
        return null;
    }

    /// <summary>A next-page link resolved against the first page; it must stay on the same origin and on this
    /// subject's referrers path (a registry cannot send the client, or its credentials, elsewhere).</summary>
    private static Uri NextPage(Uri first, string next, string registry, Digest subject)
    {
        if (next.Length > 2048 || !Uri.TryCreate(first, next, out var uri) ||
            !string.Equals(uri.GetLeftPart(UriPartial.Authority), first.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase) ||
            uri.AbsolutePath != first.AbsolutePath)
            throw new RegistryException(RegistryCodes.Malformed, $"registry {registry} sent a next-page link for the referrers of {subject} that leaves their listing");
        return uri;
    }

    /// <summary>Cosign's tag for an artifact attached to <paramref name="subject"/>: <c>sha256-&lt;hex&gt;.sig</c>.</summary>
    public static string CosignTag(Digest subject, CosignArtifact kind) => $"{subject.Algorithm}-{subject.Hex}.{kind switch
    {
        CosignArtifact.Signature => "sig",
        CosignArtifact.Attestation => "att",
        CosignArtifact.Sbom => "sbom",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    }}";

    /// <summary>The OCI 1.1 referrers fallback tag: <c>sha256-&lt;hex&gt;</c>.</summary>
    public static string ReferrersTag(Digest subject) => $"{subject.Algorithm}-{subject.Hex}";

    /// <summary>Cosign's signature, attestation or SBOM manifest for an image digest, or null when there is none.</summary>
    public Task<Manifest?> GetCosignArtifactAsync(ImageReference image, Digest subject, CosignArtifact kind, CancellationToken cancellationToken = default) =>
        TryGetManifestAsync(ImageReference.Parse($"{image.Name}:{CosignTag(subject, kind)}"), cancellationToken);

    /// <summary>Uploads a blob (monolithic POST then PUT) unless the registry already has it; returns its digest.</summary>
    public async Task<Digest> PushBlobAsync(string registry, string repository, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        var digest = Digest.Sha256(content.Span);
        using (var head = await SendAsync(registry, repository, write: true,
                   () => new HttpRequestMessage(HttpMethod.Head, RepositoryUri(registry, repository, $"blobs/{digest}")), cancellationToken).ConfigureAwait(false))
            if (head.IsSuccessStatusCode) return digest;

        Uri location;
        using (var start = await SendAsync(registry, repository, write: true,
                   () => new HttpRequestMessage(HttpMethod.Post, RepositoryUri(registry, repository, "blobs/uploads/")), cancellationToken).ConfigureAwait(false))
        {
            await EnsureSuccessAsync(start, $"upload to {registry}/{repository}", cancellationToken).ConfigureAwait(false);
            location = start.Headers.Location is { } l
                ? new Uri(RepositoryUri(registry, repository, ""), l)
                : throw new RegistryException(RegistryCodes.Malformed, $"upload to {registry}/{repository} returned no Location");
        }
        var target = new Uri(location + (location.Query.Length > 0 ? "&" : "?") + "digest=" + Uri.EscapeDataString(digest.ToString()));
        using var put = await SendAsync(registry, repository, write: true, () => new HttpRequestMessage(HttpMethod.Put, target)
        {
            Content = new ReadOnlyMemoryContent(content) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } },
        }, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(put, $"blob {digest} to {registry}/{repository}", cancellationToken).ConfigureAwait(false);
        return digest;
    }

    /// <summary>Stores a manifest under a tag (or its digest); returns its digest.</summary>
    public async Task<Digest> PushManifestAsync(
        string registry, string repository, string reference, ReadOnlyMemory<byte> content, string mediaType, CancellationToken cancellationToken = default) =>
        (await PutManifestAsync(registry, repository, reference, content, mediaType, cancellationToken).ConfigureAwait(false)).Digest;

    /// <summary>Stores an OCI image manifest that names a <c>subject</c> (an OCI 1.1 referrer) under its digest, and
    /// makes it discoverable: a registry with the referrers API says so with the <c>OCI-Subject</c> header; otherwise
    /// (Distribution 2.8) the manifest is added to the fallback index under the tag <c>sha256-&lt;hex&gt;</c>, with
    /// its artifactType and annotations, as the distribution spec asks of clients. Returns the manifest's digest.</summary>
    public async Task<Digest> PushReferrerAsync(string registry, string repository, ReadOnlyMemory<byte> manifest, CancellationToken cancellationToken = default)
    {
        var digest = Digest.Sha256(manifest.Span);
        var parsed = Manifest.Parse(digest, manifest, OciMediaTypes.ImageManifest);
        if (parsed.IsIndex || parsed.Subject is not { Digest: var subject })
            throw new ArgumentException("a referrer is an image manifest with a subject", nameof(manifest));
        var (_, subjectAccepted) = await PutManifestAsync(registry, repository, digest.ToString(), manifest, OciMediaTypes.ImageManifest, cancellationToken).ConfigureAwait(false);
        if (subjectAccepted) return digest;

        // Read-modify-write of the fallback index: serialized here; writers in other processes can still race
        // (the spec's known limitation of the tag schema), which a later push repairs by re-adding its entry.
        await _fallbackIndexLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var tag = ReferrersTag(subject);
            var existing = await TryGetManifestAsync(ImageReference.Parse($"{registry}/{repository}:{tag}"), cancellationToken).ConfigureAwait(false);
            if (existing is not null && !existing.IsIndex)
                throw new RegistryException(RegistryCodes.Rejected, $"the referrers fallback tag {tag} of {registry}/{repository} holds a {existing.MediaType}, not an image index");
            if (existing is not null && existing.Manifests.Any(m => m.Digest.Equals(digest))) return digest;
            if (existing is not null && existing.Manifests.Count >= OciLimits.MaxDescriptors)
                throw new RegistryException(RegistryCodes.TooLarge, $"the referrers fallback index {tag} of {registry}/{repository} already lists {existing.Manifests.Count} artifacts");
            var index = ManifestWriter.AppendToIndex(existing?.Content,
                new Descriptor(OciMediaTypes.ImageManifest, digest, manifest.Length, parsed.ArtifactType ?? parsed.Config?.MediaType,
                    parsed.Annotations.Count > 0 ? parsed.Annotations : null));
            await PutManifestAsync(registry, repository, tag, index, OciMediaTypes.ImageIndex, cancellationToken).ConfigureAwait(false);
            return digest;
        }
        finally
        {
            _fallbackIndexLock.Release();
        }
    }

    private async Task<(Digest Digest, bool SubjectAccepted)> PutManifestAsync(
        string registry, string repository, string reference, ReadOnlyMemory<byte> content, string mediaType, CancellationToken cancellationToken)
    {
        if (content.Length > OciLimits.MaxManifestBytes) throw new RegistryException(RegistryCodes.TooLarge, $"manifest is larger than {OciLimits.MaxManifestBytes} bytes");
        var digest = Digest.Sha256(content.Span);
        using var response = await SendAsync(registry, repository, write: true, () => new HttpRequestMessage(HttpMethod.Put, ManifestUri(registry, repository, reference))
        {
            Content = new ReadOnlyMemoryContent(content) { Headers = { ContentType = new MediaTypeHeaderValue(mediaType) } },
        }, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, $"manifest {registry}/{repository}:{reference}", cancellationToken).ConfigureAwait(false);
        return (digest, response.Headers.Contains("OCI-Subject"));
    }

    public void Dispose()
    {
        if (!_ownsTransport) return;
        _http.Dispose();
        _fallbackIndexLock.Dispose();
    }

    // ---- transport: bounded attempts and retries (sign-in is RegistryAuthenticationHandler's) -----------------

    /// <summary>Why a registry could not be reached, down to the innermost cause ("The SSL connection could not be
    /// established, see inner exception" says nothing a person can act on), with the setting that fixes the usual TLS
    /// causes: a plain-HTTP registry, or a certificate from a private CA.</summary>
    internal static string TransportFailure(string registry, HttpRequestException e)
    {
        Exception innermost = e;
        var tls = false;
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            innermost = inner;
            tls |= inner is System.Security.Authentication.AuthenticationException;
        }
        var cause = innermost == e ? e.Message.TrimEnd('.') : $"{e.Message.Split(", see inner exception", 2)[0].TrimEnd('.')}: {innermost.Message.TrimEnd('.')}";
        return tls
            ? $"registry {registry} is unreachable over HTTPS ({cause}). If it serves plain HTTP, list it as insecure " +
              "(server: Attest:Registries:Insecure; CLI: --insecure-registry); if its certificate comes from a private CA, trust that CA " +
              "(server: Attest:Registries:CaFile; CLI: SSL_CERT_FILE)"
            : $"registry {registry} is unreachable ({cause})";
    }

    /// <summary>Sends a request built by <paramref name="create"/> (built anew for each attempt, since a request
    /// cannot be sent twice) under a deadline per attempt, retrying transient failures; it signs in as
    /// <see cref="CredentialFor"/> says, through <see cref="RegistryAuthenticationHandler"/>.</summary>
    private async Task<HttpResponseMessage> SendAsync(
        string registry, string repository, bool write, Func<HttpRequestMessage> create, CancellationToken cancellationToken)
    {
        if (!_options.IsAllowed(registry))
            throw new RegistryException(RegistryCodes.NotAllowed, $"registry {registry} is not one Attest may contact (Attest:Registries:Allowed)");
        var scope = $"repository:{repository}:{(write ? "pull,push" : "pull")}";
        for (var attempt = 1; ; attempt++)
        {
            using var request = create();
            request.Options.Set(RegistryAuthenticationHandler.SignIn, new RegistrySignIn(registry, scope, CredentialFor(registry), RepositoryUri(registry, "", "")));
            HttpResponseMessage response;
            using (var attemptTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                attemptTimeout.CancelAfter(_options.AttemptTimeout);
                try
                {
                    response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, attemptTimeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
                {
                    if (attempt < _options.MaxAttempts) { await BackoffAsync(attempt, cancellationToken).ConfigureAwait(false); continue; }
                    throw new RegistryException(RegistryCodes.Timeout, $"registry {registry} did not answer within {_options.AttemptTimeout.TotalSeconds:0.#} s ({attempt} attempts)", isTransient: true, e);
                }
                catch (OperationCanceledException e)
                {
                    throw new RegistryException(RegistryCodes.Timeout, $"registry {registry} did not answer before the deadline", isTransient: true, e);
                }
                catch (HttpRequestException e) when (e.InnerException is RegistryException refused)
                {
                    throw refused; // a refused address is not a transient failure
                }
                catch (HttpRequestException e)
                {
                    if (attempt < _options.MaxAttempts) { await BackoffAsync(attempt, cancellationToken).ConfigureAwait(false); continue; }
                    throw new RegistryException(RegistryCodes.Unreachable, TransportFailure(registry, e), isTransient: true, e);
                }
            }

            if (RegistryResponses.IsTransient(response.StatusCode) && attempt < _options.MaxAttempts)
            {
                response.Dispose();
                await BackoffAsync(attempt, cancellationToken).ConfigureAwait(false);
                continue;
            }
            return response;
        }
    }

    private Task BackoffAsync(int attempt, CancellationToken cancellationToken) =>
        Task.Delay(TimeSpan.FromMilliseconds(100 * attempt * attempt), _time, cancellationToken);

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode) return;
        var detail = await ErrorDetailAsync(response, cancellationToken).ConfigureAwait(false);
        throw response.StatusCode switch
        {
            HttpStatusCode.NotFound => new RegistryException(RegistryCodes.NotFound, $"{what} was not found{detail}"),
            HttpStatusCode.Unauthorized => new RegistryException(RegistryCodes.AuthDenied, $"{what}: the registry refused the credentials{detail}"),
            HttpStatusCode.Forbidden => new RegistryException(RegistryCodes.AuthDenied, $"{what}: access denied{detail}"),
            HttpStatusCode.BadRequest => new RegistryException(RegistryCodes.Rejected, $"{what}: the registry rejected the request{detail}"),
            var s when (int)s >= 500 || RegistryResponses.IsTransient(s) => new RegistryException(RegistryCodes.ServerError, $"{what}: the registry answered {(int)s}{detail}", isTransient: true),
            var s => new RegistryException(RegistryCodes.Unexpected, $"{what}: the registry answered {(int)s}{detail}"),
        };
    }

    /// <summary>The registry's own error code and message (OCI error JSON), bounded and printable.</summary>
    private static async Task<string> ErrorDetailAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var body = await RegistryResponses.ReadBoundedAsync(response, OciLimits.MaxErrorBodyBytes, "error", cancellationToken).ConfigureAwait(false);
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array && errors.GetArrayLength() > 0)
            {
                var first = errors[0];
                var code = first.TryGetProperty("code", out var c) ? c.GetString() : null;
                var message = first.TryGetProperty("message", out var m) ? m.GetString() : null;
                var text = $" ({code}: {message})";
                return new string(text.Take(300).Select(ch => char.IsControl(ch) ? '?' : ch).ToArray());
            }
        }
        catch (Exception e) when (e is JsonException or RegistryException or HttpRequestException or IOException)
        {
        }
        return "";
    }

    private static Digest Hash(string algorithm, byte[] content) => algorithm switch
    {
        "sha256" => Digest.Sha256(content),
        "sha384" => Digest.FromBytes("sha384", System.Security.Cryptography.SHA384.HashData(content)),
        "sha512" => Digest.FromBytes("sha512", System.Security.Cryptography.SHA512.HashData(content)),
        _ => throw new RegistryException(RegistryCodes.Malformed, $"unsupported digest algorithm {algorithm}"),
    };

    private static void AcceptManifests(HttpRequestMessage request)
    {
        foreach (var type in OciMediaTypes.ManifestAccept) request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
    }

    private Uri ManifestUri(string registry, string repository, string reference) =>
        RepositoryUri(registry, repository, $"manifests/{reference}");

    private Uri RepositoryUri(string registry, string repository, string path)
    {
        var canonical = RegistryHost.Canonicalize(registry) ?? registry;
        var host = RegistryHost.ApiHost(canonical);
        var scheme = _options.IsInsecure(canonical) ? "http" : "https";
        return new Uri($"{scheme}://{host}/v2/{repository}/{path}");
    }

}

public enum CosignArtifact
{
    Signature,
    Attestation,
    Sbom,
}
