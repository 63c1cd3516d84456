using System.Security.Cryptography;
using Attest.Policy.Model;
using Attest.Testing;

namespace Attest.Policy.Tests;

public sealed class ImagePolicyParserTests
{
    private static (PolicySet? Set, IReadOnlyList<PolicyError> Errors) Load(string yaml, Action<TempDirectory>? prepare = null)
    {
        using var directory = new TempDirectory();
        prepare?.Invoke(directory);
        File.WriteAllText(directory.Combine("p.yaml"), yaml);
        return PolicyDirectoryLoader.Load(directory.Path);
    }

    [Fact]
    public void Keyless_identity_claims_and_the_servers_own_trusted_root_are_read()
    {
        using var directory = new TempDirectory();
        File.WriteAllText(directory.Combine("p.yaml"), Policy("""
              match: {images: ["registry.example.com/**"]}
              signatures:
                authorities:
                  - name: payments-release
                    trustedRoot: attest
                    keyless:
                      identities:
                        - issuer: https://token.actions.githubusercontent.com
                          subjectRegExp: '^https://github\.com/acme/payments/\.github/workflows/release\.yml@.*$'
                          claims: {sourceRepositoryURI: "https://github.com/acme/payments", sourceRepositoryRef: refs/heads/main, buildTrigger: push}
            """));
        var own = Attest.Sigstore.TrustRoot.TrustedRoot.PublicGood;
        var (set, errors) = PolicyDirectoryLoader.Load(directory.Path, new Dictionary<string, Attest.Sigstore.TrustRoot.TrustedRoot> { ["attest"] = own });
        Assert.Empty(errors);
        var authority = Assert.IsType<KeylessAuthority>(set!.ImagePolicies[0].Authorities["payments-release"]);
        Assert.Same(own, authority.TrustedRoot.Root);
        Assert.Equal("attest", authority.TrustedRoot.Origin);
        var identity = authority.Identities[0].ToCertificateIdentity();
        Assert.Equal(new Dictionary<int, string> { [12] = "https://github.com/acme/payments", [14] = "refs/heads/main", [20] = "push" }, identity.Extensions);
    }

    private static string Policy(string spec) => $"apiVersion: attest.dev/v1\nkind: ImagePolicy\nmetadata: {{name: p}}\nspec:\n{spec}";

    [Fact]
    public void Complete_policy_is_read_into_the_model()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var (set, errors) = Load(Policy("""
              match:
                images: ["registry.example.com/prod/**", "nginx"]
                namespaces: ["prod-*"]
                kinds: [Pod, Deployment]
              mode: warn
              authorities:
                - name: release-key
                  key: {file: keys/release.pub}
              signatures:
                threshold: 2
                authorities:
                  - release-key
                  - name: ci
                    trustedRoot: default
                    keyless:
                      identities:
                        - {issuer: "https://token.actions.githubusercontent.com", subjectRegExp: '^https://github\.com/example/.+$'}
              attestations:
                - name: sbom
                  predicateType: https://cyclonedx.org/bom
                  authorities: [ci]
                  sbom: {deniedLicenses: [AGPL-3.0-only], deniedComponents: ["pkg:golang/github.com/evil/mod@<1.2.3"], ntiaMinimumElements: true, maxAge: 720h}
                - name: provenance
                  predicateType: https://slsa.dev/provenance/v1
                  authorities: [release-key, ci]
                  conditions:
                    - {path: /runDetails/builder/id, equals: "https://github.com/actions/runner"}
                    - {path: /buildDefinition/externalParameters/workflow/repository, matches: 'https://github\.com/example/.*'}
                    - {path: /buildDefinition/buildType, oneOf: [a, b]}
                    - {path: /runDetails/metadata, exists: true}
            """), dir =>
        {
            Directory.CreateDirectory(dir.Combine("keys"));
            File.WriteAllText(dir.Combine("keys", "release.pub"), key.ExportSubjectPublicKeyInfoPem());
        });

        Assert.Empty(errors);
        var policy = Assert.Single(set!.ImagePolicies);
        Assert.Equal(PolicyMode.Warn, policy.Mode);
        Assert.True(policy.Match.Matches("registry.example.com/prod/team/app", "prod-eu", "Deployment"));
        Assert.True(policy.Match.Matches("docker.io/library/nginx", "prod-eu", "Pod"));
        Assert.False(policy.Match.Matches("registry.example.com/dev/app", "prod-eu", "Pod"));
        Assert.False(policy.Match.Matches("registry.example.com/prod/app", "dev", "Pod"));
        Assert.False(policy.Match.Matches("registry.example.com/prod/app", "prod-eu", "Job"));

        Assert.Equal(2, policy.Signatures!.Threshold);
        Assert.Equal(["release-key", "ci"], policy.Signatures.AuthorityNames);
        var releaseKey = Assert.IsType<KeyAuthority>(policy.Authorities["release-key"]);
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), releaseKey.Key.SubjectPublicKeyInfo.ToArray());
        Assert.Equal(TransparencyLogRequirement.Optional, releaseKey.TransparencyLog);
        var ci = Assert.IsType<KeylessAuthority>(policy.Authorities["ci"]);
        Assert.Equal("default", ci.TrustedRoot.Origin);
        Assert.Equal(TransparencyLogRequirement.Required, ci.TransparencyLog);
        Assert.True(ci.Identities[0].Matches("https://token.actions.githubusercontent.com", "https://github.com/example/x"));
        Assert.False(ci.Identities[0].Matches("https://token.actions.githubusercontent.com", "https://github.com/evil/x"));
        Assert.False(ci.Identities[0].Matches("https://accounts.google.com", "https://github.com/example/x"));
        // Regular expressions match whole values: a subject that only contains the pattern does not pass.
        Assert.False(ci.Identities[0].Matches("https://token.actions.githubusercontent.com", "https://evil.example/?https://github.com/example/x"));

        Assert.Equal(["sbom", "provenance"], policy.Attestations.Select(a => a.Name));
        Assert.Equal(TimeSpan.FromHours(720), policy.Attestations[0].Sbom!.MaxAge);
        Assert.Equal([typeof(EqualsCondition), typeof(MatchesCondition), typeof(OneOfCondition), typeof(ExistsCondition)],
            policy.Attestations[1].Conditions.Select(c => c.GetType()));
    }

    public static TheoryData<string, string, string> SchemaErrors => new()
    {
        { "missing match", "  signatures: {authorities: [{name: k, key: {pem: x}}]}\n", "p.yaml:5:3: spec needs 'match'" },
        { "unknown spec field", "  match: {images: [a]}\n  signature: {}\n", "p.yaml:6:3: unknown field 'signature' in spec" },
        { "nothing required", "  match: {images: [a]}\n", "p.yaml:5:3: spec needs 'signatures', 'attestations' or 'vulnerabilities'" },
        { "bad mode", "  match: {images: [a]}\n  mode: strict\n  attestations: []\n", "p.yaml:6:9: spec.mode must be enforce, warn or audit" },
        { "unknown kind", "  match: {images: [a], kinds: [Pods]}\n", "p.yaml:5:31: spec.match.kinds: unknown workload kind 'Pods'" },
        { "digest pattern", "  match: {images: ['a@sha256:x']}\n", "must name repositories" },
        { "images not a list", "  match: {images: a}\n", "p.yaml:5:19: spec.match.images must be a list of strings" },
        { "key and keyless", "  match: {images: [a]}\n  signatures: {authorities: [{name: k, key: {pem: x}, keyless: {identities: []}}]}\n", "needs exactly one of 'key', 'keyless' or 'notation'" },
        { "not a public key", "  match: {images: [a]}\n  signatures: {authorities: [{name: k, key: {pem: notapem}}]}\n", "authority 'k' key is not a PEM public key" },
        { "missing key file", "  match: {images: [a]}\n  signatures: {authorities: [{name: k, key: {file: nope.pub}}]}\n", "key file nope.pub cannot be read" },
        { "keyless without subject", "  match: {images: [a]}\n  signatures: {authorities: [{name: c, keyless: {identities: [{issuer: i}]}}]}\n", "identity needs exactly one of 'subject' or 'subjectRegExp'" },
        { "keyless with both issuer forms", "  match: {images: [a]}\n  signatures: {authorities: [{name: c, keyless: {identities: [{issuer: i, issuerRegExp: j, subject: s}]}}]}\n", "identity needs exactly one of 'issuer' or 'issuerRegExp'" },
        { "keyless without identities", "  match: {images: [a]}\n  signatures: {authorities: [{name: c, keyless: {identities: []}}]}\n", "needs at least one identity" },
        { "bad regex", "  match: {images: [a]}\n  signatures: {authorities: [{name: c, keyless: {identities: [{issuer: i, subjectRegExp: '(('}]}}]}\n", "identity.subjectRegExp is not a valid regular expression" },
        { "missing trusted root", "  match: {images: [a]}\n  signatures: {authorities: [{name: c, trustedRoot: r.json, keyless: {identities: [{issuer: i, subject: s}]}}]}\n", "trusted root file r.json cannot be read" },
        { "invalid trusted root", "  match: {images: [a]}\n  signatures: {authorities: [{name: c, trustedRoot: p.yaml, keyless: {identities: [{issuer: i, subject: s}]}}]}\n", "trusted root file p.yaml is not a valid trusted_root.json" },
        { "unusable key", "  match: {images: [a]}\n  signatures: {authorities: [{name: k, key: {pem: \"-----BEGIN PUBLIC KEY-----\\nAAAA\\n-----END PUBLIC KEY-----\"}}]}\n", "authority 'k' key cannot be used" },
        { "threshold too high", "  match: {images: [a]}\n  signatures: {threshold: 2, authorities: [{name: c, keyless: {identities: [{issuer: i, subject: s}]}}]}\n", "threshold is 2 but only 1 authorities" },
        { "threshold zero", "  match: {images: [a]}\n  signatures: {threshold: 0, authorities: [{name: c, keyless: {identities: [{issuer: i, subject: s}]}}]}\n", "threshold must be between 1 and 64" },
        { "undeclared authority reference", "  match: {images: [a]}\n  signatures: {authorities: [nobody]}\n", "authority 'nobody' is not declared" },
        { "duplicate authority", "  match: {images: [a]}\n  authorities: [{name: c, keyless: {identities: [{issuer: i, subject: s}]}}, {name: c, keyless: {identities: [{issuer: i, subject: s}]}}]\n  attestations: []\n", "authority 'c' is declared twice" },
        { "attestation with undeclared authority", "  match: {images: [a]}\n  attestations: [{name: x, predicateType: t, authorities: [ghost]}]\n", "names authority 'ghost', which is not declared" },
        { "condition with two operators", "  match: {images: [a]}\n  authorities: [{name: c, keyless: {identities: [{issuer: i, subject: s}]}}]\n  attestations: [{name: x, predicateType: t, authorities: [c], conditions: [{path: /a, equals: b, exists: true}]}]\n", "condition needs exactly one of" },
        { "condition path not a pointer", "  match: {images: [a]}\n  authorities: [{name: c, keyless: {identities: [{issuer: i, subject: s}]}}]\n  attestations: [{name: x, predicateType: t, authorities: [c], conditions: [{path: a, equals: b}]}]\n", "must be a JSON pointer" },
        { "bad duration", "  match: {images: [a]}\n  authorities: [{name: c, keyless: {identities: [{issuer: i, subject: s}]}}]\n  attestations: [{name: x, predicateType: t, authorities: [c], sbom: {maxAge: 30 days}}]\n", "sbom.maxAge must be a duration" },
        { "duration beyond what a clock can hold", "  match: {images: [a]}\n  authorities: [{name: c, keyless: {identities: [{issuer: i, subject: s}]}}]\n  attestations: [{name: x, predicateType: t, authorities: [c], sbom: {maxAge: 5555555555555555555555555555720h}}]\n", "sbom.maxAge must be at most 36500 days" },
        { "invalid component rule", "  match: {images: [a]}\n  authorities: [{name: c, keyless: {identities: [{issuer: i, subject: s}]}}]\n  attestations: [{name: x, predicateType: t, authorities: [c], sbom: {deniedComponents: ['not a purl']}}]\n", "sbom: deniedComponents: 'not a purl'" },
        { "platform not os/arch", "  match: {images: [a]}\n  signatures: {authorities: [{name: c, keyless: {identities: [{issuer: i, subject: s}]}}]}\n  platforms: {required: [linux/amd64, amd64]}\n", "p.yaml:7:25: spec.platforms.required: 'amd64' is not os/architecture[/variant]" },
        { "platform in upper case", "  match: {images: [a]}\n  signatures: {authorities: [{name: c, keyless: {identities: [{issuer: i, subject: s}]}}]}\n  platforms: {required: [Linux/AMD64]}\n", "p.yaml:7:25: spec.platforms.required: 'Linux/AMD64'" },
        { "platform listed twice", "  match: {images: [a]}\n  signatures: {authorities: [{name: c, keyless: {identities: [{issuer: i, subject: s}]}}]}\n  platforms: {required: [linux/arm64, linux/arm64]}\n", "spec.platforms.required lists 'linux/arm64' twice" },
        { "no platforms", "  match: {images: [a]}\n  signatures: {authorities: [{name: c, keyless: {identities: [{issuer: i, subject: s}]}}]}\n  platforms: {required: []}\n", "p.yaml:7:25: spec.platforms.required must list at least one platform" },
        { "platforms without required", "  match: {images: [a]}\n  signatures: {authorities: [{name: c, keyless: {identities: [{issuer: i, subject: s}]}}]}\n  platforms: {signed: true}\n", "p.yaml:7:14: spec.platforms needs 'required'" },
        { "unknown platforms field", "  match: {images: [a]}\n  signatures: {authorities: [{name: c, keyless: {identities: [{issuer: i, subject: s}]}}]}\n  platforms: {required: [linux/amd64], sign: true}\n", "unknown field 'sign' in spec.platforms" },
        { "signed platforms without signatures", "  match: {images: [a]}\n  authorities: [{name: c, keyless: {identities: [{issuer: i, subject: s}]}}]\n  attestations: [{name: x, predicateType: t, authorities: [c]}]\n  platforms: {required: [linux/amd64], signed: true}\n", "p.yaml:8:14: spec.platforms.signed needs spec.signatures" },
        { "unknown identity claim", "  match: {images: [a]}\n  signatures: {authorities: [{name: c, keyless: {identities: [{issuer: i, subject: s, claims: {sourceRepo: x}}]}}]}\n", "unknown claim 'sourceRepo'" },
        { "claims not a mapping", "  match: {images: [a]}\n  signatures: {authorities: [{name: c, keyless: {identities: [{issuer: i, subject: s, claims: [x]}]}}]}\n", "identity.claims must be a mapping" },
        { "attest root outside the server", "  match: {images: [a]}\n  signatures: {authorities: [{name: c, trustedRoot: attest, keyless: {identities: [{issuer: i, subject: s}]}}]}\n", "trustedRoot: attest names the Attest server's own trust root" },
        { "unknown sbom field", "  match: {images: [a]}\n  authorities: [{name: c, keyless: {identities: [{issuer: i, subject: s}]}}]\n  attestations: [{name: x, predicateType: t, authorities: [c], sbom: {deniedLicences: [MIT]}}]\n", "unknown field 'deniedLicences' in sbom" },
    };

    [Theory]
    [MemberData(nameof(SchemaErrors))]
    public void Schema_errors_are_reported_with_position(string description, string spec, string expected)
    {
        var (set, errors) = Load(Policy(spec));
        Assert.Null(set);
        Assert.True(errors.Any(e => e.ToString().Contains(expected, StringComparison.Ordinal)),
            $"{description}: expected '{expected}' in [{string.Join(" | ", errors)}]");
    }

    [Fact]
    public void Platform_requirement_is_read_with_optional_variants()
    {
        var (set, errors) = Load(Policy("""
              match: {images: [a]}
              signatures: {authorities: [{name: c, keyless: {identities: [{issuer: i, subject: s}]}}]}
              platforms:
                required: [linux/amd64, linux/arm/v7]
                signed: true
            """));
        Assert.Empty(errors);
        var platforms = Assert.Single(set!.ImagePolicies).Platforms!;
        Assert.True(platforms.Signed);
        Assert.Equal(["linux/amd64", "linux/arm/v7"], platforms.Required.Select(p => p.ToString()));
        Assert.True(platforms.Required[0].Matches("linux", "amd64", "v3"));
        Assert.False(platforms.Required[1].Matches("linux", "arm", "v6"));
        Assert.True(platforms.Required[1].Matches("linux", "arm", "v7"));
        Assert.Equal(8, platforms.Source.Line); // the block under platforms:
    }

    [Fact]
    public void Every_error_of_a_file_is_reported_not_only_the_first()
    {
        var (_, errors) = Load(Policy("  match: {images: [a], kinds: [Nope]}\n  mode: loud\n  extra: 1\n"));
        Assert.True(errors.Count >= 3, string.Join(" | ", errors));
    }

    [Theory]
    [InlineData("nginx", "docker.io/library/nginx")]
    [InlineData("team/*", "docker.io/team/*")]
    [InlineData("registry.example.com/prod/**", "registry.example.com/prod/**")]
    [InlineData("127.0.0.1:5000/app", "127.0.0.1:5000/app")]
    [InlineData("docker.io/**", "docker.io/**")]
    [InlineData("**", "**")]
    public void Image_patterns_are_normalized_like_references(string pattern, string normalized)
    {
        Assert.True(ImagePolicyParser.NormalizeImagePattern(pattern, out var result, out _));
        Assert.Equal(normalized, result);
    }

    [Theory]
    [InlineData("Registry.Example.com/prod/**", "write 'registry.example.com/prod/**'")]
    [InlineData("registry.example.com/Prod/**", "write 'registry.example.com/prod/**'")]
    [InlineData("index.docker.io/library/*", "write 'docker.io/library/*'")]
    [InlineData("registry-1.docker.io/library/nginx", "write 'docker.io/library/nginx'")]
    [InlineData("docker.io:443/library/nginx", "write 'docker.io/library/nginx'")]
    [InlineData("docker.io/nginx", "write 'docker.io/library/nginx'")]
    [InlineData("registry.example.com:443/prod/**", "write 'registry.example.com/prod/**'")]
    [InlineData("localhost:5000/prod/**", "write '127.0.0.1:5000/prod/**'")]
    [InlineData("127.1:5000/prod/**", "write '127.0.0.1:5000/prod/**'")]
    [InlineData("[::1]:5000/prod/**", "write '127.0.0.1:5000/prod/**'")]
    public void Image_patterns_that_can_never_match_are_load_errors(string pattern, string advice)
    {
        var (set, errors) = Load(Policy($"  match: {{images: [\"{pattern}\"]}}\n"));
        Assert.Null(set);
        Assert.Contains(errors, e => e.Message.Contains("can never match", StringComparison.Ordinal) && e.Message.Contains(advice, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("registry.example.com/prod/**", "registry.example.com/prod/app", true)]
    [InlineData("registry.example.com/prod/**", "registry.example.com/prod/a/b/c", true)]
    [InlineData("registry.example.com/prod/**", "registry.example.com/prod", true)]
    [InlineData("registry.example.com/prod/**", "registry.example.com/production/app", false)]
    [InlineData("registry.example.com/prod/*", "registry.example.com/prod/a/b", false)]
    [InlineData("registry.example.com/*/app", "registry.example.com/team/app", true)]
    [InlineData("registry.example.com/**/app", "registry.example.com/app", true)]
    [InlineData("registry.example.com/**/app", "registry.example.com/x/y/app", true)]
    [InlineData("registry.example.com/**/app", "registry.example.com/x/y/app2", false)]
    [InlineData("docker.io/library/ng?nx", "docker.io/library/nginx", true)]
    [InlineData("docker.io/library/ng?nx", "docker.io/library/ng/nx", false)]
    [InlineData("registry.example.com/a.b", "registry.example.com/aXb", false)]
    [InlineData("**", "anything/at/all", true)]
    public void Globs_match_components_and_recursion(string pattern, string value, bool expected)
    {
        Assert.Equal(expected, Glob.Compile(pattern).IsMatch(value));
    }
}

public sealed class GoSumPolicyParserTests
{
    [Fact]
    public void GoSumPolicy_documents_are_read_and_combined_strictly()
    {
        using var directory = new TempDirectory();
        File.WriteAllText(directory.Combine("go.yaml"), """
            apiVersion: attest.dev/v1
            kind: GoSumPolicy
            metadata: {name: a}
            spec: {deniedModules: ["github.com/evil/mod@<1.2.3"], allowLocalReplace: true, privatePatterns: ["corp.example.com/*"]}
            ---
            apiVersion: attest.dev/v1
            kind: GoSumPolicy
            metadata: {name: b}
            spec: {deniedModules: ["github.com/other/mod"], allowLocalReplace: false}
            """);
        var (set, errors) = PolicyDirectoryLoader.Load(directory.Path);
        Assert.Empty(errors);
        var combined = set!.CombinedGoSumPolicy;
        Assert.Equal(["github.com/evil/mod@<1.2.3", "github.com/other/mod"], combined.DeniedModules);
        Assert.Equal(["corp.example.com/*"], combined.PrivatePatterns);
        Assert.False(combined.AllowLocalReplace); // allowed only if every document allows it
    }

    [Fact]
    public void Invalid_GoSumPolicy_fails_the_load_with_positions()
    {
        using var directory = new TempDirectory();
        File.WriteAllText(directory.Combine("go.yaml"), "apiVersion: attest.dev/v1\nkind: GoSumPolicy\nmetadata: {name: a}\nspec: {deniedModules: [\"@@\"], allowLocalReplace: maybe}\n");
        var (set, errors) = PolicyDirectoryLoader.Load(directory.Path);
        Assert.Null(set);
        Assert.Contains(errors, e => e.ToString().StartsWith("go.yaml:4:7: deniedModules", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.ToString().Contains("spec.allowLocalReplace must be true or false", StringComparison.Ordinal));
    }
}
