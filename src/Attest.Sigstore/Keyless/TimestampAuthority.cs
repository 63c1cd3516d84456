using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;
using Org.BouncyCastle.Asn1.Nist;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Cms;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Tsp;
using Org.BouncyCastle.Utilities.Collections;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;
using BigInteger = Org.BouncyCastle.Math.BigInteger;

namespace Attest.Sigstore.Keyless;

/// <summary>What the timestamp authority answered: the DER TimeStampResp, and whether it grants a token (else why not).</summary>
public sealed record TimestampResult(byte[] Response, bool Granted, string? FailureReason);

/// <summary>
/// An RFC 3161 timestamp authority on BouncyCastle's TSP generator: answers a DER TimeStampReq (or the fields of
/// sigstore's JSON request) with a DER TimeStampResp, granted or rejected with a PKIFailureInfo. The token is a CMS
/// SignedData signed by the TSA certificate's ECDSA key through .NET (OpenSSL), with an ESSCertIDv2 for the signer,
/// genTime in whole seconds (DER GeneralizedTime without a fraction, which every Sigstore client parses), and the
/// chain embedded when the request asks for it. Thread-safe.
/// </summary>
public sealed class TimestampAuthority
{
    /// <summary>Sigstore's timestamp-authority default policy (1.3.6.1.4.1.57264.2).</summary>
    public const string DefaultPolicyOid = "1.3.6.1.4.1.57264.2";

    /// <summary>A DER TimeStampReq larger than this is refused before it is parsed.</summary>
    public const int MaxRequestBytes = 4096;

    private static readonly string[] AcceptedDigests = [TspAlgorithms.Sha256, TspAlgorithms.Sha384, TspAlgorithms.Sha512];

    private readonly TimeProvider _time;
    private readonly BcCertificate _signer;
    private readonly IStore<BcCertificate> _chainStore;
    private readonly string _policy;
    private readonly DotNetEcdsaSignatureFactory _signatureFactory;

    /// <param name="chain">The timestamping certificate first (critical timeStamping EKU), then up to the root.</param>
    /// <param name="key">The timestamping certificate's key (not owned).</param>
    public TimestampAuthority(IReadOnlyList<X509Certificate2> chain, ECDsa key, TimeProvider time, string policyOid = DefaultPolicyOid)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(time);
        if (chain.Count == 0) throw new ArgumentException("the chain needs the timestamping certificate", nameof(chain));
        if (!chain[0].PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
            throw new ArgumentException("the key is not the timestamping certificate's", nameof(key));
        if (chain[0].Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault() is not { Critical: true } eku
            || eku.EnhancedKeyUsages.Count != 1 || eku.EnhancedKeyUsages[0].Value != AuthorityCertificates.TimeStampingOid)
            throw new ArgumentException("the timestamping certificate needs exactly the critical timeStamping extended key usage (RFC 3161 §2.3)", nameof(chain));
        Chain = [.. chain];
        _time = time;
        _policy = policyOid;
        var parser = new Org.BouncyCastle.X509.X509CertificateParser();
        var bcChain = chain.Select(c => parser.ReadCertificate(c.RawData)).ToList();
        _signer = bcChain[0];
        _chainStore = CollectionUtilities.CreateStore(bcChain);
        _signatureFactory = new DotNetEcdsaSignatureFactory(key);
    }

    /// <summary>The timestamping certificate first, then up to the root.</summary>
    public IReadOnlyList<X509Certificate2> Chain { get; }

    /// <summary>Answers a DER TimeStampReq. Unparseable requests get a rejection with badDataFormat.</summary>
    public TimestampResult Respond(ReadOnlySpan<byte> requestDer)
    {
        if (requestDer.Length is 0 or > MaxRequestBytes)
            return Reject(PkiFailureInfo.BadDataFormat, $"the request must be 1 to {MaxRequestBytes} bytes of DER");
        TimeStampRequest request;
        try
        {
            request = new TimeStampRequest(requestDer.ToArray());
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidCastException or Asn1Exception or FormatException or InvalidOperationException)
        {
            return Reject(PkiFailureInfo.BadDataFormat, "the request is not a DER TimeStampReq");
        }
        return Respond(request);
    }

    /// <summary>Answers sigstore's JSON form: a message imprint of <paramref name="hashAlgorithm"/> (sha256, sha384,
    /// sha512), whether to embed the certificates, an optional nonce and policy.</summary>
    public TimestampResult Respond(string hashAlgorithm, byte[] hash, bool certificates, System.Numerics.BigInteger? nonce, string? policyOid)
    {
        ArgumentNullException.ThrowIfNull(hash);
        var oid = hashAlgorithm.ToLowerInvariant() switch
        {
            "sha256" => TspAlgorithms.Sha256,
            "sha384" => TspAlgorithms.Sha384,
            "sha512" => TspAlgorithms.Sha512,
            _ => null,
        };
        if (oid is null) return Reject(PkiFailureInfo.BadAlg, $"hash algorithm {hashAlgorithm} is not accepted (sha256, sha384, sha512)");
        var generator = new TimeStampRequestGenerator();
        generator.SetCertReq(certificates);
        if (policyOid is not null) generator.SetReqPolicy(new DerObjectIdentifier(policyOid));
        try
        {
            var request = nonce is { } n
                ? generator.Generate(oid, hash, new BigInteger(1, n.ToByteArray(isUnsigned: true, isBigEndian: true)))
                : generator.Generate(oid, hash);
            return Respond(request);
        }
        catch (Exception e) when (e is ArgumentException or TspException)
        {
            return Reject(PkiFailureInfo.BadDataFormat, e.Message);
        }
    }

    private TimestampResult Respond(TimeStampRequest request)
    {
        var token = new TimeStampTokenGenerator(
            new SignerInfoGeneratorBuilder().Build(_signatureFactory, _signer),
            Asn1DigestFactory.Get(NistObjectIdentifiers.IdSha256), new DerObjectIdentifier(_policy), isIssuerSerialIncluded: false)
        {
            Resolution = Resolution.R_SECONDS,
        };
        token.SetCertificates(_chainStore);
        var generator = new TimeStampResponseGenerator(token, AcceptedDigests, [_policy]);
        var serial = RandomNumberGenerator.GetBytes(16);
        try
        {
            // The generator validates algorithm, imprint length, policy and extensions, and answers a rejection itself.
            var response = generator.Generate(request, new BigInteger(1, serial), _time.GetUtcNow().UtcDateTime);
            return new TimestampResult(response.GetEncoded(), response.Status == (int)PkiStatus.Granted, response.Status == (int)PkiStatus.Granted ? null : response.GetStatusString() ?? "the request was rejected");
        }
        catch (TspException e)
        {
            return Reject(PkiFailureInfo.SystemFailure, e.Message);
        }
    }

    private static TimestampResult Reject(int failure, string reason) =>
        new(new TimeStampResponseGenerator(null!, AcceptedDigests).GenerateFailResponse(PkiStatus.Rejection, failure, reason).GetEncoded(), false, reason);
}
