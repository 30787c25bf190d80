using System.Globalization;

namespace Herald.Pages;

/// <summary>Dates and counts on staff pages, in the reader's language (<c>en</c>, <c>es</c>) and a school's time zone.
/// Herald runs with invariant globalization (no ICU data), so .NET's cultures carry no month names or grouping of their
/// own: the few a page needs are written here. Times are the school's wall clock, the one staff plan by; the zone's
/// IANA name goes once in the column header or after the time, so a reader never has to guess.</summary>
public static class PageDates
{
    private static readonly string[] EnMonths = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    private static readonly string[] EsMonths = ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"];

    /// <summary>The reader's language as the page chose it (cookie, school, browser): <c>en</c> or <c>es</c>.</summary>
    public static string Language => CultureInfo.CurrentUICulture.Name.Split('-')[0] is "es" ? "es" : "en";

    /// <summary>"1 Dec 2026, 17:05" (es "1 dic 2026, 17:05") on the zone's clock; empty for no date. Seconds for logs,
    /// where events a few seconds apart must read in order.</summary>
    public static string At(DateTimeOffset? at, TimeZoneInfo zone, bool seconds = false)
    {
        if (at is not { } a) return "";
        var local = TimeZoneInfo.ConvertTime(a, zone);
        var month = (Language == "es" ? EsMonths : EnMonths)[local.Month - 1];
        var time = local.ToString(seconds ? "HH:mm:ss" : "HH:mm", CultureInfo.InvariantCulture);
        return string.Create(CultureInfo.InvariantCulture, $"{local.Day} {month} {local.Year}, {time}");
    }

    /// <summary>The same moment for machines (<c>&lt;time datetime&gt;</c>): ISO 8601 in UTC, whatever the reader's zone.</summary>
    public static string Iso(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    /// <summary>A count with the reader's thousands separator: en "1,234", es "1.234".</summary>
    public static string Count(long n) =>
        n.ToString("#,0", CultureInfo.InvariantCulture).Replace(",", Language == "es" ? "." : ",", StringComparison.Ordinal);
}
