using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Attest.Core;
using Attest.Server.Tests.Admission;
using Attest.Server.Tests.Checks;
using Attest.Server.Tests.Hosting;
using Attest.Testing;

namespace Attest.Server.Tests.Telemetry;

/// <summary>
/// Traces as a collector receives them: the real server exports over OTLP/HTTP to a collector the test hosts
/// (<see cref="OtlpCollector"/>). One admission of a signed image is one span tree under the caller's W3C traceparent
/// (read, then per image match, collect, verify per authority, judge, then the ledger append), its ledger entry and its
/// log line carry the trace id; a signing request and a check have their own trees; a caller's "not sampled" is obeyed.
/// </summary>
[Collection(ServerRegistryCollection.Name)]
public sealed class TraceTests(RegistryFixture registry) : IAsyncLifetime
{
    private readonly ServerWorkspace _workspace = new(withPolicies: false);
    private readonly TestSigstore _sigstore = new();
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly OtlpCollector _collector = new();
    private ServerProcess _server = null!;
    private string _image = "";

    public async Task InitializeAsync()
    {
        using var images = new TestImageRegistry(registry.Host);
        await ObservedPolicies.WriteAsync(_workspace.PolicyDirectory, _sigstore, _key, registry.Host, "traced", "traced");
        var digest = await ObservedPolicies.PushSignedAsync(images, "traced/app", _sigstore, _key);
        _image = $"{registry.Host}/traced/app@{digest}";
        _server = await ServerProcess.Start(_workspace.Path,
                [$"--Attest:Registries:Insecure:0={registry.Host}", $"--Attest:Telemetry:Otlp:Endpoint={_collector.Endpoint}"],
                new Dictionary<string, string> { ["OTEL_BSP_SCHEDULE_DELAY"] = "200" })
            .WaitUntilListeningAsync();
    }

    private static string NewTraceId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    private static string NewSpanId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    private async Task<JsonDocument> ValidateAsync(string uid, string traceparent, string? image = null)
    {
        var review = AdmissionRequests.Load("02_pod.json").WithImage("/spec/containers/0/image", image ?? _image);
        review["request"]!["uid"] = uid;
        using var request = new HttpRequestMessage(HttpMethod.Post, "admission/validate")
        {
            Content = new StringContent(review.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("traceparent", traceparent);
        using var response = await _server.Client.SendAsync(request);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task One_admission_is_one_span_tree_under_the_callers_traceparent_and_its_entry_and_log_line_name_the_trace()
    {
        // Another image (no policy covers it), so that the traced admission's verdict is not cached yet.
        var unsampled = NewTraceId();
        using (var ignored = await ValidateAsync("unsampled-uid", $"00-{unsampled}-{NewSpanId()}-00", _image.Replace("/traced/", "/elsewhere/", StringComparison.Ordinal)))
            Assert.False(ignored.RootElement.GetProperty("response").GetProperty("allowed").GetBoolean());

        var traceId = NewTraceId();
        var callerSpan = NewSpanId();
        const string uid = "traced-uid-1";
        using (var decided = await ValidateAsync(uid, $"00-{traceId}-{callerSpan}-01"))
            Assert.True(decided.RootElement.GetProperty("response").GetProperty("allowed").GetBoolean());

        // The request's own span ends last (after the answer is written), possibly in a later export.
        var spans = (await _collector.WaitForAsync(all => all.Any(s => s.TraceId == traceId && s.Name == "admission.validate") &&
                                                          all.Any(s => s.TraceId == traceId && s.Scope == "Microsoft.AspNetCore")))
            .Where(s => s.TraceId == traceId).ToList();
        ReceivedSpan One(string name) => Assert.Single(spans, s => s.Name == name);
        void IsChild(ReceivedSpan child, ReceivedSpan parent) =>
            Assert.True(child.ParentSpanId == parent.SpanId, $"{child.Name} should be a child of {parent.Name}; spans: {Describe(spans)}");

        var server = Assert.Single(spans, s => s.Scope == "Microsoft.AspNetCore");
        Assert.Equal(callerSpan, server.ParentSpanId); // the caller's traceparent is the root's parent
        var validate = One("admission.validate");
        IsChild(validate, server);
        Assert.Equal(uid, validate.Attributes["attest.admission.uid"]);
        Assert.Equal("allow", validate.Attributes["attest.verdict"]);
        IsChild(One("admission.read"), validate);
        var image = One("policy.evaluate_image");
        IsChild(image, validate);
        IsChild(One("policy.match"), image);
        var outcome = One("policy.outcome");
        IsChild(outcome, image);
        Assert.Equal("traced", outcome.Attributes["attest.policy"]);
        var collect = One("evidence.collect");
        IsChild(collect, outcome);
        var registryCalls = spans.Where(s => s.Scope == "System.Net.Http").ToList();
        Assert.NotEmpty(registryCalls);
        Assert.All(registryCalls, call => IsChild(call, collect));
        var verify = One("policy.verify");
        IsChild(verify, outcome);
        var authority = Assert.Single(spans, s => s.Name == "evidence.verify" && s.Attributes["attest.authority"] == ObservedPolicies.Authority);
        IsChild(authority, verify);
        IsChild(One("policy.judge"), outcome);
        var append = One("ledger.append");
        IsChild(append, validate);
        var index = long.Parse(append.Attributes["attest.ledger.index"], System.Globalization.CultureInfo.InvariantCulture);

        // The ledger entry names the trace; the log line names the trace, the span, the uid and the entry.
        var query = await CliRunner.RunAsync(_workspace.Path, "ledger", "query", "--db", Path.Combine(_workspace.DataDirectory, "ledger.db"), "--kind", "admission.decision");
        var entries = query.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var entry = Assert.Single(entries, e => e.GetProperty("details").GetProperty("uid").GetString() == uid);
        Assert.Equal(index, entry.GetProperty("index").GetInt64());
        Assert.Equal(traceId, entry.GetProperty("details").GetProperty("traceId").GetString());
        Assert.Equal(unsampled, Assert.Single(entries, e => e.GetProperty("details").GetProperty("uid").GetString() == "unsampled-uid")
            .GetProperty("details").GetProperty("traceId").GetString());

        var decidedLine = _server.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Single(l => l.GetProperty("EventId").GetInt32() == 2002 && l.GetProperty("State").GetProperty("Uid").GetString() == uid);
        Assert.Equal(index.ToString(System.Globalization.CultureInfo.InvariantCulture), decidedLine.GetProperty("State").GetProperty("LedgerIndex").GetString());
        var scopes = decidedLine.GetProperty("Scopes").EnumerateArray().ToList();
        Assert.Contains(scopes, s => s.TryGetProperty("TraceId", out var t) && t.GetString() == traceId
                                     && s.TryGetProperty("SpanId", out var span) && span.GetString() == validate.SpanId);
        Assert.Contains(scopes, s => s.TryGetProperty("AdmissionUid", out var u) && u.GetString() == uid);

        // The caller said "not sampled": nothing of that trace was exported.
        Assert.DoesNotContain(_collector.Spans, s => s.TraceId == unsampled);
    }

    [Fact]
    public async Task A_signing_request_and_a_check_each_have_their_span_tree()
    {
        var token = await _server.TokenForScopesAsync(_workspace.DataDirectory, "sign");
        var digest = "sha256:" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var signTrace = NewTraceId();
        using (var request = new HttpRequestMessage(HttpMethod.Post, "v1/signatures") { Content = System.Net.Http.Json.JsonContent.Create(new { digest }) })
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            request.Headers.TryAddWithoutValidation("traceparent", $"00-{signTrace}-{NewSpanId()}-01");
            using var response = await _server.Client.SendAsync(request);
            Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        }
        var checkTrace = NewTraceId();
        using (var request = new HttpRequestMessage(HttpMethod.Post, "v1/sbom/evaluate"))
        {
            request.Content = new MultipartFormDataContent()
                .AddFile("sbom", File.ReadAllBytes(RepositoryPaths.Vectors("sbom", "ntia", "missing_supplier_name.spdx.json")), "sbom.json")
                .Add("subjectName", "registry.example.com/app")
                .Add("subjectDigest", digest)
                .Add("policy", "ntia");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            request.Headers.TryAddWithoutValidation("traceparent", $"00-{checkTrace}-{NewSpanId()}-01");
            using var response = await _server.Client.SendAsync(request);
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        }

        var spans = await _collector.WaitForAsync(all =>
            all.Any(s => s.TraceId == signTrace && s.Name == "signing.signature") && all.Any(s => s.TraceId == checkTrace && s.Name == "check.record") &&
            all.Count(s => (s.TraceId == signTrace || s.TraceId == checkTrace) && s.Scope == "Microsoft.AspNetCore") == 2);
        var signing = Assert.Single(spans, s => s.TraceId == signTrace && s.Name == "signing.signature");
        var signServer = Assert.Single(spans, s => s.TraceId == signTrace && s.Scope == "Microsoft.AspNetCore");
        Assert.Equal(signServer.SpanId, signing.ParentSpanId);
        Assert.Contains(spans, s => s.TraceId == signTrace && s.Name == "ledger.append" && s.ParentSpanId == signing.SpanId);

        var check = Assert.Single(spans, s => s.TraceId == checkTrace && s.Name == "check.record");
        Assert.Equal(Assert.Single(spans, s => s.TraceId == checkTrace && s.Scope == "Microsoft.AspNetCore").SpanId, check.ParentSpanId);
        Assert.Contains(spans, s => s.TraceId == checkTrace && s.Name == "ledger.append" && s.ParentSpanId == check.SpanId);
    }

    private static string Describe(IEnumerable<ReceivedSpan> spans) =>
        string.Join("; ", spans.Select(s => $"{s.Name} [{s.Scope}] {s.SpanId} <- {s.ParentSpanId}"));

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _collector.DisposeAsync();
        _key.Dispose();
        _sigstore.Dispose();
        _workspace.Dispose();
    }
}
