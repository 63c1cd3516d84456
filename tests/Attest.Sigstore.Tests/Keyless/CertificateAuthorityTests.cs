using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Attest.Core;
using Attest.Sigstore.Keyless;
using Attest.Sigstore.Signing;
using Attest.Sigstore.TrustRoot;
using Attest.Sigstore.Verification;
using CertificateAuthority = Attest.Sigstore.Keyless.CertificateAuthority;

namespace Attest.Sigstore.Tests.Keyless;

/// <summary>Attest's CA: what it certifies for a GitHub workflow token, recorded before the SCT, and what a policy's
/// claims then require of the bundles signed with it.</summary>
public sealed class CertificateAuthorityTests : IDisposable
{
    private const string Issuer = "https://ci.attest.test";
    private static readonly Digest Image = Digest.Sha256("image manifest"u8);
    private readonly ECDsa _rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa _issuingKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa _ctKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa _logKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly CertificateAuthority _ca;
    private readonly InMemoryTransparencyLog _log;
    private readonly TrustedRoot _trustedRoot;

    public CertificateAuthorityTests()
    {
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        var root = AuthorityCertificates.CreateRoot(_rootKey, "CN=test root", now, now.AddYears(1));
        var issuing = AuthorityCertificates.CreateIntermediate(root, _rootKey, _issuingKey, "CN=test issuing", now, now.AddYears(1));
        var ct = new CertificateTransparencyLogSigner(_ctKey, TimeProvider.System);
        _ca = new CertificateAuthority([issuing, root], _issuingKey, ct, TimeProvider.System);
        _log = new InMemoryTransparencyLog(_logKey, "rekor.attest.test", TimeProvider.System);
        _trustedRoot = new TrustedRootBuilder()
            .AddTransparencyLog(_log.BaseUrl, _log.PublicKeyInfo, now)
            .AddCertificateAuthority("https://attest.test", _ca.Chain, now)
            .AddCertificateTransparencyLog("https://attest.test", ct.PublicKeyInfo, now)
            .Build();
    }

    public void Dispose()
    {
        foreach (var key in new[] { _rootKey, _issuingKey, _ctKey, _logKey }) key.Dispose();
    }

    [Fact]
    public async Task Bundle_signed_with_an_issued_certificate_verifies_and_policy_claims_must_match()
    {
        var (bundle, precertificate) = await SignAsync("acme/payments", "refs/heads/main");
        Assert.NotEmpty(precertificate);
        var identity = "https://github.com/acme/payments/.github/workflows/release.yml@refs/heads/main";

        var verified = Verify(bundle, new CertificateIdentity
        {
            SubjectAlternativeName = identity, Issuer = Issuer,
            Extensions = new Dictionary<int, string> { [12] = "https://github.com/acme/payments", [14] = "refs/heads/main" },
        });
        Assert.True(verified.Verified, verified.Failure?.ToString());

        var otherRepository = Verify(bundle, new CertificateIdentity
        {
            SubjectAlternativeName = identity, Issuer = Issuer,
            Extensions = new Dictionary<int, string> { [12] = "https://github.com/acme/other" },
        });
        Assert.Equal(SigstoreCodes.IdentityClaimMismatch, otherRepository.Failure?.Code);
        Assert.Contains("SourceRepositoryURI", otherRepository.Failure!.Message);
    }

    [Fact]
    public async Task Precertificate_is_recorded_before_the_sct_and_a_failed_record_issues_nothing()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var identity = Identity("acme/payments", "refs/heads/main");
        await Assert.ThrowsAsync<IOException>(() => _ca.IssueAsync(PublicKey.CreateFromSubjectPublicKeyInfo(key.ExportSubjectPublicKeyInfo(), out _), identity,
            (_, _, _) => throw new IOException("the ledger is away")));

        byte[]? recorded = null;
        var issued = await _ca.IssueAsync(PublicKey.CreateFromSubjectPublicKeyInfo(key.ExportSubjectPublicKeyInfo(), out _), identity,
            (precertificate, _, _) => { recorded = precertificate; return Task.CompletedTask; });
        // The leaf is the precertificate with the SCT list in place of the poison: the same TBS once both are removed.
        Assert.Equal(SctStep.PrecertificateTbs(recorded!), SctStep.PrecertificateTbs(issued.Leaf));
        Assert.True(_ca.Issued(issued.Leaf, DateTimeOffset.UtcNow, out var problem), problem);
        // DER: a non-critical extension omits the critical flag (DEFAULT FALSE is never encoded), and .NET reads it all.
        Assert.True(Attest.Core.X509.CertificateFields.TryParse(issued.Leaf, out var fields, out var error), error);
        foreach (var extension in fields.Extensions)
            Assert.Equal(extension.Critical, ExtensionCarriesCriticalFlag(issued.Leaf, extension.Oid));
        using var loaded = X509CertificateLoader.LoadCertificate(issued.Leaf);
        Assert.Equal(fields.Extensions.Count, loaded.Extensions.Count);
        Assert.Empty(loaded.Subject);
        Assert.False(_ca.Issued(issued.Leaf, DateTimeOffset.UtcNow.AddMinutes(11), out problem));
        Assert.Contains("valid from", problem);
    }

    /// <summary>A certificate this authority just issued is recognised without checking its signature again, but only
    /// byte for byte: an altered copy is verified, and refused; the same authority in another process (its own memory
    /// empty) verifies the signature and accepts.</summary>
    [Fact]
    public async Task Just_issued_certificates_are_recognised_byte_for_byte_and_anything_else_is_verified()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var issued = await _ca.IssueAsync(PublicKey.CreateFromSubjectPublicKeyInfo(key.ExportSubjectPublicKeyInfo(), out _), Identity("acme/payments", "refs/heads/main"),
            (_, _, _) => Task.CompletedTask);
        Assert.True(_ca.Issued(issued.Leaf, DateTimeOffset.UtcNow, out var problem), problem);

        var altered = (byte[])issued.Leaf.Clone();
        altered[^1] ^= 0x01; // the last byte of the signature's s
        Assert.False(_ca.Issued(altered, DateTimeOffset.UtcNow, out problem));
        Assert.Contains("signature does not verify", problem, StringComparison.Ordinal);

        var sameAuthorityElsewhere = new CertificateAuthority(_ca.Chain, _issuingKey, new CertificateTransparencyLogSigner(_ctKey, TimeProvider.System), TimeProvider.System);
        Assert.True(sameAuthorityElsewhere.Issued(issued.Leaf, DateTimeOffset.UtcNow, out problem), problem);
        Assert.False(sameAuthorityElsewhere.Issued(altered, DateTimeOffset.UtcNow, out problem));
        Assert.False(_ca.Issued(issued.Leaf, DateTimeOffset.UtcNow.AddMinutes(11), out problem));
        Assert.Contains("valid from", problem, StringComparison.Ordinal);
    }

    /// <summary>Go's crypto/x509 (what cosign and sigstore-go verify with) reads the certificate and builds its chain to the
    /// root for code signing at its issuance time: the encoding is right for the Go ecosystem, not only for .NET.</summary>
    [Fact]
    public async Task Go_parses_an_issued_certificate_and_verifies_its_chain_for_code_signing()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var issued = await _ca.IssueAsync(PublicKey.CreateFromSubjectPublicKeyInfo(key.ExportSubjectPublicKeyInfo(), out _), Identity("acme/payments", "refs/heads/main"),
            (_, _, _) => Task.CompletedTask);
        using var go = new Attest.Testing.GoOracle();
        var program = Path.Combine(go.Work, "x509check");
        Directory.CreateDirectory(program);
        File.WriteAllText(Path.Combine(program, "go.mod"), "module x509check\n\ngo 1.19\n");
        File.WriteAllText(Path.Combine(program, "main.go"), GoChainCheck);
        File.WriteAllText(Path.Combine(program, "leaf.pem"), PemEncoding.WriteString("CERTIFICATE", issued.Leaf));
        File.WriteAllText(Path.Combine(program, "intermediate.pem"), _ca.Chain[0].ExportCertificatePem());
        File.WriteAllText(Path.Combine(program, "root.pem"), _ca.Chain[1].ExportCertificatePem());

        var result = go.Run(program, null, "run", ".").EnsureSuccess("go run x509check");
        Assert.Contains("chain of 3", result.StandardOutput);
        Assert.Contains("uri https://github.com/acme/payments/.github/workflows/release.yml@refs/heads/main", result.StandardOutput);
    }

    private const string GoChainCheck = """
        package main

        import (
        	"crypto/x509"
        	"encoding/pem"
        	"fmt"
        	"os"
        	"time"
        )

        func load(name string) *x509.Certificate {
        	data, err := os.ReadFile(name)
        	if err != nil {
        		panic(err)
        	}
        	block, _ := pem.Decode(data)
        	certificate, err := x509.ParseCertificate(block.Bytes)
        	if err != nil {
        		fmt.Fprintln(os.Stderr, name, err)
        		os.Exit(1)
        	}
        	return certificate
        }

        func main() {
        	leaf, intermediate, root := load("leaf.pem"), load("intermediate.pem"), load("root.pem")
        	roots, intermediates := x509.NewCertPool(), x509.NewCertPool()
        	roots.AddCert(root)
        	intermediates.AddCert(intermediate)
        	chains, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: intermediates,
        		CurrentTime: leaf.NotBefore.Add(time.Minute), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}})
        	if err != nil {
        		fmt.Fprintln(os.Stderr, "verify:", err)
        		os.Exit(1)
        	}
        	fmt.Printf("chain of %d\n", len(chains[0]))
        	for _, uri := range leaf.URIs {
        		fmt.Printf("uri %s\n", uri)
        	}
        }
        """;

    /// <summary>Whether the extension with <paramref name="oid"/> encodes a critical BOOLEAN at all.</summary>
    private static bool ExtensionCarriesCriticalFlag(byte[] certificate, string oid)
    {
        var tbs = new System.Formats.Asn1.AsnReader(certificate, System.Formats.Asn1.AsnEncodingRules.DER).ReadSequence().ReadSequence();
        var extensionsTag = new System.Formats.Asn1.Asn1Tag(System.Formats.Asn1.TagClass.ContextSpecific, 3, isConstructed: true);
        while (!tbs.PeekTag().HasSameClassAndValue(extensionsTag)) tbs.ReadEncodedValue();
        var list = tbs.ReadSequence(extensionsTag).ReadSequence();
        while (list.HasData)
        {
            var extension = list.ReadSequence();
            if (extension.ReadObjectIdentifier() == oid) return extension.PeekTag().HasSameClassAndValue(System.Formats.Asn1.Asn1Tag.Boolean);
        }
        throw new InvalidOperationException($"no extension {oid}");
    }

    private async Task<(byte[] Bundle, byte[] Precertificate)> SignAsync(string repository, string gitRef)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        byte[] recorded = [];
        var issued = await _ca.IssueAsync(PublicKey.CreateFromSubjectPublicKeyInfo(key.ExportSubjectPublicKeyInfo(), out _), Identity(repository, gitRef),
            (precertificate, _, _) => { recorded = precertificate; return Task.CompletedTask; });
        var statement = StatementWriter.Write([(Image.ToString(), Image)], StatementWriter.CosignSignPredicateType);
        var bundle = await new BundleBuilder(_log).SignStatementAsync(BundleSigner.ForCertificate(key, X509CertificateLoader.LoadCertificate(issued.Leaf)), statement);
        return (bundle, recorded);
    }

    private static FulcioIdentity Identity(string repository, string gitRef)
    {
        using var claims = JsonDocument.Parse($$"""
            {"iss":"{{Issuer}}","sub":"repo:{{repository}}:ref:{{gitRef}}","repository":"{{repository}}","repository_owner":"acme","ref":"{{gitRef}}",
             "job_workflow_ref":"{{repository}}/.github/workflows/release.yml@{{gitRef}}","run_id":"1","run_attempt":"1"}
            """);
        Assert.True(FulcioIdentityMapper.TryMap(IdentityType.GitHubWorkflow, Issuer, claims.RootElement, null, null, out var identity, out var error), error);
        return identity;
    }

    private VerificationResult Verify(byte[] bundle, CertificateIdentity identity) =>
        new BundleVerifier(_trustedRoot, VerifierOptions.Default, TimeProvider.System).Verify(bundle, Artifact.FromDigest(Image), new ArtifactPolicy { Identities = [identity] });
}
