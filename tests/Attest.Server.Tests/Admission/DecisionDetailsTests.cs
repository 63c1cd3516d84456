using System.Text.Json;
using Attest.Core;
using Attest.Ledger;
using Attest.Policy.Evaluation;
using Attest.Policy.Model;
using Attest.Server.Admission;

namespace Attest.Server.Tests.Admission;

/// <summary>What a decision entry's details hold, and that they always fit one ledger entry: findings are recorded
/// whole, then with short sentences, then as codes only, whichever is the most that fits.</summary>
public sealed class DecisionDetailsTests
{
    private static readonly AdmissionRequest Request = new()
    {
        Uid = "u-1",
        Operation = "CREATE",
        Name = "web",
        Namespace = "prod",
        UserInfo = new UserInfo { Username = "alice", Uid = "42", Groups = ["dev", "system:authenticated"] },
    };

    [Fact]
    public void A_small_decision_is_recorded_whole_with_its_causes_user_and_trace()
    {
        var cause = new Finding("sigstore.signature", "the signature does not verify", new Dictionary<string, string> { ["authority"] = "release" });
        var reason = new Finding("signature.untrusted", "none verifies").CausedBy(cause);
        var details = Details(Image([reason]), imageAsWritten: "app:1", traceId: "0af7651916cd43dd8448eb211c80319c");

        Assert.Equal("CREATE", details.GetProperty("operation").GetString());
        Assert.Equal("alice", details.GetProperty("user").GetProperty("username").GetString());
        Assert.Equal(["dev", "system:authenticated"], details.GetProperty("user").GetProperty("groups").EnumerateArray().Select(g => g.GetString()));
        Assert.Equal(JsonValueKind.Null, details.GetProperty("subResource").ValueKind);
        Assert.Equal("app:1", details.GetProperty("imageAsWritten").GetString());
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", details.GetProperty("traceId").GetString());
        var recorded = Assert.Single(Assert.Single(details.GetProperty("policies").EnumerateArray()).GetProperty("reasons").EnumerateArray());
        Assert.Equal("none verifies", recorded.GetProperty("message").GetString());
        var recordedCause = Assert.Single(recorded.GetProperty("causes").EnumerateArray());
        Assert.Equal("release", recordedCause.GetProperty("evidence").GetProperty("authority").GetString());
        Assert.Equal(JsonValueKind.Null, Assert.Single(details.GetProperty("policies").EnumerateArray()).GetProperty("waivedBy").ValueKind);
    }

    [Fact]
    public void Findings_too_large_for_an_entry_are_shortened_and_then_reduced_to_codes_and_the_entry_is_still_taken()
    {
        var message = new string('m', 2048);
        Finding Nested(int depth) => depth == 0 ? new Finding("leaf", message) : new Finding($"level.{depth}", message).CausedBy(Nested(depth - 1), Nested(depth - 1));
        var findings = Enumerable.Range(0, 64).Select(_ => Nested(4)).ToList();

        var details = Details(Image(findings));

        var first = details.GetProperty("policies")[0].GetProperty("reasons")[0];
        Assert.Equal("level.4", first.GetProperty("code").GetString());
        Assert.False(first.TryGetProperty("message", out _)); // codes only: even short sentences would not fit
        Assert.Equal("level.3", first.GetProperty("causes")[0].GetProperty("code").GetString());
        var bytes = LedgerEntryCodec.Serialize(0, DateTimeOffset.UnixEpoch, Entry(details));
        Assert.True(bytes.Length <= LedgerLimits.MaxEntryBytes, $"{bytes.Length} bytes");
    }

    [Fact]
    public void A_decision_over_the_whole_budget_keeps_short_sentences_when_they_fit()
    {
        var findings = Enumerable.Range(0, 40).Select(i => new Finding($"code.{i}", new string('s', 2048))).ToList();

        var details = Details(Image(findings));

        var message = details.GetProperty("policies")[0].GetProperty("reasons")[0].GetProperty("message").GetString()!;
        Assert.Equal(256, message.Length);
        Assert.EndsWith("…", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Evidence_keys_that_meet_once_cut_are_recorded_once()
    {
        var prefix = new string('k', 70);
        var evidence = new Dictionary<string, string> { [prefix + "a"] = "first", [prefix + "b"] = "second", ["other"] = "x" };
        var details = Details(Image([new Finding("c", "m", evidence)]));

        var recorded = details.GetProperty("policies")[0].GetProperty("reasons")[0].GetProperty("evidence");
        Assert.Equal(2, recorded.EnumerateObject().Count());
        Assert.Equal("first", recorded.EnumerateObject().First().Value.GetString());
        LedgerEntryCodec.Serialize(0, DateTimeOffset.UnixEpoch, Entry(details)); // one member each: canonical JSON takes it
    }

    private static ImageDecision Image(IReadOnlyList<Finding> reasons) =>
        new("registry.test/app@sha256:" + new string('a', 64), "app", null, Verdict.Deny,
            [new PolicyOutcome("release", PolicyMode.Enforce, Passed: false, reasons, [])], []);

    private static JsonElement Details(ImageDecision image, string? imageAsWritten = null, string? traceId = null) =>
        DecisionRecorder.Details(Request, "Pod", new Decision(Verdict.Deny, [image], "rev-1"), image, imageAsWritten, traceId);

    private static LedgerEntry Entry(JsonElement details) => new() { Kind = LedgerEntryKinds.AdmissionDecision, Verdict = "deny", Details = details };
}
