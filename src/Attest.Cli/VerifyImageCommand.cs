using System.CommandLine;
using System.Text.RegularExpressions;
using Attest.Core.Crypto;
using Attest.Oci;
using Attest.Policy;
using Attest.Policy.Model;
using Attest.Sigstore.TrustRoot;

namespace Attest.Cli;

/// <summary>
/// <c>attest verify IMAGE (--policy DIR | --certificate-identity … --certificate-oidc-issuer … | --key FILE)</c>: cosign's
/// verify for images, decided by the webhook's own pipeline: the image's signatures (referrers and cosign's legacy
/// tags) are collected from the registry, verified against the trusted root (<c>--trusted-root</c>, else the server's
/// <c>/v1/trusted-root</c> when <c>--server</c>/<c>ATTEST_URL</c> is set, else the Sigstore public-good root) and judged
/// by the policies of DIR, or by one policy made of the identity or key given. Exit 0 verified (admitted), 1 not,
/// 2 unusable input.
/// </summary>
internal static class VerifyImageCommand
{
    private const string AuthorityName = "command-line";
    private static readonly SourceLocation CommandLine = new("(command line)", 0, 0);

    public static Command Build()
    {
        var image = new Argument<string>("IMAGE") { Description = "image reference (a tag is resolved to its digest first)" };
        var policy = new Option<DirectoryInfo?>("--policy") { Description = "policy directory: the decision the webhook would make (trustedRoot: attest is the server's root)" };
        var identity = new Option<string?>("--certificate-identity") { Description = "expected certificate identity (SAN), exact" };
        var identityRegex = new Option<string?>("--certificate-identity-regexp") { Description = "expected certificate identity as a regular expression (full match)" };
        var issuer = new Option<string?>("--certificate-oidc-issuer") { Description = "expected OIDC issuer, exact" };
        var issuerRegex = new Option<string?>("--certificate-oidc-issuer-regexp") { Description = "expected OIDC issuer as a regular expression (full match)" };
        var claims = new Option<string[]>("--certificate-claim") { Description = "NAME=VALUE a certificate claim must have exactly (sourceRepositoryURI, sourceRepositoryRef …); repeatable" };
        var key = new Option<FileInfo?>("--key") { Description = "public key (PEM or DER) the signature must verify with" };
        var trustedRoot = new Option<FileInfo?>("--trusted-root") { Description = "trusted_root.json (default: the server's, else Sigstore's public-good root)" };
        var ns = new Option<string>("--namespace") { Description = "namespace of the workload (for --policy)", DefaultValueFactory = _ => "default" };
        var kind = new Option<string>("--kind") { Description = "workload kind (for --policy)", DefaultValueFactory = _ => "Pod" };
        var server = AttestServerConnection.CreateOptions();
        var registries = RegistryAccess.CreateOptions();
        var command = new Command("verify", "Verify an image's signatures against policies, a keyless identity or a key, as the webhook would.")
        {
            image, policy, identity, identityRegex, issuer, issuerRegex, claims, key, trustedRoot, ns, kind,
        };
        foreach (var option in server.All.Concat(registries.All)) command.Options.Add(option);

        command.SetAction((parse, cancellationToken) => ServiceVerb.RunAsync(parse, async token =>
        {
            var byIdentity = parse.GetValue(identity) is not null || parse.GetValue(identityRegex) is not null
                || parse.GetValue(issuer) is not null || parse.GetValue(issuerRegex) is not null || (parse.GetValue(claims) ?? []).Length > 0;
            var modes = (parse.GetValue(policy) is null ? 0 : 1) + (byIdentity ? 1 : 0) + (parse.GetValue(key) is null ? 0 : 1);
            if (modes != 1)
                throw new CommandFailure("give exactly one of --policy DIR, --certificate-identity … --certificate-oidc-issuer …, or --key FILE", AttestCommand.ExitCodes.UnusableInput);
            if (!ImageReference.TryParse(parse.GetValue(image), out var reference, out var referenceError))
                throw new CommandFailure($"{parse.GetValue(image)} is not an image reference ({referenceError})", AttestCommand.ExitCodes.UnusableInput);

            using var connection = AttestServerConnection.Open(parse, server, required: false);
            var root = await AttestServerConnection.TrustedRootAsync(parse.GetValue(trustedRoot), connection, token).ConfigureAwait(false);
            PolicySet set;
            if (parse.GetValue(policy) is { } directory)
            {
                set = LoadPolicies(parse, directory, root);
            }
            else
            {
                var policyRoot = root ?? PolicyTrustedRoot.PublicGood;
                Authority authority = parse.GetValue(key) is { } keyFile
                    ? new KeyAuthority(AuthorityName, CommandLine, TransparencyLogRequirement.Required, policyRoot, ReadKey(keyFile), keyFile.FullName)
                    : new KeylessAuthority(AuthorityName, CommandLine, TransparencyLogRequirement.Required, policyRoot,
                        [Identity(parse.GetValue(identity), parse.GetValue(identityRegex), parse.GetValue(issuer), parse.GetValue(issuerRegex), parse.GetValue(claims) ?? [])]);
                set = SinglePolicy(reference, authority);
            }
            using var registry = registries.CreateClient(parse);
            return await ImageVerdict.EvaluateAsync(parse, set, reference, registry, parse.GetValue(kind)!, parse.GetValue(ns), token).ConfigureAwait(false);
        }, cancellationToken));
        return command;
    }

    private static PolicySet LoadPolicies(ParseResult parse, DirectoryInfo directory, PolicyTrustedRoot? root)
    {
        try
        {
            var named = root is null ? null : new Dictionary<string, TrustedRoot>(StringComparer.Ordinal) { [ImagePolicyParser.AttestTrustedRoot] = root.Root };
            var (set, errors) = PolicyDirectoryLoader.Load(directory.FullName, named);
            foreach (var error in errors) parse.InvocationConfiguration.Error.WriteLine(error.ToString());
            return set ?? throw new CommandFailure($"the policies of {directory.FullName} cannot be used ({errors.Count} errors above)", AttestCommand.ExitCodes.UnusableInput);
        }
        catch (PolicyDirectoryException e)
        {
            throw new CommandFailure(e.Message, AttestCommand.ExitCodes.UnusableInput);
        }
    }

    /// <summary>One enforcing policy for this image: one signature by the authority.</summary>
    private static PolicySet SinglePolicy(ImageReference reference, Authority authority)
    {
        var policy = new ImagePolicy("verify", CommandLine, new ImageMatch([Glob.Compile(reference.Name)], [], new HashSet<string>()), PolicyMode.Enforce,
            new Dictionary<string, Authority>(StringComparer.Ordinal) { [AuthorityName] = authority }, new SignatureRequirement(1, [AuthorityName]), []);
        return new PolicySet(CommandLine.File, "command-line", [], [policy], [], []);
    }

    private static IdentityMatcher Identity(string? subject, string? subjectRegex, string? issuer, string? issuerRegex, string[] claims)
    {
        // As in policy files: keyless without an issuer and a subject would accept anyone the CA certifies.
        if ((subject is null) == (subjectRegex is null))
            throw new CommandFailure("give exactly one of --certificate-identity or --certificate-identity-regexp", AttestCommand.ExitCodes.UnusableInput);
        if ((issuer is null) == (issuerRegex is null))
            throw new CommandFailure("give exactly one of --certificate-oidc-issuer or --certificate-oidc-issuer-regexp", AttestCommand.ExitCodes.UnusableInput);
        var required = new Dictionary<int, string>();
        foreach (var claim in claims)
        {
            var at = claim.IndexOf('=', StringComparison.Ordinal);
            if (at <= 0 || !IdentityMatcher.ClaimArcs.TryGetValue(claim[..at], out var arc))
                throw new CommandFailure($"--certificate-claim '{claim}' is not NAME=VALUE with NAME one of {string.Join(", ", IdentityMatcher.ClaimArcs.Keys.Order(StringComparer.Ordinal))}",
                    AttestCommand.ExitCodes.UnusableInput);
            required[arc] = claim[(at + 1)..];
        }
        return new IdentityMatcher(issuer, Regex(issuerRegex, "--certificate-oidc-issuer-regexp"), subject, Regex(subjectRegex, "--certificate-identity-regexp")) { Claims = required };
    }

    /// <summary>A full-match expression with a time limit, as policy files compile theirs.</summary>
    private static Regex? Regex(string? pattern, string option)
    {
        if (pattern is null) return null;
        try
        {
            return new Regex($"\\A(?:{pattern})\\z", RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
        }
        catch (ArgumentException e)
        {
            throw new CommandFailure($"{option} is not a regular expression: {e.Message}", AttestCommand.ExitCodes.UnusableInput);
        }
    }

    private static PublicKey ReadKey(FileInfo file)
    {
        if (!VerifyBundleCommand.TryRead(file, Pem.MaxLength, out var bytes, out var error))
            throw new CommandFailure($"--key: {error}", AttestCommand.ExitCodes.UnusableInput);
        return PublicKey.TryParse(bytes, out var key, out var keyError)
            ? key
            : throw new CommandFailure($"--key {file.Name} cannot be used: {keyError}", AttestCommand.ExitCodes.UnusableInput);
    }
}
