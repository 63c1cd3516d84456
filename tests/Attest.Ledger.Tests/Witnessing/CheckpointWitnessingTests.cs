using System.Net;
using System.Text;
using Attest.Core.Crypto;
using Attest.Core.Transparency;
using Attest.Ledger.Database;
using Attest.Ledger.Witnessing;
using Attest.Testing;

namespace Attest.Ledger.Tests.Witnessing;

/// <summary>The log side: a ledger asks its witnesses, stores what they cosign, and an audit that requires N
/// cosignatures passes or fails on what is stored. The witnesses are the real <see cref="Witness"/> over real state
/// files, reached through an in-memory HTTP handler (the HTTP server is tested with two Attest processes).</summary>
public sealed class CheckpointWitnessingTests : IAsyncLifetime
{
    private readonly TempDirectory _directory = new("attest-witnessing");
    private readonly LedgerFixture _log = new();
    private readonly List<SqlDatabase> _databases = [];
    private AuditLedger _ledger = null!;
    private SqlDatabase _ledgerDatabase = null!;
    private CosignatureStore _cosignatures = null!;

    public async Task InitializeAsync()
    {
        _ledger = await _log.OpenAsync();
        _ledgerDatabase = SqlDatabase.Sqlite(_log.Path);
        _cosignatures = await CosignatureStore.OpenAsync(_ledgerDatabase);
    }

    public async Task DisposeAsync()
    {
        await _ledger.DisposeAsync();
        foreach (var database in _databases) await database.DisposeAsync();
        await _ledgerDatabase.DisposeAsync();
        await _log.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _directory.Dispose();
    }

    private async Task<(WitnessEndpoint Endpoint, Witness Witness)> WitnessAsync(string name)
    {
        var database = SqlDatabase.Sqlite(_directory.Combine(name + ".db"));
        _databases.Add(database);
        var cosigner = new Ed25519CosignatureSigner(name, Ed25519.GenerateSeed(), TimeProvider.System);
        var witness = new Witness(cosigner, [new WitnessedLog(LedgerFixture.Origin, [_log.Signer.VerifierKey])], await WitnessStateStore.OpenAsync(database));
        return (new WitnessEndpoint(new Uri($"http://{name}/witness"), cosigner.VerifierKey), witness);
    }

    private CheckpointWitnessing Witnessing(params (WitnessEndpoint Endpoint, Witness Witness)[] witnesses) =>
        new(_ledger.Store, _cosignatures, [.. witnesses.Select(w => w.Endpoint)],
            new HttpClient(new WitnessHandler(witnesses.ToDictionary(w => w.Endpoint.AddCheckpointUri.Host, w => w.Witness))));

    private async Task<StoredCheckpoint> GrowAsync(int entries, int offset)
    {
        await LedgerFixture.AppendSequentiallyAsync(_ledger, entries, offset);
        return (await _ledger.CheckpointAsync())!;
    }

    [Fact]
    public async Task Ledger_collects_cosignatures_and_an_audit_requiring_them_passes()
    {
        var w1 = await WitnessAsync("w1.test");
        var w2 = await WitnessAsync("w2.test");
        var witnessing = Witnessing(w1, w2);
        var first = await GrowAsync(10, 0);
        Assert.All(await witnessing.WitnessAsync(first), o => Assert.Equal(WitnessOutcomeKind.Cosigned, o.Kind));
        var second = await GrowAsync(25, 10);
        Assert.All(await witnessing.WitnessAsync(second), o => Assert.Equal(WitnessOutcomeKind.Cosigned, o.Kind));
        Assert.All(await witnessing.WitnessAsync(second), o => Assert.Equal(WitnessOutcomeKind.AlreadyCosigned, o.Kind));

        var note = await _cosignatures.CosignedNoteAsync(second);
        Assert.True(new CosignatureQuorum([w1.Endpoint.Key, w2.Endpoint.Key], 2).IsMetBy(SignedNote.Parse(note)));
        var quorum = new CosignatureQuorum([w1.Endpoint.Key, w2.Endpoint.Key], 2);
        var published = await _cosignatures.NewestWitnessedAsync(quorum, _log.AuditOptions);
        Assert.Equal(second.Size, published!.Size);
        Assert.Equal(note, published.Note);
        var report = await WitnessAudit.CheckStoreAsync(_ledger.Store, _cosignatures, _log.AuditOptions, quorum);
        Assert.True(report.IsValid, string.Join("; ", report.Findings));
        Assert.Equal(35, report.WitnessedSize);
    }

    [Fact]
    public async Task A_new_process_learns_each_witness_size_from_its_409()
    {
        var w1 = await WitnessAsync("w1.test");
        var first = await GrowAsync(7, 0);
        await Witnessing(w1).WitnessAsync(first);
        // Another replica (no memory of the witness) asks about a later checkpoint: 409 tells it size 7, then a proof from 7.
        var later = await GrowAsync(9, 7);
        var outcome = Assert.Single(await Witnessing(w1).WitnessAsync(later));
        Assert.Equal(WitnessOutcomeKind.Cosigned, outcome.Kind);
    }

    [Fact]
    public async Task Audit_fails_when_the_required_witnesses_did_not_cosign()
    {
        var w1 = await WitnessAsync("w1.test");
        var w2 = await WitnessAsync("w2.test");
        await Witnessing(w1).WitnessAsync(await GrowAsync(5, 0));
        var report = await WitnessAudit.CheckStoreAsync(_ledger.Store, _cosignatures, _log.AuditOptions, new CosignatureQuorum([w1.Endpoint.Key, w2.Endpoint.Key], 2));
        Assert.False(report.IsValid);
        var finding = Assert.Single(report.Findings);
        Assert.Equal(LedgerCodes.CheckpointUnwitnessed, finding.Code);
        Assert.Equal("w1.test", finding.Evidence!["cosignedBy"]);
        Assert.Equal(0, report.WitnessedSize);
    }

    [Fact]
    public async Task Forged_stored_cosignature_is_not_counted_and_is_named()
    {
        var w1 = await WitnessAsync("w1.test");
        var checkpoint = await GrowAsync(5, 0);
        // Someone with database access writes a line under w1's name and key id, signed by another key.
        var impostor = new Ed25519CosignatureSigner("w1.test", Ed25519.GenerateSeed(), TimeProvider.System);
        var forged = SignedNote.Sign(SignedNote.Parse(checkpoint.Note).Text, impostor).Signatures.Single();
        var line = WitnessClient.Line(forged with { KeyHash = w1.Endpoint.Key.KeyHash });
        await _cosignatures.AddAsync(checkpoint, w1.Endpoint.Key, line);
        var report = await WitnessAudit.CheckStoreAsync(_ledger.Store, _cosignatures, _log.AuditOptions, new CosignatureQuorum([w1.Endpoint.Key], 1));
        Assert.Contains(report.Findings, f => f.Code == LedgerCodes.CheckpointUnwitnessed);
        Assert.Contains(report.Findings, f => f.Code == LedgerCodes.CosignatureInvalid);
    }

    [Fact]
    public async Task Witness_refusal_of_a_fork_leaves_the_forked_checkpoint_without_cosignatures()
    {
        var w1 = await WitnessAsync("w1.test");
        var honest = await GrowAsync(6, 0);
        await Witnessing(w1).WitnessAsync(honest);

        // The same key, a second database: a fork of the same size that the witness never saw.
        await using var fork = new LedgerFixture();
        await using var forkLedger = await AuditLedger.OpenAsync(await SqliteLedgerStore.OpenAsync(fork.Path),
            new AuditLedgerOptions { Origin = LedgerFixture.Origin, CheckpointEveryEntries = 1_000_000, CheckpointInterval = TimeSpan.FromHours(1) },
            [_log.Signer], TimeProvider.System);
        await LedgerFixture.AppendSequentiallyAsync(forkLedger, 6, 500);
        var forked = (await forkLedger.CheckpointAsync())!;
        await using var forkDatabase = SqlDatabase.Sqlite(fork.Path);
        var forkCosignatures = await CosignatureStore.OpenAsync(forkDatabase);
        var forkWitnessing = new CheckpointWitnessing(forkLedger.Store, forkCosignatures, [w1.Endpoint],
            new HttpClient(new WitnessHandler(new Dictionary<string, Witness> { ["w1.test"] = w1.Witness })));
        var outcome = Assert.Single(await forkWitnessing.WitnessAsync(forked));
        Assert.Equal(WitnessOutcomeKind.Refused, outcome.Kind);
        Assert.Empty(await forkCosignatures.GetAsync(forked.Size));
        var report = await WitnessAudit.CheckStoreAsync(forkLedger.Store, forkCosignatures, new LedgerAuditOptions(LedgerFixture.Origin, [_log.Signer.VerifierKey]),
            new CosignatureQuorum([w1.Endpoint.Key], 1));
        Assert.False(report.IsValid);
    }

    [Fact]
    public async Task Unreachable_witness_costs_only_its_own_cosignature()
    {
        var w1 = await WitnessAsync("w1.test");
        var down = new WitnessEndpoint(new Uri("http://down.test/witness"), new Ed25519CosignatureSigner("down.test", Ed25519.GenerateSeed(), TimeProvider.System).VerifierKey);
        var witnessing = new CheckpointWitnessing(_ledger.Store, _cosignatures, [w1.Endpoint, down],
            new HttpClient(new WitnessHandler(new Dictionary<string, Witness> { ["w1.test"] = w1.Witness })));
        var outcomes = await witnessing.WitnessAsync(await GrowAsync(3, 0));
        Assert.Equal(WitnessOutcomeKind.Cosigned, outcomes.Single(o => o.Witness == "w1.test").Kind);
        Assert.Equal(WitnessOutcomeKind.Unreachable, outcomes.Single(o => o.Witness == "down.test").Kind);
    }

    /// <summary>Routes add-checkpoint requests by host to real witnesses; any other host is unreachable.</summary>
    private sealed class WitnessHandler(IReadOnlyDictionary<string, Witness> witnesses) : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (!witnesses.TryGetValue(request.RequestUri!.Host, out var witness)) throw new HttpRequestException($"{request.RequestUri.Host}: connection refused");
            Assert.EndsWith("/witness/add-checkpoint", request.RequestUri.AbsolutePath, StringComparison.Ordinal);
            var answer = await witness.AddCheckpointAsync(await request.Content!.ReadAsByteArrayAsync(cancellationToken), cancellationToken);
            return new HttpResponseMessage((HttpStatusCode)answer.StatusCode)
            {
                Content = new StringContent(answer.Body, Encoding.UTF8, answer.ContentType.Split(';')[0]),
            };
        }
    }
}
