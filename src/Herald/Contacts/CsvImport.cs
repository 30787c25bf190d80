using System.Globalization;
using System.Text;
using CsvHelper;
using CsvHelper.Configuration;
using Herald.Http;
using Herald.Storage;

namespace Herald.Contacts;

/// <summary>A problem on one line of an imported file; <c>Column</c> is null when the whole line is at fault.</summary>
public sealed record RowProblem(int Line, string? Column, string Message);

/// <summary>The answer to an import: what was imported and every problem, line by line.</summary>
public sealed record ImportResult(int Imported, int Rejected, IReadOnlyList<RowProblem> Errors, IReadOnlyList<RowProblem> Warnings);

/// <summary>
/// CSV import of contacts: every row is validated, the valid ones are imported in chunks of 500 rows per transaction,
/// and re-importing the same file changes nothing (idempotent by external id).
/// Header: <c>external_id,role,name,email,mobile,groups,opt_outs,digest</c> (the first three required;
/// groups and opt_outs separated by <c>;</c>; digest <c>no</c>, <c>yes</c> (the school's default), <c>daily@18:00</c>
/// or <c>weekly:fri@17:00</c>).
/// </summary>
public sealed class CsvImport(Database db, ContactStore contacts)
{
    public static readonly string[] Columns = ["external_id", "role", "name", "email", "mobile", "groups", "opt_outs", "digest"];
    private static readonly string[] Required = ["external_id", "role", "name"];

    /// <summary>Rows imported per transaction.</summary>
    public const int ChunkSize = 500;

    /// <summary>Largest file accepted (bytes).</summary>
    public const int MaxBytes = 20 * 1024 * 1024;

    /// <summary>A file-level problem (wrong header, wrong encoding): nothing was imported.</summary>
    public sealed class FileRejected(string message, int line) : FormatException(message)
    {
        public int Line { get; } = line;
    }

    /// <param name="keyId">The API key that imports (null from the CLI): kept on every contact the import creates or
    /// changes, as who created it and who last changed it.</param>
    public ImportResult Import(long schoolId, string region, byte[] bytes, long? keyId = null)
    {
        var text = Decode(bytes);
        var errors = new List<RowProblem>();
        var warnings = new List<RowProblem>();
        var valid = new List<ValidContact>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var rejected = 0;

        var config = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            BadDataFound = null, MissingFieldFound = null, DetectDelimiter = false, TrimOptions = TrimOptions.Trim,
        };
        using var reader = new StringReader(text);
        using var csv = new CsvReader(reader, config);
        if (!csv.Read()) throw new FileRejected("the file is empty; the first line must be the header: " + string.Join(",", Columns), 1);
        csv.ReadHeader();
        var header = (csv.HeaderRecord ?? []).Select(h => h.Trim().ToLowerInvariant()).ToArray();
        var unknown = header.Where(h => !Columns.Contains(h)).ToList();
        var missing = Required.Where(r => !header.Contains(r)).ToList();
        if (unknown.Count > 0 || missing.Count > 0 || header.Distinct().Count() != header.Length)
        {
            var parts = new List<string>();
            if (missing.Count > 0) parts.Add("missing column(s) " + string.Join(", ", missing));
            if (unknown.Count > 0) parts.Add("unknown column(s) " + string.Join(", ", unknown.Select(u => $"'{u}'")));
            if (header.Distinct().Count() != header.Length) parts.Add("a column appears twice");
            throw new FileRejected($"wrong header: {string.Join("; ", parts)}. Expected: {string.Join(",", Columns)}", 1);
        }

        while (csv.Read())
        {
            // RawRow is the record's last line; a quoted field with line breaks starts the record earlier.
            var line = csv.Parser.RawRow - csv.Parser.RawRecord.TrimEnd('\r', '\n').Count(ch => ch == '\n');
            var record = csv.Parser.Record ?? [];
            if (record.All(string.IsNullOrWhiteSpace)) continue;
            if (record.Length > header.Length)
            {
                errors.Add(new(line, null, $"has {record.Length} fields; the header has {header.Length}"));
                rejected++;
                continue;
            }
            string? Field(string name) { var i = Array.IndexOf(header, name); return i >= 0 && i < record.Length ? record[i] : null; }
            var rowErrors = new List<FieldProblem>();
            var rowWarnings = new List<FieldProblem>();
            var input = new ContactInput(Field("external_id"), Field("role"), Field("name"), Field("email"), Field("mobile"),
                Split(Field("groups")), Split(Field("opt_outs")), Field("digest"));
            var v = ContactRules.Validate(input, region, rowErrors, rowWarnings);
            if (v is not null && seen.TryGetValue(v.ExternalId, out var firstLine))
            {
                rowErrors.Add(new("externalId", $"'{v.ExternalId}' already appears on line {firstLine}"));
                v = null;
            }
            errors.AddRange(rowErrors.Select(p => new RowProblem(line, ColumnOf(p.Field), p.Message)));
            warnings.AddRange(rowWarnings.Select(p => new RowProblem(line, ColumnOf(p.Field), p.Message)));
            if (v is null) { rejected++; continue; }
            seen[v.ExternalId] = line;
            valid.Add(v);
        }

        // Committed in chunks, so that a large file never holds the database's write lock for long (SQLite has one for
        // the whole file, and the dispatcher records answers meanwhile). Rows are matched by external id, so if the
        // import stops part-way, importing the same file again completes it without duplicates.
        foreach (var chunk in valid.Chunk(ChunkSize))
        {
            using var c = db.Open();
            using var tx = c.BeginTransaction();
            foreach (var v in chunk) contacts.Upsert(c, tx, schoolId, v, keyId, Herald.Core.Deliveries.EventSource.Import);
            tx.Commit();
        }
        return new(valid.Count, rejected, errors, warnings);
    }

    private static string ColumnOf(string field) => field switch
    {
        "externalId" => "external_id", "optOuts" => "opt_outs", _ => field,
    };

    private static List<string> Split(string? text) =>
        string.IsNullOrWhiteSpace(text) ? [] : text.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();

    /// <summary>Strict UTF-8 (a BOM is allowed): a file saved in another encoding would silently garble names.</summary>
    private static string Decode(byte[] bytes)
    {
        var span = bytes.AsSpan();
        if (span.StartsWith("\uFEFF"u8)) span = span[3..];
        var pos = 0;
        var line = 1;
        while (pos < span.Length)
        {
            if (System.Text.Rune.DecodeFromUtf8(span[pos..], out var rune, out var used) != System.Buffers.OperationStatus.Done)
                throw new FileRejected($"line {line} is not valid UTF-8 (byte offset {pos}); save the file as UTF-8", line);
            if (rune.Value == '\n') line++;
            if (rune.Value == 0) throw new FileRejected($"line {line} contains a NUL byte: this is not a text file", line);
            pos += used;
        }
        return Encoding.UTF8.GetString(span);
    }
}
