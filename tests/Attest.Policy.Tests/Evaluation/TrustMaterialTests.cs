using Attest.Policy.Evaluation;
using Attest.Policy.Model;

namespace Attest.Policy.Tests.Evaluation;

/// <summary>Trust material (keys, trusted roots) is part of the policy revision, so a changed key changes decisions at
/// once; and the verifiers built from trusted roots are shared by content and bounded.</summary>
public sealed class TrustMaterialTests : IDisposable
{
    private readonly EvaluatorRig _rig = new();

    public void Dispose() => _rig.Dispose();

    [Fact]
    public async Task Replacing_the_key_file_is_a_new_revision_and_changes_the_decision_at_once()
    {
        var before = _rig.Policies(EvaluatorRig.ReleaseKeyPolicy());
        var digest = _rig.PushImage("prod/app");
        _rig.Sign("prod/app", digest, _rig.ReleaseKey);
        var evaluator = _rig.Evaluator(ttl: TimeSpan.FromMinutes(10));
        Assert.Equal(Verdict.Allow, (await EvaluatorRig.EvaluateAsync(evaluator, before, "prod/app", digest)).Verdict);

        // The key is compromised: the file now holds the auditor's key instead; the policy file itself is unchanged.
        File.WriteAllText(_rig.Directory.Combine("release.pub"), _rig.AuditorKey.ExportSubjectPublicKeyInfoPem());
        var after = _rig.Load();

        Assert.NotEqual(before.Revision, after.Revision);
        var decision = await EvaluatorRig.EvaluateAsync(evaluator, after, "prod/app", digest);
        Assert.Equal(Verdict.Deny, decision.Verdict);
        Assert.Contains(AdmissionCodes.SignatureUntrusted, EvaluatorRig.Codes(decision));
    }

    [Fact]
    public void A_key_in_a_subdirectory_is_hashed_into_the_revision_and_listed_with_its_digest()
    {
        Directory.CreateDirectory(_rig.Directory.Combine("keys"));
        File.WriteAllText(_rig.Directory.Combine("keys", "release.pub"), _rig.ReleaseKey.ExportSubjectPublicKeyInfoPem());
        var policy = EvaluatorRig.Policy("sub", """
              signatures:
                authorities: [{name: release-key, trustedRoot: trusted_root.json, key: {file: keys/release.pub}}]
            """);
        var first = _rig.Policies(policy);
        var key = Assert.Single(first.Files, f => f.Path == Path.Combine("keys", "release.pub"));
        Assert.Equal("key", key.Role);
        Assert.StartsWith("sha256:", key.Digest, StringComparison.Ordinal);
        Assert.Contains(first.Files, f => f.Path == "trusted_root.json" && f.Role == "trusted root");
        Assert.Contains(first.Files, f => f.Path == "policies.yaml" && f.Role == "policy");

        Assert.Equal(first.Revision, _rig.Load().Revision); // the same files, the same revision
        File.WriteAllText(_rig.Directory.Combine("keys", "release.pub"), _rig.OtherKey.ExportSubjectPublicKeyInfoPem());
        var second = _rig.Load();
        Assert.NotEqual(first.Revision, second.Revision);
        Assert.NotEqual(key.Digest, Assert.Single(second.Files, f => f.Role == "key").Digest);
    }

    [Fact]
    public void A_failed_load_still_names_the_referenced_files_to_watch()
    {
        File.WriteAllText(_rig.Directory.Combine("policies.yaml"), EvaluatorRig.Policy("p", """
              signatures:
                authorities: [{name: k, key: {file: ../elsewhere/missing.pub}}]
            """));
        var load = PolicyDirectoryLoader.Load(_rig.Directory.Path);
        Assert.Null(load.Set);
        Assert.Contains(Path.GetFullPath(Path.Combine(_rig.Directory.Path, "..", "elsewhere", "missing.pub")), load.ReferencedPaths);
    }

    private const string NotaryStorePolicy = """
          signatures:
            authorities: [{name: vendor, notation: {trustStore: [../vendor-store], trustedIdentities: ["*"]}}]
        """;

    /// <summary>A self-signed CA certificate, as PEM, for a trust store.</summary>
    private static string RootCertificate(string name)
    {
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest($"C=US, ST=WA, O=Vendor, CN={name}", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension(true, false, 0, true));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return certificate.ExportCertificatePem();
    }

    [Fact]
    public void Notary_trust_store_files_are_part_of_the_revision_and_their_directory_is_watched()
    {
        var store = Path.GetFullPath(Path.Combine(_rig.Directory.Path, "..", "vendor-store"));
        Directory.CreateDirectory(store);
        try
        {
            File.WriteAllText(Path.Combine(store, "root.pem"), RootCertificate("first"));
            var first = _rig.Policies(EvaluatorRig.Policy("p", NotaryStorePolicy));
            var load = PolicyDirectoryLoader.Load(_rig.Directory.Path);
            Assert.Contains(store, load.ReferencedPaths);
            Assert.Contains(first.Files, f => f.Path == Path.Combine(store, "root.pem") && f.Role.EndsWith("certificate", StringComparison.Ordinal));
            Assert.Equal(first.Revision, _rig.Load().Revision);

            File.WriteAllText(Path.Combine(store, "root.pem"), RootCertificate("replaced"));
            var replaced = _rig.Load();
            Assert.NotEqual(first.Revision, replaced.Revision);

            File.WriteAllText(Path.Combine(store, "second.crt"), RootCertificate("second"));
            var added = _rig.Load();
            Assert.NotEqual(replaced.Revision, added.Revision);
            Assert.Equal(2, ((Model.NotationAuthority)added.ImagePolicies[0].Authorities["vendor"]).TrustPolicy.TrustStore
                .Certificates(Notation.Trust.TrustStoreType.CertificateAuthority).Count);
        }
        finally
        {
            Directory.Delete(store, recursive: true);
        }
    }

    [Fact]
    public async Task A_trust_store_holding_a_link_or_a_named_pipe_fails_the_load_without_opening_it()
    {
        var store = _rig.Directory.Combine("store");
        Directory.CreateDirectory(store);
        File.WriteAllText(_rig.Directory.Combine("elsewhere.pem"), RootCertificate("elsewhere"));
        File.CreateSymbolicLink(Path.Combine(store, "link.pem"), _rig.Directory.Combine("elsewhere.pem"));
        using (var mkfifo = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("mkfifo", [Path.Combine(store, "pipe.crt")]) { UseShellExecute = false })!)
        {
            mkfifo.WaitForExit();
            Assert.Equal(0, mkfifo.ExitCode);
        }
        File.WriteAllText(_rig.Directory.Combine("policies.yaml"), EvaluatorRig.Policy("p", NotaryStorePolicy.Replace("../vendor-store", "store", StringComparison.Ordinal)));

        // Run aside: a load that opened the pipe would block until a writer came, which none does.
        var load = await Task.Run(() => PolicyDirectoryLoader.Load(_rig.Directory.Path)).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Null(load.Set);
        Assert.Contains(load.Errors, e => e.Message.Contains("store/link.pem is a symbolic link", StringComparison.Ordinal));
        Assert.Contains(load.Errors, e => e.Message.Contains("store/pipe.crt is not a regular file (a named pipe)", StringComparison.Ordinal));
    }

    [Fact]
    public void Verifiers_are_shared_by_trusted_root_content_and_bounded_however_often_roots_change()
    {
        var digest = _rig.PushImage("prod/app");
        var bundle = new FoundBundle("test", _rig.Sigstore.SignImage(digest, _rig.ReleaseKey));
        var verifier = new SigstoreEvidenceVerifier(_rig.Time);
        _rig.Policies(EvaluatorRig.ReleaseKeyPolicy());

        for (var reload = 0; reload < 5; reload++)
        {
            var authority = _rig.Load().ImagePolicies[0].Authorities["release-key"];
            Assert.True(verifier.Verify(authority, bundle, digest).Verified);
        }
        Assert.Equal(1, verifier.CachedVerifiers); // the same root content, reloaded, is one verifier

        var json = _rig.Sigstore.TrustedRootJson;
        for (var reload = 0; reload < SigstoreEvidenceVerifier.MaxCachedVerifiers + 10; reload++)
        {
            // The same root with different trailing whitespace: different content each time.
            File.WriteAllBytes(_rig.Directory.Combine("trusted_root.json"), [.. json, .. Enumerable.Repeat((byte)' ', reload + 1)]);
            var authority = _rig.Load().ImagePolicies[0].Authorities["release-key"];
            Assert.True(verifier.Verify(authority, bundle, digest).Verified);
            Assert.True(verifier.CachedVerifiers <= SigstoreEvidenceVerifier.MaxCachedVerifiers);
        }
    }

    [Fact]
    public void A_declared_authority_no_requirement_names_is_a_policy_error()
    {
        File.WriteAllText(_rig.Directory.Combine("policies.yaml"), EvaluatorRig.Policy("p", """
              authorities:
                - {name: unused, key: {file: auditor.pub}}
              signatures:
                authorities: [{name: release-key, key: {file: release.pub}}]
            """));
        var (set, errors) = PolicyDirectoryLoader.Load(_rig.Directory.Path);
        Assert.Null(set);
        Assert.Contains(errors, e => e.Message.Contains("authority 'unused' is declared but no signature, attestation or vulnerability requirement names it", StringComparison.Ordinal));
    }

    [Fact]
    public void Exists_false_is_read_into_the_model_not_dropped()
    {
        var set = _rig.Policies(EvaluatorRig.Policy("p", """
              authorities: [{name: k, key: {file: release.pub}}]
              attestations:
                - name: provenance
                  predicateType: https://slsa.dev/provenance/v1
                  authorities: [k]
                  conditions: [{path: /debug, exists: false}]
            """));
        var condition = Assert.IsType<ExistsCondition>(Assert.Single(set.ImagePolicies[0].Attestations[0].Conditions));
        Assert.False(condition.Expected);
    }
}
