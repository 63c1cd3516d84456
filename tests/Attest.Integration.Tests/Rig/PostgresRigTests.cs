using Attest.Testing;
using Npgsql;

namespace Attest.Integration.Tests.Rig;

[Collection(RigCollection.Name)]
public sealed class PostgresRigTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Postgres_creates_a_table_and_round_trips_rows()
    {
        var table = $"rig_{Guid.NewGuid():N}";
        await using var connection = new NpgsqlConnection(postgres.ConnectionString);
        await connection.OpenAsync();
        await Execute(connection, $"CREATE TABLE {table} (id bigint PRIMARY KEY, body bytea NOT NULL, note text)");
        var rows = Enumerable.Range(1, 50).Select(i => (Id: (long)i, Body: BitConverter.GetBytes(i * 7919), Note: $"row ü {i}")).ToList();
        foreach (var row in rows)
        {
            await using var insert = new NpgsqlCommand($"INSERT INTO {table} (id, body, note) VALUES ($1, $2, $3)", connection)
            {
                Parameters = { new() { Value = row.Id }, new() { Value = row.Body }, new() { Value = row.Note } },
            };
            Assert.Equal(1, await insert.ExecuteNonQueryAsync());
        }

        var read = new List<(long, byte[], string)>();
        await using (var select = new NpgsqlCommand($"SELECT id, body, note FROM {table} ORDER BY id", connection))
        await using (var reader = await select.ExecuteReaderAsync())
            while (await reader.ReadAsync()) read.Add((reader.GetInt64(0), (byte[])reader[1], reader.GetString(2)));

        Assert.Equal(rows.Count, read.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            Assert.Equal(rows[i].Id, read[i].Item1);
            Assert.Equal(rows[i].Body, read[i].Item2);
            Assert.Equal(rows[i].Note, read[i].Item3);
        }
    }

    [Fact]
    public async Task Postgres_enforces_constraints_like_a_real_server()
    {
        var table = $"rig_{Guid.NewGuid():N}";
        await using var connection = new NpgsqlConnection(postgres.ConnectionString);
        await connection.OpenAsync();
        await Execute(connection, $"CREATE TABLE {table} (id bigint PRIMARY KEY)");
        await Execute(connection, $"INSERT INTO {table} VALUES (1)");
        var duplicate = await Assert.ThrowsAsync<PostgresException>(() => Execute(connection, $"INSERT INTO {table} VALUES (1)"));
        Assert.Equal(PostgresErrorCodes.UniqueViolation, duplicate.SqlState);
    }

    [Fact]
    public async Task Postgres_rejects_a_wrong_password()
    {
        var builder = new NpgsqlConnectionStringBuilder(postgres.ConnectionString) { Password = "wrong", Pooling = false };
        await using var connection = new NpgsqlConnection(builder.ToString());
        var failure = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());
        Assert.Equal(PostgresErrorCodes.InvalidPassword, failure.SqlState);
    }

    private static async Task Execute(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
