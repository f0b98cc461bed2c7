using Microsoft.Data.Sqlite;

namespace Starling.Storage.Sqlite;

/// <summary>
/// The journal's per-message statements, compiled once and run with new values: compiling a statement costs more than
/// running it, and each message costs a few of them (its delivery added, sent, removed).
/// </summary>
internal sealed class PreparedStatements(SqliteConnection connection) : IDisposable
{
    private readonly Dictionary<string, (SqliteCommand Command, SqliteParameter[] Parameters)> _commands = new(StringComparer.Ordinal);

    /// <summary>Runs <paramref name="sql"/> (whose parameters are $1, $2, ... in order) with <paramref name="values"/>, in <paramref name="transaction"/>.</summary>
    public void Run(SqliteTransaction transaction, string sql, params ReadOnlySpan<object?> values)
    {
        if (!_commands.TryGetValue(sql, out var prepared))
        {
            var command = connection.CreateCommand();
            command.CommandText = sql;
            var parameters = new SqliteParameter[values.Length];
            for (int i = 0; i < values.Length; i++)
            {
                parameters[i] = command.Parameters.Add("$" + (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), SqliteType.Blob);
                parameters[i].SqliteType = values[i] switch
                {
                    string => SqliteType.Text,
                    byte[] => SqliteType.Blob,
                    _ => SqliteType.Integer,
                };
            }

            _commands[sql] = prepared = (command, parameters);
        }

        prepared.Command.Transaction = transaction;
        for (int i = 0; i < values.Length; i++)
        {
            prepared.Parameters[i].Value = values[i] ?? DBNull.Value;
        }

        prepared.Command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        foreach (var (command, _) in _commands.Values)
        {
            command.Dispose();
        }

        _commands.Clear();
    }
}
