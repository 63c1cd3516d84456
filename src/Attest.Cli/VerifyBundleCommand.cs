using System.CommandLine;
using System.Text.Json;
using Attest.Core;
using Attest.Core.Crypto;
using Attest.Sigstore.TrustRoot;
using Attest.Sigstore.Verification;

namespace Attest.Cli;

/// <summary>
/// <c>attest verify-bundle</c>: the sigstore-conformance client protocol
/// (<c>--bundle F (--certificate-identity I --certificate-oidc-issuer U | --key K) [--trusted-root TR] FILE_OR_DIGEST</c>).
/// Exit 0 when verified, 1 with the reason on stderr when not, 2 for unusable input.
/// </summary>
internal static class VerifyBundleCommand
{
    private const long MaxArtifactBytes = 1L << 30;

    public static Command Build()
    {
        var bundle = new Option<FileInfo>("--bundle") { Description = "Sigstore bundle (JSON) to verify", Required = true };
        var identity = new Option<string?>("--certificate-identity") { Description = "expected certificate SAN (email, URI or username), exact" };
        var identityRegex = new Option<string?>("--certificate-identity-regexp") { Description = "expected certificate SAN as a regular expression (full match)" };
        var issuer = new Option<string?>("--certificate-oidc-issuer") { Description = "expected OIDC issuer, exact" };
        var issuerRegex = new Option<string?>("--certificate-oidc-issuer-regexp") { Description = "expected OIDC issuer as a regular expression (full match)" };
        var key = new Option<FileInfo?>("--key") { Description = "managed public key (PEM or DER SPKI) instead of a certificate identity" };
        var trustedRoot = new Option<FileInfo?>("--trusted-root") { Description = "trusted_root.json (default: the embedded Sigstore public-good root)" };
        var staging = new Option<bool>("--staging") { Description = "accepted for protocol compatibility; requires --trusted-root" };
        var json = new Option<bool>("--json") { Description = "print the result as JSON on stdout" };
        var artifact = new Argument<string>("FILE_OR_DIGEST") { Description = "the artifact file, or sha256:<hex> when no such file exists" };

        var command = new Command("verify-bundle", "Verify a Sigstore bundle offline against a trusted root and an identity or key.")
        {
            bundle, identity, identityRegex, issuer, issuerRegex, key, trustedRoot, staging, json, artifact,
        };
        command.SetAction(parse =>
        {
            var error = parse.InvocationConfiguration.Error;
            var output = parse.InvocationConfiguration.Output;
            var asJson = parse.GetValue(json);

            int Usage(string message)
            {
                error.WriteLine($"attest: {message}");
                return AttestCommand.ExitCodes.UnusableInput;
            }

            int Report(VerificationResult result)
            {
                if (asJson)
                {
                    output.WriteLine(JsonSerializer.Serialize(new CliResult(
                        result.Verified, result.Failure?.Code, result.Failure?.Message, result.SubjectAlternativeName, result.Issuer,
                        result.Timestamps.Select(t => new CliTimestamp(t.Source.ToString(), t.Time, t.Authority)).ToArray()), CliJsonContext.Default.CliResult));
                }
                if (!result.Verified)
                {
                    error.WriteLine($"FAIL: {result.Failure}");
                    // The likeliest cause of an unknown log is a bundle from a private Sigstore (Attest) checked against the
                    // public-good root that is used when no root is given.
                    if (result.Failure?.Code == Sigstore.SigstoreCodes.TlogUnknownLog && parse.GetValue(trustedRoot) is null)
                        error.WriteLine("hint: no --trusted-root was given, so the embedded Sigstore public-good root was used; for a bundle Attest issued, " +
                                        "pass the server's root: curl -o trusted_root.json <url>/v1/trusted-root, then --trusted-root trusted_root.json");
                    return AttestCommand.ExitCodes.Findings;
                }
                if (!asJson) output.WriteLine("OK: bundle verified");
                return AttestCommand.ExitCodes.Success;
            }

            if (parse.GetValue(staging) && parse.GetValue(trustedRoot) is null) return Usage("--staging needs --trusted-root (Attest embeds only the production root)");

            TrustedRoot root;
            if (parse.GetValue(trustedRoot) is { } rootFile)
            {
                if (!TryRead(rootFile, Sigstore.SigstoreLimits.Default.MaxTrustedRootBytes, out var rootBytes, out var readError)) return Usage(readError!);
                if (!TrustedRoot.TryParse(rootBytes, out var parsed, out var rootFinding)) return Report(VerificationResult.Fail(rootFinding));
                root = parsed;
            }
            else
            {
                root = TrustedRoot.PublicGood;
            }

            var anyIdentity = parse.GetValue(identity) is not null || parse.GetValue(identityRegex) is not null
                || parse.GetValue(issuer) is not null || parse.GetValue(issuerRegex) is not null;
            if (parse.GetValue(key) is not null && anyIdentity) return Usage("--key and the --certificate-* options exclude each other");

            ArtifactPolicy policy;
            if (parse.GetValue(key) is { } keyFile)
            {
                if (!TryRead(keyFile, Pem.MaxLength, out var keyBytes, out var readError)) return Usage(readError!);
                if (!PublicKey.TryParse(keyBytes, out var publicKey, out var keyError))
                    return Report(VerificationResult.Fail(new Finding(Sigstore.SigstoreCodes.KeyMalformed, $"The key {keyFile.Name} cannot be read: {keyError}.")));
                policy = ArtifactPolicy.ForKey(publicKey);
            }
            else
            {
                var expected = new CertificateIdentity
                {
                    SubjectAlternativeName = parse.GetValue(identity),
                    SubjectAlternativeNameRegex = parse.GetValue(identityRegex),
                    Issuer = parse.GetValue(issuer),
                    IssuerRegex = parse.GetValue(issuerRegex),
                };
                policy = new ArtifactPolicy { Identities = [expected] };
            }
            var policyErrors = policy.Validate();
            if (policyErrors.Count > 0) return Usage(string.Join("; ", policyErrors));

            var target = parse.GetValue(artifact)!;
            Artifact input;
            if (File.Exists(target))
            {
                if (!TryRead(new FileInfo(target), MaxArtifactBytes, out var artifactBytes, out var readError)) return Usage(readError!);
                input = Artifact.FromBytes(artifactBytes);
            }
            else if (target.StartsWith("sha256:", StringComparison.Ordinal))
            {
                if (!Digest.TryParse(target, out var digest, out var digestError)) return Usage(digestError ?? "invalid digest");
                input = Artifact.FromDigest(digest.Value);
            }
            else
            {
                return Usage($"{target} is neither a file nor a sha256:<hex> digest");
            }

            if (!TryRead(parse.GetValue(bundle)!, Sigstore.SigstoreLimits.Default.MaxBundleBytes, out var bundleBytes, out var bundleError))
                return Usage(bundleError!);
            var verifier = new BundleVerifier(root, VerifierOptions.Default, TimeProvider.System);
            return Report(verifier.Verify(bundleBytes, input, policy));
        });
        return command;
    }

    internal static bool TryRead(FileInfo file, long limit, out byte[] bytes, out string? error)
    {
        bytes = [];
        try
        {
            using var stream = file.OpenRead();
            if (stream.Length > limit)
            {
                error = $"{file.Name} is {stream.Length} bytes, more than the {limit}-byte limit";
                return false;
            }
            bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
            error = null;
            return true;
        }
        catch (IOException e)
        {
            error = $"cannot read {file.Name}: {e.Message}";
            return false;
        }
        catch (UnauthorizedAccessException e)
        {
            error = $"cannot read {file.Name}: {e.Message}";
            return false;
        }
    }
}

internal sealed record CliTimestamp(string Source, DateTimeOffset Time, string Authority);

internal sealed record CliResult(bool Verified, string? Code, string? Message, string? Identity, string? Issuer, CliTimestamp[] Timestamps);

[System.Text.Json.Serialization.JsonSerializable(typeof(CliResult))]
internal sealed partial class CliJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
