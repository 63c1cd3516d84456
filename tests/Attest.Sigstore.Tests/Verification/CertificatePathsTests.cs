using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Attest.Sigstore.TrustRoot;
using Attest.Sigstore.Verification;

namespace Attest.Sigstore.Tests.Verification;

/// <summary>Path validation against an ephemeral CA made per test: what makes a leaf chain, and each thing that breaks it.</summary>
public class CertificatePathsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private sealed record Pki(X509Certificate2 Root, X509Certificate2 Intermediate, ECDsa IntermediateKey, CertificateAuthority Authority);

    private static Pki NewPki(bool intermediateIsCa = true)
    {
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var rootRequest = new CertificateRequest("CN=test root", rootKey, HashAlgorithmName.SHA384);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        var root = rootRequest.CreateSelfSigned(T0.AddYears(-1), T0.AddYears(5));

        var intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var intermediateRequest = new CertificateRequest("CN=test intermediate", intermediateKey, HashAlgorithmName.SHA384);
        intermediateRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(intermediateIsCa, intermediateIsCa, 0, true));
        intermediateRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        var intermediate = intermediateRequest.Create(root, T0.AddYears(-1), T0.AddYears(2), [1, 2, 3]);
        var authority = new CertificateAuthority("https://fulcio.test", [X509CertificateLoader.LoadCertificate(intermediate.RawData), X509CertificateLoader.LoadCertificate(root.RawData)], new TimeRange(T0.AddYears(-1), null));
        return new Pki(root, intermediate, intermediateKey, authority);
    }

    private static X509Certificate2 Leaf(Pki pki, DateTimeOffset notBefore, DateTimeOffset notAfter, Action<CertificateRequest>? customise = null, ECDsa? signer = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.3")], false));
        customise?.Invoke(request);
        var issuerName = pki.Intermediate.SubjectName;
        var generator = X509SignatureGenerator.CreateForECDsa(signer ?? pki.IntermediateKey);
        return request.Create(issuerName, generator, notBefore, notAfter, [9, 9, 9]);
    }

    [Fact]
    public void A_leaf_issued_by_the_trusted_intermediate_chains_at_a_time_inside_every_validity()
    {
        var pki = NewPki();
        var leaf = Leaf(pki, T0, T0.AddMinutes(10));
        var issuer = CertificatePaths.TryBuild(leaf, pki.Authority, T0.AddMinutes(5), out var problem);
        Assert.Null(problem);
        Assert.Equal(pki.Intermediate.RawData, issuer!.RawData);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(11)]
    public void A_leaf_is_rejected_outside_its_validity(int minutes)
    {
        var pki = NewPki();
        var leaf = Leaf(pki, T0, T0.AddMinutes(10));
        Assert.Null(CertificatePaths.TryBuild(leaf, pki.Authority, T0.AddMinutes(minutes), out var problem));
        Assert.Contains("valid only", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void The_chain_is_rejected_when_the_intermediate_has_expired_at_that_time()
    {
        var pki = NewPki();
        var leaf = Leaf(pki, T0.AddYears(3), T0.AddYears(3).AddMinutes(10));
        Assert.Null(CertificatePaths.TryBuild(leaf, pki.Authority, T0.AddYears(3).AddMinutes(1), out var problem));
        Assert.Contains("test intermediate", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_leaf_signed_by_another_key_under_the_same_name_is_rejected()
    {
        var pki = NewPki();
        using var impostor = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var leaf = Leaf(pki, T0, T0.AddMinutes(10), signer: impostor);
        Assert.Null(CertificatePaths.TryBuild(leaf, pki.Authority, T0.AddMinutes(5), out var problem));
        Assert.Contains("signature", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_leaf_under_another_CA_is_rejected()
    {
        var pki = NewPki();
        var other = NewPki();
        var leaf = Leaf(other, T0, T0.AddMinutes(10));
        Assert.Null(CertificatePaths.TryBuild(leaf, pki.Authority, T0.AddMinutes(5), out _));
    }

    [Fact]
    public void An_unprocessed_critical_extension_is_rejected_and_a_critical_SAN_is_not()
    {
        var pki = NewPki();
        var withSan = Leaf(pki, T0, T0.AddMinutes(10), r =>
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddEmailAddress("a@example.com");
            r.CertificateExtensions.Add(san.Build(critical: true));
        });
        Assert.NotNull(CertificatePaths.TryBuild(withSan, pki.Authority, T0.AddMinutes(5), out _));
        var withUnknown = Leaf(pki, T0, T0.AddMinutes(10), r => r.CertificateExtensions.Add(new X509Extension("1.2.3.4.5", [0x05, 0x00], critical: true)));
        Assert.Null(CertificatePaths.TryBuild(withUnknown, pki.Authority, T0.AddMinutes(5), out var problem));
        Assert.Contains("1.2.3.4.5", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_authority_whose_intermediate_is_not_a_CA_validates_nothing()
    {
        var pki = NewPki(intermediateIsCa: false);
        var leaf = Leaf(pki, T0, T0.AddMinutes(10));
        Assert.Null(CertificatePaths.TryBuild(leaf, pki.Authority, T0.AddMinutes(5), out var problem));
        Assert.Contains("is not a", problem, StringComparison.Ordinal);
    }
}
