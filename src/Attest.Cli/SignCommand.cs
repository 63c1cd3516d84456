using System.CommandLine;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Core;
using Attest.Oci;
using Attest.Sigstore;
using Attest.Sigstore.Bundles;
using Attest.Sigstore.Clients;
using Attest.Sigstore.Signing;
using Attest.Sigstore.Verification;

namespace Attest.Cli;

/// <summary>
/// <c>attest sign IMAGE|FILE</c> and <c>attest attest --predicate FILE --type URI IMAGE|FILE</c>: signatures and
/// attestations for CI, as Sigstore bundles v0.3. Keyless by default: an ephemeral key certified by the server's CA
/// for the job's OIDC identity, the signature logged in its transparency log and timestamped by its TSA; or, with
/// <c>--managed-key</c>, the server's managed key through its signing API (client credentials with scope sign). An
/// image is signed by its manifest digest (a tag is resolved first); <c>--push</c> attaches the bundle to it as an OCI
/// 1.1 referrer (cosign v3's layout, which the webhook reads). Exit 0 signed, 1 refused (by the server, its CA, log or
/// TSA, or the registry), 2 unusable input or a service that cannot be reached.
/// </summary>
internal static class SignCommand
{
    private const long MaxPredicateBytes = 4L << 20;

    private sealed record SigningOptions(
        Argument<string> Target, AttestServerConnection.Options Server, Option<string?> IdentityToken, Option<bool> ManagedKey, Option<FileInfo?> Credentials,
        Option<FileInfo?> Bundle, Option<bool> Push, Option<FileInfo?> TrustedRoot, RegistryAccess Registries)
    {
        public IEnumerable<Option> All => [.. Server.All, IdentityToken, ManagedKey, Credentials, Bundle, Push, TrustedRoot, .. Registries.All];
    }

    /// <summary>What is signed: a digest (a file's, an image manifest's) under a name, either as a message signature
    /// (no predicate type) or as an in-toto statement of a predicate type.</summary>
    private sealed record SignedContent(Digest Subject, string SubjectName, string? PredicateType, JsonElement? Predicate);

    private sealed record Target(string Description, Digest Digest, string Name, ImageReference? Image, Descriptor? Manifest);

    public static Command BuildSign()
    {
        var options = CreateOptions();
        var command = new Command("sign", "Sign an image (by its manifest digest) or a file, keyless with the CI job's identity or with the server's managed key.")
        {
            options.Target,
        };
        foreach (var option in options.All) command.Options.Add(option);
        command.SetAction((parse, cancellationToken) => ServiceVerb.RunAsync(parse, token => RunAsync(parse, options, target => target.Image is null
            ? new SignedContent(target.Digest, target.Name, null, null)
            : new SignedContent(target.Digest, target.Name, StatementWriter.CosignSignPredicateType, null), token), cancellationToken));
        return command;
    }

    /// <summary>The verb's name: also the root command's, which System.CommandLine cannot hold as a subcommand
    /// (dotnet/command-line-api#2260), so <see cref="AttestCommand.Invoke"/> runs it as a root of its own.</summary>
    public const string AttestVerb = "attest";

    public const string AttestDescription = "Attest a predicate about an image or a file: a signed in-toto statement, keyless or with the server's managed key.";

    /// <summary><c>attest attest …</c> as its own root command (given the arguments after the verb).</summary>
    public static RootCommand BuildAttestRoot()
    {
        var options = CreateOptions();
        var predicate = new Option<FileInfo>("--predicate") { Description = "the predicate: a JSON object (SLSA provenance, test results …)", Required = true };
        var type = new Option<string>("--type") { Description = "the predicate type URI, e.g. https://slsa.dev/provenance/v1", Required = true };
        var command = new RootCommand($"attest {AttestVerb}: {AttestDescription}")
        {
            options.Target, predicate, type,
        };
        foreach (var option in options.All) command.Options.Add(option);
        command.SetAction((parse, cancellationToken) => ServiceVerb.RunAsync(parse, token =>
        {
            var predicateType = parse.GetValue(type)!;
            if (!Uri.TryCreate(predicateType, UriKind.Absolute, out _) || predicateType.Length > 1024)
                throw new CommandFailure($"--type '{predicateType}' is not an absolute URI (e.g. https://slsa.dev/provenance/v1)", AttestCommand.ExitCodes.UnusableInput);
            var predicateJson = ReadPredicate(parse.GetValue(predicate)!);
            return RunAsync(parse, options, target => new SignedContent(target.Digest, target.Name, predicateType, predicateJson), token);
        }, cancellationToken));
        return command;
    }

    private static SigningOptions CreateOptions() => new(
        new Argument<string>("IMAGE|FILE") { Description = "an image reference (registry/repository:tag or @sha256:…) or a file" },
        AttestServerConnection.CreateOptions(),
        new Option<string?>("--identity-token") { Description = $"OIDC identity token, or a file holding it (default: ${IdentityTokenSource.SigstoreVariable}, else GitHub Actions' token for audience sigstore)" },
        new Option<bool>("--managed-key") { Description = "sign with the server's managed key (client credentials with scope sign) instead of keyless" },
        new Option<FileInfo?>("--credentials") { Description = "with --managed-key: JSON file with client_id and client_secret (default: ATTEST_CLIENT_ID and ATTEST_CLIENT_SECRET)" },
        new Option<FileInfo?>("--bundle") { Description = "write the Sigstore bundle here (required for a file)" },
        new Option<bool>("--push") { Description = "attach the bundle to the image as an OCI 1.1 referrer (cosign v3 layout)" },
        new Option<FileInfo?>("--trusted-root") { Description = "trusted_root.json the keyless result is checked against (default: the server's /v1/trusted-root)" },
        RegistryAccess.CreateOptions());

    private static async Task<int> RunAsync(ParseResult parse, SigningOptions options, Func<Target, SignedContent> contentFor, CancellationToken cancellationToken)
    {
        var output = parse.InvocationConfiguration.Output;
        var bundlePath = parse.GetValue(options.Bundle);
        var push = parse.GetValue(options.Push);
        var managed = parse.GetValue(options.ManagedKey);
        if (managed && parse.GetValue(options.IdentityToken) is not null)
            throw new CommandFailure("--managed-key and --identity-token exclude each other", AttestCommand.ExitCodes.UnusableInput);
        if (!managed && parse.GetValue(options.Credentials) is not null)
            throw new CommandFailure("--credentials applies to --managed-key; keyless signing uses an identity token", AttestCommand.ExitCodes.UnusableInput);

        // Everything that can be checked here is, before a service is asked or anything is logged.
        using var server = AttestServerConnection.Open(parse, options.Server, required: true)!;
        var identityToken = managed ? null : await IdentityTokenSource.ResolveAsync(parse.GetValue(options.IdentityToken), cancellationToken).ConfigureAwait(false);
        using var registry = options.Registries.CreateClient(parse);
        var publisher = new RegistryPublisher(registry, TimeProvider.System);
        var target = await ResolveTargetAsync(parse.GetValue(options.Target)!, publisher, push, bundlePath, cancellationToken).ConfigureAwait(false);
        var content = contentFor(target);

        byte[] bundle;
        string signer;
        if (managed)
        {
            (bundle, signer) = await SignManagedAsync(server, parse.GetValue(options.Credentials), content, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            (bundle, signer) = await SignKeylessAsync(server, identityToken!, parse.GetValue(options.TrustedRoot), content, cancellationToken).ConfigureAwait(false);
        }
        var logIndex = Bundle.TryParse(bundle, out var parsed, out var finding)
            ? parsed.TlogEntries[0].LogIndex
            : throw new SigstoreServiceException(AttestServerConnection.Service, null, $"the bundle it issued cannot be read: {finding.Message}");
        var what = content.PredicateType is null || content.PredicateType == StatementWriter.CosignSignPredicateType ? "signed" : $"attested {content.PredicateType} about";
        await output.WriteLineAsync($"{what} {target.Description} with {signer}; log index {logIndex}").ConfigureAwait(false);

        if (bundlePath is not null)
        {
            await File.WriteAllBytesAsync(bundlePath.FullName, bundle, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"wrote {bundlePath.FullName}").ConfigureAwait(false);
        }
        if (push)
        {
            var image = target.Image!;
            Digest referrer;
            try
            {
                referrer = await publisher.PushBundleReferrerAsync(image, target.Manifest!, bundle, content.PredicateType, cancellationToken).ConfigureAwait(false);
            }
            catch (RegistryException e)
            {
                throw new CommandFailure($"the bundle is in the log (index {logIndex}) but pushing it to {image.Name} failed: {e.Message} [{e.Code}]",
                    e.IsTransient ? AttestCommand.ExitCodes.UnusableInput : AttestCommand.ExitCodes.Findings);
            }
            await output.WriteLineAsync($"pushed {image.Name}@{referrer} (referrer of {target.Digest})").ConfigureAwait(false);
        }
        return AttestCommand.ExitCodes.Success;
    }

    /// <summary>An existing file is a file; anything else must be an image reference, resolved to its manifest now.</summary>
    private static async Task<Target> ResolveTargetAsync(string text, RegistryPublisher publisher, bool push, FileInfo? bundle, CancellationToken cancellationToken)
    {
        if (File.Exists(text))
        {
            if (push) throw new CommandFailure($"--push attaches to images; {text} is a file (keep its bundle with --bundle OUT)", AttestCommand.ExitCodes.UnusableInput);
            if (bundle is null) throw new CommandFailure($"give --bundle OUT: a file's signature is kept in a bundle beside it", AttestCommand.ExitCodes.UnusableInput);
            await using var stream = File.OpenRead(text);
            var digest = Digest.FromBytes("sha256", await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
            return new Target($"{Path.GetFileName(text)} ({digest})", digest, Path.GetFileName(text), null, null);
        }
        if (!ImageReference.TryParse(text, out var image, out var error))
            throw new CommandFailure($"{text} is neither a file nor an image reference ({error})", AttestCommand.ExitCodes.UnusableInput);
        if (!push && bundle is null)
            throw new CommandFailure("give --push to attach the bundle to the image, --bundle OUT to keep it, or both", AttestCommand.ExitCodes.UnusableInput);
        var manifest = await publisher.ResolveAsync(image, cancellationToken).ConfigureAwait(false);
        return new Target($"{image.Name}@{manifest.Digest}", manifest.Digest, image.Name, image, manifest);
    }

    private static JsonElement ReadPredicate(FileInfo file)
    {
        if (!VerifyBundleCommand.TryRead(file, MaxPredicateBytes, out var bytes, out var error))
            throw new CommandFailure($"--predicate: {error}", AttestCommand.ExitCodes.UnusableInput);
        try
        {
            using var document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = SigstoreLimits.Default.MaxJsonDepth });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new CommandFailure($"--predicate {file.Name} is not a JSON object", AttestCommand.ExitCodes.UnusableInput);
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new CommandFailure($"--predicate {file.Name} is not JSON: {e.Message}", AttestCommand.ExitCodes.UnusableInput);
        }
    }

    /// <summary>Keyless: token → certificate for an ephemeral key → signature logged and timestamped → the bundle,
    /// checked against the trusted root for the certificate's own identity before it is used (fail closed).</summary>
    private static async Task<(byte[] Bundle, string Signer)> SignKeylessAsync(AttestServerConnection server, IdentityToken token, FileInfo? trustedRootFile,
        SignedContent content, CancellationToken cancellationToken)
    {
        var root = await AttestServerConnection.TrustedRootAsync(trustedRootFile, server, cancellationToken).ConfigureAwait(false);
        var services = await server.SigningServicesAsync(cancellationToken).ConfigureAwait(false);
        using var credential = await KeylessCredential.RequestAsync(new FulcioClient(server.Http, services.CertificateAuthority), token, cancellationToken).ConfigureAwait(false);
        if (credential.Identity is null || credential.Issuer is null)
            throw new SigstoreServiceException(FulcioClient.Service, null, "the certificate names no identity or no OIDC issuer");
        var builder = new BundleBuilder(new RekorClient(server.Http, services.TransparencyLog), timestamper: new TimestampClient(server.Http, services.TimestampAuthority));
        var bundle = content.PredicateType is { } predicateType
            ? await builder.SignStatementAsync(credential.Signer, StatementWriter.Write([(content.SubjectName, content.Subject)], predicateType, content.Predicate), cancellationToken).ConfigureAwait(false)
            : await builder.SignDigestAsync(credential.Signer, content.Subject, cancellationToken).ConfigureAwait(false);
        var result = new BundleVerifier(root!.Root, VerifierOptions.Default, TimeProvider.System)
            .Verify(bundle, Artifact.FromDigest(content.Subject), ArtifactPolicy.ForIdentity(credential.Identity, credential.Issuer));
        if (!result.Verified)
            throw new SigstoreServiceException(AttestServerConnection.Service, null, $"the bundle its services produced does not verify against the trusted root: {result.Failure}");
        return (bundle, $"{credential.Identity} (issuer {credential.Issuer})");
    }

    /// <summary>The server's managed key through its API: <c>POST /v1/signatures</c> for a file's digest,
    /// <c>POST /v1/attestations</c> for a statement (an image signature is cosign's <c>sign/v1</c> statement).</summary>
    private static async Task<(byte[] Bundle, string Signer)> SignManagedAsync(AttestServerConnection server, FileInfo? credentials, SignedContent content,
        CancellationToken cancellationToken)
    {
        var accessToken = await ClientCommand.TokenAsync(server.Http, credentials, "sign", cancellationToken).ConfigureAwait(false);
        JsonObject body;
        string path;
        if (content.PredicateType is null)
        {
            (path, body) = ("v1/signatures", new JsonObject { ["digest"] = content.Subject.ToString(), ["artifact"] = content.SubjectName });
        }
        else
        {
            (path, body) = ("v1/attestations", new JsonObject
            {
                ["subject"] = new JsonObject { ["name"] = content.SubjectName, ["digest"] = content.Subject.ToString() },
                ["predicateType"] = content.PredicateType,
                ["predicate"] = content.Predicate is { } predicate ? JsonNode.Parse(predicate.GetRawText()) : new JsonObject(),
            });
        }
        using var request = ServiceCall.Json(HttpMethod.Post, new Uri(path, UriKind.Relative), Encoding.UTF8.GetBytes(body.ToJsonString()));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        var answer = await ServiceCall.SendAsync(server.Http, request, AttestServerConnection.Service, SigstoreLimits.Default.MaxBundleBytes + 64 * 1024, cancellationToken).ConfigureAwait(false);
        using var document = ServiceCall.ParseJson(answer, AttestServerConnection.Service);
        if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("bundle", out var issued) || issued.ValueKind != JsonValueKind.Object)
            throw new SigstoreServiceException(AttestServerConnection.Service, null, "the answer has no bundle");
        var keyId = document.RootElement.TryGetProperty("keyId", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : "?";
        return (Encoding.UTF8.GetBytes(issued.GetRawText()), $"the server's managed key {keyId}");
    }
}
