using Herald.Core.Bounces;

namespace Herald.Core.Tests.Bounces;

/// <summary>The same arithmetic as shared/tools/score-bounces, over reports made in process.</summary>
public sealed record Score(int Total, int ReasonOk, int HardOk, int StatusOk, int NotBouncesOk, int NotBouncesTotal, IReadOnlyList<string> Misses)
{
    public double Reason => 100.0 * ReasonOk / Total;
    public double Hard => 100.0 * HardOk / Total;
    public double Status => 100.0 * StatusOk / Total;

    public static Score Compute(IReadOnlyDictionary<string, List<ExpectedRecipient>> expected, Func<string, BounceReport> analyze, IEnumerable<string> notBounceFiles)
    {
        int total = 0, reason = 0, hard = 0, status = 0;
        var misses = new List<string>();
        foreach (var (name, recs) in expected.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var got = analyze(name).Recipients;
            for (int i = 0; i < recs.Count; i++)
            {
                total++;
                var e = recs[i];
                var g = i < got.Count ? got[i] : null;
                if (g is not null && g.Reason.ToVocabulary() == e.Reason) reason++;
                else misses.Add($"{name}[{i}]: expected {e.Reason}, got {g?.Reason.ToVocabulary() ?? "nothing"}");
                if (g is not null && g.Hard == (e.HardBounce == 1)) hard++;
                if (string.IsNullOrEmpty(e.Status) || (g?.Status ?? "") == e.Status) status++;
            }
        }
        int nbTotal = 0, nbOk = 0;
        foreach (var f in notBounceFiles)
        {
            nbTotal++;
            if (BounceAnalyzer.AnalyzeFile(f).Kind == MessageKind.NotBounce) nbOk++;
        }
        return new Score(total, reason, hard, status, nbOk, nbTotal, misses);
    }
}
