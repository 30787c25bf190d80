using System.ComponentModel.DataAnnotations;

namespace Herald.Storage;

/// <summary>Which database Herald uses.</summary>
public sealed class DatabaseOptions
{
    /// <summary><c>sqlite</c> (default, a file in the data folder) or <c>postgres</c>.</summary>
    [Required] public string Provider { get; set; } = "sqlite";

    /// <summary>ADO.NET connection string. For SQLite, empty means <c>DATAFOLDER/herald.db</c>; required for postgres.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>SQLite: how long a write waits for another process's write lock before it fails (and is retried by
    /// its caller). Default 30 seconds.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")] public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Herald's data folder (<c>Herald:DataDirectory</c>): the SQLite file, the sandbox's output, bounce mail kept aside.</summary>
public sealed record DataFolder(string Path);
