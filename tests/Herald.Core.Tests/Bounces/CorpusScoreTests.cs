using Herald.Core.Bounces;

namespace Herald.Core.Tests.Bounces;

/// <summary>The measured targets, computed like shared/tools/score-bounces.</summary>
public class CorpusScoreTests
{
    private static readonly Lazy<Score> Result = new(() => Score.Compute(
        Corpus.Expected,
        name => BounceAnalyzer.AnalyzeFile(Path.Combine(Corpus.Bounces, name)),
        Directory.EnumerateFiles(Corpus.NotBounces, "*.eml")));

    [Fact]
    public void Reason_matches_the_labels_for_at_least_97_percent_of_recipients() =>
        Assert.True(Result.Value.Reason >= ScoreTargets.Reason, Describe($"reason {Result.Value.Reason:F1}%"));

    [Fact]
    public void Hard_or_soft_matches_the_labels_for_at_least_99_percent_of_recipients() =>
        Assert.True(Result.Value.Hard >= ScoreTargets.Hard, Describe($"hard/soft {Result.Value.Hard:F1}%"));

    [Fact]
    public void Status_code_matches_the_labels_for_at_least_98_percent_of_recipients() =>
        Assert.True(Result.Value.Status >= ScoreTargets.Status, Describe($"status {Result.Value.Status:F1}%"));

    [Fact]
    public void Every_ordinary_message_is_recognised_as_not_a_bounce() =>
        Assert.Equal(Result.Value.NotBouncesTotal, Result.Value.NotBouncesOk);

    private static string Describe(string what) =>
        what + "; first misses:\n" + string.Join('\n', Result.Value.Misses.Take(30));
}

/// <summary>
/// The targets (project issue 4, "Measured targets"): reason 97%, hard/soft 99%, status 98%, reached on
/// 2026-11-23 (97.8% / 99.3% / 99.0%). A change that makes classification worse than the targets fails; never lower them.
/// </summary>
internal static class ScoreTargets
{
    public const double Reason = 97.0;
    public const double Hard = 99.0;
    public const double Status = 98.0;
}
