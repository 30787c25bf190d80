using System.Globalization;
using System.Text.RegularExpressions;

namespace Herald.Schools;

/// <summary>The times <c>herald keys</c> reads: durations like <c>90d</c>, <c>24h</c>, <c>1d12h</c> or <c>0</c>, and
/// dates like <c>2027-03-01</c> or <c>2027-03-01T12:00Z</c> (UTC unless an offset is given). Errors name the option.</summary>
public static partial class KeyTimes
{
    [GeneratedRegex(@"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")]
    private static partial Regex Duration();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}")]
    private static partial Regex IsoDate();

    private static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(36525);

    /// <summary>A duration of days, hours, minutes and seconds (<c>90d</c>, <c>1d12h</c>, <c>30m</c>), or <c>0</c>.</summary>
    public static bool TryParseDuration(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        var t = text?.Trim().ToLowerInvariant() ?? "";
        if (t == "0") return true;
        var m = Duration().Match(t);
        if (t.Length == 0 || !m.Success) return false;
        try
        {
            long Part(int i) => m.Groups[i].Success ? long.Parse(m.Groups[i].Value, CultureInfo.InvariantCulture) : 0;
            duration = TimeSpan.FromDays(Part(1)) + TimeSpan.FromHours(Part(2)) + TimeSpan.FromMinutes(Part(3)) + TimeSpan.FromSeconds(Part(4));
            return true;
        }
        catch (Exception e) when (e is OverflowException or ArgumentOutOfRangeException) { return false; }
    }

    /// <summary><c>--grace</c>: a duration, zero allowed (the old key ends at once).</summary>
    public static TimeSpan ParseGrace(string text) => TryParseDuration(text, out var d)
        ? d <= MaxLifetime ? d : throw new ArgumentException($"--grace '{text}' is more than 100 years")
        : throw new ArgumentException($"--grace '{text}' is not a duration: give e.g. 24h, 7d, 30m or 0 (end the old key at once)");

    /// <summary><c>--expires</c>: a duration from now, or a date/time; it must be in the future.</summary>
    public static DateTimeOffset ParseExpiry(string text, DateTimeOffset now)
    {
        DateTimeOffset at;
        if (TryParseDuration(text, out var d))
            at = d <= MaxLifetime ? now + d : throw new ArgumentException($"--expires '{text}' is more than 100 years away");
        else if (IsoDate().IsMatch(text.Trim()) && DateTimeOffset.TryParse(text.Trim(), CultureInfo.InvariantCulture,
                     DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed)) at = parsed;
        else throw new ArgumentException($"--expires '{text}' is neither a duration (90d, 12h, 30m) nor a date/time (2027-03-01, 2027-03-01T12:00Z)");
        if (at <= now) throw new ArgumentException($"--expires '{text}' is not in the future (now is {now:u})");
        return at;
    }
}
