using Microsoft.Data.Sqlite;

namespace Attest.Ledger;

/// <summary>The one writer connection and its statements, prepared once and reused for every commit.</summary>
internal sealed class SqliteWriterStatements : IAsyncDisposable
{
    private static readonly string[] InsertNames =
        ["@Index", "@Kind", "@RecordedAt", "@Image", "@Digest", "@Namespace", "@Verdict", "@Client", "@Identity", "@Body", "@LeafHash", "@SubtreeHashes"];

    private SqliteWriterStatements(SqliteConnection connection)
    {
        Connection = connection;
        Size = connection.CreateCommand();
        Size.CommandText = SqliteSchema.Size;
        Insert = connection.CreateCommand();
        Insert.CommandText = SqliteSchema.InsertEntry;
        InsertParameters = [.. InsertNames.Select(name => Insert.Parameters.Add(new SqliteParameter { ParameterName = name }))];
    }

    public SqliteConnection Connection { get; }

    public SqliteCommand Size { get; }

    public SqliteCommand Insert { get; }

    public SqliteParameter[] InsertParameters { get; }

    /// <summary>Prepares the statements on the writer connection, which they then own.</summary>
    public static SqliteWriterStatements Prepare(SqliteConnection connection)
    {
        var statements = new SqliteWriterStatements(connection);
        statements.Size.Prepare();
        statements.Insert.Prepare();
        return statements;
    }

    public async ValueTask DisposeAsync()
    {
        await Size.DisposeAsync().ConfigureAwait(false);
        await Insert.DisposeAsync().ConfigureAwait(false);
        await Connection.DisposeAsync().ConfigureAwait(false);
    }
}
