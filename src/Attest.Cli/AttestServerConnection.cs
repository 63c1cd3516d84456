using System.CommandLine;
using Attest.Core;
using Attest.Policy.Model;
using Attest.Sigstore;
using Attest.Sigstore.Clients;
using Attest.Sigstore.TrustRoot;

namespace Attest.Cli;

/// <summary>
/// The Attest server a signing or verifying verb talks to: <c>--server</c> or <c>ATTEST_URL</c>, trusted for TLS with
/// <c>--ca-file</c> (else the system's CAs). Identity tokens and client secrets travel to it, so plain HTTP is allowed
/// only to this machine. Reads its public trust documents: <c>/v1/trusted-root</c> and <c>/v1/signing-config</c>.
/// </summary>
internal sealed class AttestServerConnection : IDisposable
{
    public const string UrlVariable = "ATTEST_URL";
    public const string Service = "the Attest server";

    private AttestServerConnection(Uri url, HttpClient http)
    {
        Url = url;
        Http = http;
    }

    public Uri Url { get; }

    /// <summary>A client whose base address is the server (absolute URLs reach the services it names).</summary>
    public HttpClient Http { get; }

    internal sealed record Options(Option<string?> Url, Option<FileInfo?> CaFile)
    {
        public IEnumerable<Option> All => [Url, CaFile];
    }

    public static Options CreateOptions() => new(
        new Option<string?>("--server") { Description = $"the Attest server, e.g. https://attest.example.com (default: ${UrlVariable})" },
        new Option<FileInfo?>("--ca-file") { Description = "PEM CA certificates to trust for the server's TLS certificate (default: the system's)" });

    /// <summary>The configured server, or null when neither <c>--server</c> nor <c>ATTEST_URL</c> names one and it is optional.</summary>
    public static AttestServerConnection? Open(ParseResult parse, Options options, bool required)
    {
        var text = parse.GetValue(options.Url) ?? Environment.GetEnvironmentVariable(UrlVariable);
        if (string.IsNullOrWhiteSpace(text))
        {
            if (!required) return null;
            throw new CommandFailure($"give --server URL or set {UrlVariable}", AttestCommand.ExitCodes.UnusableInput);
        }
        var url = CheckedUrl(text, "--server");
        return new AttestServerConnection(url, ClientCommand.CreateHttpClient(url, parse.GetValue(options.CaFile), TimeSpan.FromSeconds(60)));
    }

    /// <summary>An http(s) URL credentials may be sent to: HTTPS, or plain HTTP to loopback.</summary>
    public static Uri CheckedUrl(string text, string what)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || url.Scheme is not ("https" or "http"))
            throw new CommandFailure($"{what} '{text}' is not an http(s) URL", AttestCommand.ExitCodes.UnusableInput);
        if (url.Scheme == "http" && !url.IsLoopback)
            throw new CommandFailure($"{what} '{text}' is plain HTTP to another host; tokens and secrets go only over HTTPS (or to loopback)", AttestCommand.ExitCodes.UnusableInput);
        return url;
    }

    /// <summary>The server's trusted root (public keys of its CA, CT log, ledger and TSA).</summary>
    public async Task<PolicyTrustedRoot> TrustedRootAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("v1/trusted-root", UriKind.Relative));
        var json = await ServiceCall.SendAsync(Http, request, Service, SigstoreLimits.Default.MaxTrustedRootBytes, cancellationToken).ConfigureAwait(false);
        if (!TrustedRoot.TryParse(json, out var root, out var finding))
            throw new SigstoreServiceException(Service, null, $"its trusted root cannot be used: {finding.Message}");
        return new PolicyTrustedRoot(root, new Uri(Url, "v1/trusted-root").AbsoluteUri, Digest.Sha256(json).ToString());
    }

    /// <summary>Where to sign: the services the server's signing config names (valid now).</summary>
    public async Task<SigningServices> SigningServicesAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("v1/signing-config", UriKind.Relative));
        var json = await ServiceCall.SendAsync(Http, request, Service, SigningServices.MaxSigningConfigBytes, cancellationToken).ConfigureAwait(false);
        if (!SigningServices.TryParseSigningConfig(json, TimeProvider.System.GetUtcNow(), out var services, out var error))
            throw new SigstoreServiceException(Service, null, error);
        // The identity token goes to the CA: the same transport rule as for the server itself.
        CheckedUrl(services.CertificateAuthority.AbsoluteUri, "the signing config's CA URL");
        return services;
    }

    /// <summary>A trusted root from <paramref name="file"/>, else the server's, else null; with where it came from and its digest.</summary>
    public static async Task<PolicyTrustedRoot?> TrustedRootAsync(FileInfo? file, AttestServerConnection? server, CancellationToken cancellationToken)
    {
        if (file is not null)
        {
            if (!VerifyBundleCommand.TryRead(file, SigstoreLimits.Default.MaxTrustedRootBytes, out var bytes, out var readError))
                throw new CommandFailure($"--trusted-root: {readError}", AttestCommand.ExitCodes.UnusableInput);
            if (!TrustedRoot.TryParse(bytes, out var root, out var finding))
                throw new CommandFailure($"--trusted-root {file.Name}: {finding.Message}", AttestCommand.ExitCodes.UnusableInput);
            return new PolicyTrustedRoot(root, file.FullName, Digest.Sha256(bytes).ToString());
        }
        return server is null ? null : await server.TrustedRootAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => Http.Dispose();
}
