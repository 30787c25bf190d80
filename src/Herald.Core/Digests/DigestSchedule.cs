using System.Globalization;
using System.Text.RegularExpressions;
using Cronos;

namespace Herald.Core.Digests;

/// <summary>How often a digest goes out.</summary>
public enum DigestFrequency { Daily, Weekly }

/// <summary>
/// When a contact's digest goes out, in the school's local time: every day at a time, or one day a week at a time.
/// Written as <c>daily@18:00</c> or <c>weekly:fri@17:00</c> (the form the CSV import and the API take and show).
/// </summary>
public sealed partial record DigestSchedule(DigestFrequency Frequency, TimeOnly At, DayOfWeek? Day = null)
{
    /// <summary>The time of day when a schedule names none (<c>daily</c>, <c>weekly:fri</c>): after school, before the
    /// evening, when families read the day's news.</summary>
    public static readonly TimeOnly DefaultTime = new(17, 0);

    private static readonly string[] Days = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

    public override string ToString() => Frequency == DigestFrequency.Daily
        ? $"daily@{At:HH\\:mm}"
        : $"weekly:{Days[(int)Day!.Value]}@{At:HH\\:mm}";

    /// <summary>The first time after <paramref name="after"/> that the digest goes out, in <paramref name="zone"/>'s
    /// local time. The school's clock rules, daylight saving included: a time that does not exist on a day the clocks go
    /// forward is taken at the first instant after the gap; a time that happens twice when they go back is taken once,
    /// the first time.</summary>
    public DateTimeOffset NextAfter(DateTimeOffset after, TimeZoneInfo zone)
    {
        var dow = Day is { } d ? ((int)d).ToString(CultureInfo.InvariantCulture) : "*";
        var cron = CronExpression.Parse($"{At.Minute} {At.Hour} * * {dow}");
        // Cronos looks at most a few years ahead; a daily or weekly expression always has an occurrence within 8 days.
        return cron.GetNextOccurrence(after, zone)
               ?? throw new InvalidOperationException($"no occurrence of {this} after {after:u} in {zone.Id}");
    }

    /// <summary>Reads a schedule: <c>daily</c>, <c>daily@HH:MM</c>, <c>weekly:DAY</c>, <c>weekly:DAY@HH:MM</c> (DAY is
    /// mon … sun, or the full English name). Null with <paramref name="problem"/> naming what is wrong.</summary>
    public static DigestSchedule? TryParse(string? text, out string? problem)
    {
        problem = null;
        var m = Syntax().Match((text ?? "").Trim().ToLowerInvariant());
        if (!m.Success)
        {
            problem = $"'{text}' is not a digest schedule: use daily, daily@18:00, weekly:fri or weekly:fri@17:00";
            return null;
        }
        var at = DefaultTime;
        if (m.Groups["time"].Success)
        {
            var (h, min) = (int.Parse(m.Groups["h"].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups["m"].Value, CultureInfo.InvariantCulture));
            if (h > 23 || min > 59)
            {
                problem = $"'{text}': {m.Groups["time"].Value} is not a time of day (00:00 to 23:59)";
                return null;
            }
            at = new TimeOnly(h, min);
        }
        if (!m.Groups["day"].Success) return new DigestSchedule(DigestFrequency.Daily, at);
        var day = m.Groups["day"].Value;
        var index = Array.FindIndex(Days, x => day.StartsWith(x, StringComparison.Ordinal) && (day.Length == 3 || FullDay(x) == day));
        if (index < 0)
        {
            problem = $"'{text}': '{day}' is not a day (mon, tue, wed, thu, fri, sat, sun)";
            return null;
        }
        return new DigestSchedule(DigestFrequency.Weekly, at, (DayOfWeek)index);
    }

    private static string FullDay(string abbreviation) =>
        Enum.GetName((DayOfWeek)Array.IndexOf(Days, abbreviation))!.ToLowerInvariant();

    [GeneratedRegex(@"^(?:daily|weekly:(?<day>[a-z]+))(?:@(?<time>(?<h>\d{1,2}):(?<m>\d{2})))?$")]
    private static partial Regex Syntax();
}

/// <summary>What a contact asked for: no digest (every message at once), the school's default digest, or a schedule
/// of their own. The CSV import's and the API's <c>digest</c> value: <c>no</c>, <c>yes</c> (the school's default),
/// or a schedule.</summary>
public sealed record DigestChoice(DigestSchedule? Own, bool SchoolDefault)
{
    public static readonly DigestChoice None = new(null, false);
    public static readonly DigestChoice Default = new(null, true);

    public bool Wanted => SchoolDefault || Own is not null;

    /// <summary>The schedule that applies, given the school's default (null: the school has none, so no digest).</summary>
    public DigestSchedule? Resolve(DigestSchedule? schoolDefault) => Own ?? (SchoolDefault ? schoolDefault : null);

    public override string ToString() => Own?.ToString() ?? (SchoolDefault ? "yes" : "no");

    public static DigestChoice? TryParse(string? text, out string? problem)
    {
        problem = null;
        switch ((text ?? "").Trim().ToLowerInvariant())
        {
            case "" or "no" or "n" or "false" or "0": return None;
            case "yes" or "y" or "true" or "1": return Default;
        }
        if (DigestSchedule.TryParse(text, out problem) is { } s) return new DigestChoice(s, false);
        // A schedule with a bad time or day keeps its precise message; anything else is told every choice.
        if (problem!.Contains("is not a digest schedule", StringComparison.Ordinal))
            problem = $"'{text}' is not a digest choice: use no, yes (the school's default), daily@18:00 or weekly:fri@17:00";
        return null;
    }
}
