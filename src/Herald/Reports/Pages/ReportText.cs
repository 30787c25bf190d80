using Microsoft.Extensions.Localization;

namespace Herald.Reports.Pages;

/// <summary>The strings of this capability's pages and CSV, in one catalogue (ReportText.es.resx): the list, the report
/// and the CSV share the status names, the outcome line and the staff guidance. English is the key.</summary>
public sealed class ReportText;

/// <summary>Status names, groups and the one-line outcome, in the reader's language.</summary>
public static class ReportWords
{
    /// <summary>The order statuses are told in: what went well, what is waiting, what failed, what was not sent.</summary>
    public static readonly IReadOnlyList<string> Order =
    [
        "sent", "delivered", "opened", "clicked", "queued", "pending_digest", "soft_bounce", "hard_bounce", "rejected", "spam",
        "dropped", "failed", "email_missing", "mobile_missing", "opted_out",
    ];

    /// <summary>The status's name for people (English is the key).</summary>
    public static string Label(IStringLocalizer<ReportText> t, string status) => t[status switch
    {
        "soft_bounce" => "soft bounce",
        "hard_bounce" => "hard bounce",
        "email_missing" => "email missing",
        "mobile_missing" => "mobile missing",
        "opted_out" => "opted out",
        "pending_digest" => "pending digest",
        _ => status,
    }];

    /// <summary>Which kind of outcome a status is: the chart's pattern, and a word, so it never rests on colour alone.</summary>
    public static string Group(string status) => status switch
    {
        "sent" or "delivered" or "opened" or "clicked" => "ok",
        "queued" or "pending_digest" or "soft_bounce" => "waiting",
        "email_missing" or "mobile_missing" or "opted_out" => "notsent",
        _ => "failed",
    };

    /// <summary>"312 sent, 4 hard bounces, 2 queued > 30 min": the counts of one announcement in a line.</summary>
    public static string Outcome(IStringLocalizer<ReportText> t, IReadOnlyDictionary<string, long> counts, long queuedTooLong)
    {
        var parts = Order.Where(s => counts.GetValueOrDefault(s) > 0).Select(s => t[s switch
        {
            "soft_bounce" => "{0} soft bounces",
            "hard_bounce" => "{0} hard bounces",
            "spam" => "{0} reported as spam",
            "email_missing" => "{0} without email",
            "mobile_missing" => "{0} without mobile",
            "opted_out" => "{0} opted out",
            "pending_digest" => "{0} held for digest",
            _ => "{0} " + s,
        }, Herald.Pages.PageDates.Count(counts[s])].Value).ToList();
        if (queuedTooLong > 0) parts.Add(t["{0} queued > 30 min", Herald.Pages.PageDates.Count(queuedTooLong)].Value);
        return parts.Count == 0 ? t["no deliveries"].Value : string.Join(", ", parts);
    }
}
