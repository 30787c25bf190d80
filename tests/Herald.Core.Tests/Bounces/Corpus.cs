using System.Text.Json;

namespace Herald.Core.Tests.Bounces;

/// <summary>
/// The labelled corpus in ../shared/corpus beside the repository (never copied into it). Found by walking up
/// from the test's base directory; a missing corpus is an error, not a skip, so CI cannot pass without it.
/// </summary>
public static class Corpus
{
    private static readonly Lazy<string> RootDir = new(Find);
    private static readonly Lazy<Dictionary<string, List<ExpectedRecipient>>> ExpectedMap = new(LoadExpected);

    public static string Root => RootDir.Value;
    public static string Bounces => Path.Combine(Root, "bounces");
    public static string NotBounces => Path.Combine(Root, "not-bounces");
    public static IReadOnlyDictionary<string, List<ExpectedRecipient>> Expected => ExpectedMap.Value;

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "corpus");
            if (Directory.Exists(Path.Combine(candidate, "bounces"))) return candidate;
        }
        throw new InvalidOperationException(
            $"The labelled bounce corpus was not found: no folder shared/corpus above {AppContext.BaseDirectory}. " +
            "Check out the shared folder beside the repository (../shared/corpus).");
    }

    private static Dictionary<string, List<ExpectedRecipient>> LoadExpected()
    {
        using var s = File.OpenRead(Path.Combine(Bounces, "expected.json"));
        return JsonSerializer.Deserialize<Dictionary<string, List<ExpectedRecipient>>>(s)!;
    }

    /// <summary>Theory rows: every bounce file whose name starts with the family prefix.</summary>
    public static TheoryData<string> Files(string prefix)
    {
        var rows = new TheoryData<string>();
        foreach (var name in Expected.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
            rows.Add(name);
        return rows;
    }

    public static TheoryData<string> NotBounceFiles()
    {
        var rows = new TheoryData<string>();
        foreach (var f in Directory.EnumerateFiles(NotBounces, "*.eml").Order(StringComparer.Ordinal)) rows.Add(Path.GetFileName(f));
        return rows;
    }
}

public sealed record ExpectedRecipient(
    [property: System.Text.Json.Serialization.JsonPropertyName("status")] string Status,
    [property: System.Text.Json.Serialization.JsonPropertyName("replycode")] string ReplyCode,
    [property: System.Text.Json.Serialization.JsonPropertyName("reason")] string Reason,
    [property: System.Text.Json.Serialization.JsonPropertyName("hardbounce")] int HardBounce,
    [property: System.Text.Json.Serialization.JsonPropertyName("feedbacktype")] string? FeedbackType);
