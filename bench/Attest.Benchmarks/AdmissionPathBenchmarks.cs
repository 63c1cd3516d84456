using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Attest.Ledger;
using Attest.Server.Admission;
using BenchmarkDotNet.Attributes;

namespace Attest.Benchmarks;

/// <summary>
/// Two steps of every admission, apart from the server: reading the AdmissionReview (a Pod from the Connaisseur
/// vectors) with duplicate member names refused, as the webhook reads it, against the serializer's default; and
/// serializing a decision's ledger entry (RFC 8785 details). Run: <c>dotnet run -c Release --project
/// bench/Attest.Benchmarks -- --filter '*AdmissionPath*'</c>.
/// </summary>
[MemoryDiagnoser]
public class AdmissionPathBenchmarks
{
    private byte[] _review = [];
    private JsonTypeInfo<AdmissionReviewRequest> _strict = null!;
    private LedgerEntry _entry = null!;

    [GlobalSetup]
    public void Setup()
    {
        _review = File.ReadAllBytes(Attest.Testing.RepositoryPaths.Vectors("admission", "connaisseur", "02_pod.json"));
        _strict = Attest.Core.Json.StrictJson.Of(AdmissionJsonContext.Default.AdmissionReviewRequest);
        using var details = JsonDocument.Parse("""
            {"uid":"705ab4f5-6393-11e8-b7cc-42010a800002","operation":"CREATE","kind":"Pod","subResource":null,"name":"web",
             "user":{"username":"system:serviceaccount:kube-system:replicaset-controller","uid":"u","groups":["system:serviceaccounts","system:authenticated"]},
             "container":"app","policyRevision":"sha256:4f1c0f5b2c3a","reasons":[],
             "policies":[{"policy":"release","mode":"enforce","passed":false,"waivedBy":null,
               "reasons":[{"code":"signature.untrusted","message":"2 signatures were found and none verifies with the policy's authorities",
                 "causes":[{"code":"sigstore.certificate.identity","message":"the certificate's identity is not one the authority names","evidence":{"authority":"ci"}}]}]}],
             "traceId":"0af7651916cd43dd8448eb211c80319c"}
            """);
        _entry = new LedgerEntry
        {
            Kind = LedgerEntryKinds.AdmissionDecision,
            Image = "registry.example/team/app@sha256:" + new string('a', 64),
            Digest = "sha256:" + new string('a', 64),
            Namespace = "prod",
            Verdict = "deny",
            Details = details.RootElement.Clone(),
        };
    }

    [Benchmark(Baseline = true)]
    public AdmissionReviewRequest? ReadReview() => JsonSerializer.Deserialize(_review, AdmissionJsonContext.Default.AdmissionReviewRequest);

    [Benchmark]
    public AdmissionReviewRequest? ReadReviewRefusingDuplicates() => JsonSerializer.Deserialize(_review, _strict);

    [Benchmark]
    public byte[] SerializeDecisionEntry() => LedgerEntryCodec.Serialize(1_234_567, DateTimeOffset.UnixEpoch, _entry);
}
