using System.Security.Cryptography;
using Attest.Core;
using Attest.Oci;
using Attest.Policy.Admission;
using Attest.Policy.Evaluation;
using Attest.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Attest.Policy.Tests.Evaluation;

/// <summary>
/// The decision pipeline without a registry process: an in-memory evidence source, a fake clock, an in-process
/// Sigstore that signs offline, and a policy directory on disk (policies are loaded as the server loads them).
/// </summary>
internal sealed class EvaluatorRig : IDisposable
{
    public const string Registry = "registry.example.com";

    public EvaluatorRig()
    {
        Sigstore = new TestSigstore(Time);
        Sigstore.WriteTrustedRoot(Directory.Combine("trusted_root.json"));
        File.WriteAllText(Directory.Combine("release.pub"), ReleaseKey.ExportSubjectPublicKeyInfoPem());
        File.WriteAllText(Directory.Combine("auditor.pub"), AuditorKey.ExportSubjectPublicKeyInfoPem());
    }

    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    public TempDirectory Directory { get; } = new("attest-evaluator");

    public TestSigstore Sigstore { get; }

    public ECDsa ReleaseKey { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public ECDsa AuditorKey { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public ECDsa OtherKey { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public InMemoryEvidenceSource Source { get; } = new();

    /// <summary>Writes <paramref name="yaml"/> as the only policy file and loads the directory.</summary>
    public PolicySet Policies(string yaml)
    {
        File.WriteAllText(Directory.Combine("policies.yaml"), yaml);
        return Load();
    }

    public PolicySet Load()
    {
        var (set, errors) = PolicyDirectoryLoader.Load(Directory.Path, time: Time);
        Assert.True(set is not null, string.Join("\n", errors));
        return set;
    }

    /// <summary>An ImagePolicy named <paramref name="name"/> over <c>registry.example.com/**</c> with <paramref name="spec"/>
    /// (indented by two spaces) after the match.</summary>
    public static string Policy(string name, string spec, string images = Registry + "/**") =>
        $"apiVersion: attest.dev/v1\nkind: ImagePolicy\nmetadata: {{name: {name}}}\nspec:\n  match: {{images: [\"{images}\"]}}\n{spec}";

    /// <summary>Requires a signature by the key in release.pub under the test Sigstore's trusted root.</summary>
    public static string ReleaseKeyPolicy(string name = "release") => Policy(name, """
          signatures:
            authorities: [{name: release-key, trustedRoot: trusted_root.json, key: {file: release.pub}}]
        """);

    public AdmissionEvaluator Evaluator(TimeSpan? ttl = null, EvidenceLimits? limits = null, TimeSpan? workTimeout = null) =>
        new(Source, new AuthorityVerifier(Time), new PolicyJudge(Time), Time,
            new EvaluatorOptions { VerdictTtl = ttl ?? TimeSpan.FromMinutes(1), WorkTimeout = workTimeout ?? TimeSpan.FromSeconds(8) }, limits);

    /// <summary>Pushes a new image to <c>registry.example.com/<paramref name="repository"/></c>.</summary>
    public Digest PushImage(string repository) => Source.PushImage(Repository(repository)).Digest;

    /// <summary>Attaches a cosign-style signature by <paramref name="key"/> as a bundle referrer.</summary>
    public Digest Sign(string repository, Digest digest, ECDsa key) =>
        Source.AttachBundle(Repository(repository), digest, Sigstore.SignImage(digest, key),
            new Dictionary<string, string> { [EvidenceCollector.PredicateTypeAnnotation] = VerifiedEvidence.CosignSignaturePredicate });

    public static string Repository(string repository) => $"{Registry}/{repository}";

    public static ContainerImage Image(string repository, Digest digest) => new($"{Registry}/{repository}@{digest}", "/spec/containers/0/image", "app", "containers");

    public static Task<Decision> EvaluateAsync(AdmissionEvaluator evaluator, PolicySet policies, string repository, Digest digest,
        IRegistryCredentialProvider? credentials = null, CancellationToken cancellationToken = default) =>
        evaluator.EvaluateAsync(policies, "Pod", "default", [Image(repository, digest)], credentials, cancellationToken);

    public static string Reasons(Decision decision) => string.Join("\n", decision.Images.SelectMany(i => i.Explain()));

    public static IEnumerable<string> Codes(Decision decision) =>
        decision.Images.SelectMany(i => i.Reasons.Concat(i.Outcomes.SelectMany(o => o.Reasons))).Select(r => r.Code);

    public void Dispose()
    {
        Sigstore.Dispose();
        ReleaseKey.Dispose();
        AuditorKey.Dispose();
        OtherKey.Dispose();
        Directory.Dispose();
    }
}
