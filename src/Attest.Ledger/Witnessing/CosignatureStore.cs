using Attest.Core.Transparency;
using Attest.Ledger.Database;
using Dapper;

namespace Attest.Ledger.Witnessing;

/// <summary>
/// Witness cosignatures of the ledger's checkpoints, in the ledger's database beside the checkpoints they sign (the
/// checkpoint rows are append-only and hold the log's own note; cosignatures arrive later, one witness at a time).
/// A checkpoint as published is its stored note with these lines appended. Lines are stored as the witness sent
/// them and verified again by whoever reads them.
/// </summary>
public sealed class CosignatureStore
{
    private const string SqliteSchema = """
        CREATE TABLE IF NOT EXISTS checkpoint_cosignatures (
            size      INTEGER NOT NULL,
            witness   TEXT NOT NULL,
            line      TEXT NOT NULL,
            note      TEXT NOT NULL,
            PRIMARY KEY (size, witness)
        );
        """;

    private const string PostgresSchema = """
        CREATE TABLE IF NOT EXISTS checkpoint_cosignatures (
            size      bigint NOT NULL,
            witness   text NOT NULL,
            line      text NOT NULL,
            note      text NOT NULL,
            PRIMARY KEY (size, witness)
        );
        """;

    private readonly SqlDatabase _database;

    private CosignatureStore(SqlDatabase database) => _database = database;

    public static async Task<CosignatureStore> OpenAsync(SqlDatabase database, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(database);
        await database.EnsureSchemaAsync(SqliteSchema, PostgresSchema, cancellationToken).ConfigureAwait(false);
        return new CosignatureStore(database);
    }

    /// <summary>Keeps a witness's cosignature line (<c>— name base64…\n</c>) of <paramref name="checkpoint"/> (whose log
    /// note is kept with it, so a witnessed checkpoint can be served without the checkpoint history); a later one by the
    /// same witness for the same size replaces nothing (the first stands).</summary>
    public async Task AddAsync(StoredCheckpoint checkpoint, NoteVerifierKey witness, string line, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(witness);
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO checkpoint_cosignatures (size, witness, line, note) VALUES (@size, @witness, @line, @note) ON CONFLICT (size, witness) DO NOTHING",
            new { size = checkpoint.Size, witness = WitnessId(witness), line, note = checkpoint.Note }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>The newest checkpoint whose stored cosignatures meet <paramref name="quorum"/> (each verified), as
    /// published (log note plus cosignature lines); null when none of the newest <paramref name="maxCandidates"/> does.</summary>
    public async Task<StoredCheckpoint?> NewestWitnessedAsync(CosignatureQuorum quorum, LedgerAuditOptions trust, int maxCandidates = 16,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(quorum);
        ArgumentNullException.ThrowIfNull(trust);
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var sizes = await connection.QueryAsync<long>(new CommandDefinition(
            "SELECT size FROM checkpoint_cosignatures GROUP BY size HAVING count(*) >= @minimum ORDER BY size DESC LIMIT @limit",
            new { minimum = Math.Max(1, quorum.Required), limit = maxCandidates }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        foreach (var size in sizes)
        {
            var rows = (await connection.QueryAsync<(string Line, string Note)>(new CommandDefinition(
                "SELECT line AS Line, note AS Note FROM checkpoint_cosignatures WHERE size = @size ORDER BY witness", new { size },
                cancellationToken: cancellationToken)).ConfigureAwait(false)).ToList();
            var note = Merge(rows[0].Note, rows.Select(r => r.Line));
            var bytes = System.Text.Encoding.UTF8.GetBytes(note);
            if (!LedgerTrust.TryOpenCheckpoint(bytes, trust, out var checkpoint, out _) || checkpoint.Size != size) continue;
            if (SignedNote.TryParse(bytes, out var parsed, out _) && quorum.IsMetBy(parsed)) return new StoredCheckpoint(size, checkpoint.RootHash, note);
        }
        return null;
    }

    /// <summary>The cosignature lines stored for the checkpoint of <paramref name="size"/>, by witness.</summary>
    public async Task<IReadOnlyList<string>> GetAsync(long size, CancellationToken cancellationToken = default)
    {
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var lines = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT line FROM checkpoint_cosignatures WHERE size = @size ORDER BY witness", new { size }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return [.. lines];
    }

    /// <summary>Sizes with at least <paramref name="minimum"/> stored lines, newest first (candidates: the lines still
    /// have to verify), at most <paramref name="limit"/>.</summary>
    public async Task<IReadOnlyList<long>> SizesWithAtLeastAsync(int minimum, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var sizes = await connection.QueryAsync<long>(new CommandDefinition(
            "SELECT size FROM checkpoint_cosignatures GROUP BY size HAVING count(*) >= @minimum ORDER BY size DESC LIMIT @limit",
            new { minimum, limit }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return [.. sizes];
    }

    /// <summary>The published form of the checkpoint of <paramref name="size"/> if any witness cosigned it, else null.</summary>
    public async Task<string?> NoteAtAsync(long size, CancellationToken cancellationToken = default)
    {
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = (await connection.QueryAsync<(string Line, string Note)>(new CommandDefinition(
            "SELECT line AS Line, note AS Note FROM checkpoint_cosignatures WHERE size = @size ORDER BY witness", new { size },
            cancellationToken: cancellationToken)).ConfigureAwait(false)).ToList();
        return rows.Count == 0 ? null : Merge(rows[0].Note, rows.Select(r => r.Line));
    }

    /// <summary>The published form of a checkpoint: the log's note with the stored cosignature lines after its own.</summary>
    public async Task<string> CosignedNoteAsync(StoredCheckpoint checkpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var lines = await GetAsync(checkpoint.Size, cancellationToken).ConfigureAwait(false);
        return Merge(checkpoint.Note, lines);
    }

    /// <summary>Appends cosignature lines to a note, skipping any it already carries and any that would push it past
    /// the note limits (a note too large for verifiers is worse than one with fewer cosignatures).</summary>
    public static string Merge(string note, IEnumerable<string> lines)
    {
        ArgumentNullException.ThrowIfNull(note);
        var merged = note;
        var count = note.Split('\n').Count(l => l.StartsWith("— ", StringComparison.Ordinal));
        foreach (var line in lines)
        {
            if (!line.StartsWith("— ", StringComparison.Ordinal) || !line.EndsWith('\n') || line.IndexOf('\n') != line.Length - 1) continue;
            if (merged.Contains("\n" + line, StringComparison.Ordinal)) continue;
            if (count + 1 > TransparencyLimits.MaxNoteSignatures || System.Text.Encoding.UTF8.GetByteCount(merged) + line.Length * 3 > TransparencyLimits.MaxNoteBytes) break;
            merged += line;
            count++;
        }
        return merged;
    }

    private static string WitnessId(NoteVerifierKey witness) => $"{witness.Name}+{witness.KeyHash:x8}";
}
