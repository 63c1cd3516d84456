using System.Security.Cryptography;
using Attest.Oci;
using Attest.Policy.Evaluation;

namespace Attest.Policy.Tests.Evaluation;

/// <summary>The collect stage against hostile referrers: bounded work, the preferred candidates first, and a denial
/// that names what was skipped, never an allow.</summary>
public sealed class EvidenceCollectionTests : IDisposable
{
    private const string Issuer = "https://token.actions.githubusercontent.com";
    private const string Release = "https://github.com/example/app/.github/workflows/release.yml@refs/tags/v1";
    private readonly EvaluatorRig _rig = new();

    public void Dispose() => _rig.Dispose();

    private static readonly EvidenceLimits Small = new() { MaxExaminedReferrers = 8, MaxReferrerPages = 4, MaxListedReferrers = 200 };

    private void AttachJunk(string repository, Attest.Core.Digest digest, int count, string predicateType)
    {
        using var junkKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var bundle = _rig.Sigstore.SignImage(digest, junkKey);
        for (var i = 0; i < count; i++)
        {
            // Each manifest differs (an annotation), so each is a distinct referrer; the bundle is a valid signature by a stranger.
            _rig.Source.AttachBundle(EvaluatorRig.Repository(repository), digest, bundle, new Dictionary<string, string>
            {
                [EvidenceCollector.PredicateTypeAnnotation] = predicateType,
                ["junk"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
        }
    }

    [Fact]
    public async Task Junk_bundles_that_crowd_out_the_signature_deny_and_name_what_was_not_examined()
    {
        var policies = _rig.Policies(EvaluatorRig.ReleaseKeyPolicy());
        var digest = _rig.PushImage("prod/app");
        AttachJunk("prod/app", digest, 50, VerifiedEvidence.CosignSignaturePredicate);
        // The genuine signature without annotations ranks after everything that claims to be what the policy needs.
        _rig.Source.AttachBundle(EvaluatorRig.Repository("prod/app"), digest, _rig.Sigstore.SignImage(digest, _rig.ReleaseKey));

        var decision = await EvaluatorRig.EvaluateAsync(_rig.Evaluator(limits: Small), policies, "prod/app", digest);

        Assert.Equal(Verdict.Deny, decision.Verdict);
        var unexamined = Assert.Single(decision.Images[0].Outcomes[0].Reasons, r => r.Code == AdmissionCodes.EvidenceUnexamined);
        Assert.Contains("43 of the 51 Sigstore bundles", unexamined.Message, StringComparison.Ordinal);
        Assert.Contains("(and 35 more)", unexamined.Message, StringComparison.Ordinal);
        // Bounded: the listing, the two legacy tags, and two reads (manifest, bundle) for each examined referrer.
        Assert.True(_rig.Source.Calls <= 1 + 2 + 2 * Small.MaxExaminedReferrers, $"{_rig.Source.Calls} registry calls");
    }

    [Fact]
    public async Task Bundles_of_the_predicate_type_a_policy_needs_are_examined_first()
    {
        var policies = _rig.Policies(EvaluatorRig.ReleaseKeyPolicy());
        var digest = _rig.PushImage("prod/app");
        AttachJunk("prod/app", digest, 50, "https://example.com/unwanted/v1");
        _rig.Sign("prod/app", digest, _rig.ReleaseKey);

        var decision = await EvaluatorRig.EvaluateAsync(_rig.Evaluator(limits: Small), policies, "prod/app", digest);
        Assert.True(decision.Verdict == Verdict.Allow, EvaluatorRig.Reasons(decision));
    }

    [Fact]
    public async Task Keyless_bundles_from_other_identities_are_set_aside_without_verifying_them()
    {
        var policies = _rig.Policies(EvaluatorRig.Policy("keyless", $$"""
              signatures:
                authorities:
                  - name: ci
                    trustedRoot: trusted_root.json
                    keyless: {identities: [{issuer: "{{Issuer}}", subject: "{{Release}}"}]} 
            """));
        var digest = _rig.PushImage("prod/app");
        for (var i = 0; i < 5; i++)
            _rig.Source.AttachBundle(EvaluatorRig.Repository("prod/app"), digest,
                _rig.Sigstore.SignImageKeyless(digest, $"https://github.com/mallory/app{i}/.github/workflows/x.yml@refs/heads/main", Issuer));

        var junkOnly = await EvaluatorRig.EvaluateAsync(_rig.Evaluator(ttl: TimeSpan.Zero), policies, "prod/app", digest);
        Assert.Equal(Verdict.Deny, junkOnly.Verdict);
        var reason = Assert.Single(junkOnly.Images[0].Outcomes[0].Reasons);
        Assert.Equal(AdmissionCodes.SignatureUntrusted, reason.Code);
        Assert.Equal(AdmissionCodes.SignatureOtherSigner, Assert.Single(reason.Causes).Code);

        _rig.Source.AttachBundle(EvaluatorRig.Repository("prod/app"), digest, _rig.Sigstore.SignImageKeyless(digest, Release, Issuer));
        var genuine = await EvaluatorRig.EvaluateAsync(_rig.Evaluator(ttl: TimeSpan.Zero), policies, "prod/app", digest);
        Assert.True(genuine.Verdict == Verdict.Allow, EvaluatorRig.Reasons(genuine));
    }

    [Fact]
    public async Task A_referrer_whose_manifest_names_another_subject_is_refused()
    {
        var policies = _rig.Policies(EvaluatorRig.ReleaseKeyPolicy());
        var signed = _rig.PushImage("prod/app");
        var referrer = _rig.Sign("prod/app", signed, _rig.ReleaseKey);
        var other = _rig.PushImage("prod/app");
        // The listing of the unsigned image claims the signed image's signature.
        _rig.Source.ListReferrer(EvaluatorRig.Repository("prod/app"), other, new Descriptor(OciMediaTypes.ImageManifest, referrer, 500, OciMediaTypes.SigstoreBundle));

        var decision = await EvaluatorRig.EvaluateAsync(_rig.Evaluator(), policies, "prod/app", other);
        Assert.Equal(Verdict.Deny, decision.Verdict);
        Assert.Contains(AdmissionCodes.EvidenceSubjectMismatch, EvaluatorRig.Codes(decision));
    }

    [Fact]
    public async Task A_referrers_listing_that_never_ends_is_read_to_the_bound_and_denies()
    {
        var policies = _rig.Policies(EvaluatorRig.ReleaseKeyPolicy());
        var digest = _rig.PushImage("prod/app");
        _rig.Source.PageSize = 10;
        _rig.Source.EndlessReferrerPages = true;

        var decision = await EvaluatorRig.EvaluateAsync(_rig.Evaluator(limits: Small), policies, "prod/app", digest).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(Verdict.Deny, decision.Verdict);
        Assert.Contains(AdmissionCodes.EvidenceListingTruncated, EvaluatorRig.Codes(decision));
        Assert.True(_rig.Source.Calls <= Small.MaxReferrerPages + 2 + 2 * Small.MaxExaminedReferrers, $"{_rig.Source.Calls} registry calls");
    }

    [Fact]
    public async Task Referrers_on_later_pages_are_found_by_following_the_next_link()
    {
        var policies = _rig.Policies(EvaluatorRig.ReleaseKeyPolicy());
        var digest = _rig.PushImage("prod/app");
        AttachJunk("prod/app", digest, 5, "https://example.com/unwanted/v1");
        _rig.Sign("prod/app", digest, _rig.ReleaseKey);
        _rig.Source.PageSize = 2;

        var decision = await EvaluatorRig.EvaluateAsync(_rig.Evaluator(), policies, "prod/app", digest);
        Assert.True(decision.Verdict == Verdict.Allow, EvaluatorRig.Reasons(decision));
    }
}
