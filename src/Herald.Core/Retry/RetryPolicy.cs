using System.Text.RegularExpressions;

namespace Herald.Core.Retry;

/// <summary>One row of the retry table: which temporary failures it covers and how long to wait after each try.</summary>
/// <param name="Name">Shown in the log next to each scheduled retry.</param>
/// <param name="Matches">Whether a temporary failure (reply code, enhanced status, text) belongs to this row.</param>
/// <param name="Delays">Wait after the 1st, 2nd, … failed try; the last one repeats until the window closes.</param>
public sealed record RetrySchedule(string Name, Func<TemporaryFailure, bool> Matches, IReadOnlyList<TimeSpan> Delays);

/// <summary>A temporary failure as the transport reported it.</summary>
public sealed record TemporaryFailure(int? ReplyCode, string? EnhancedStatus, string? Text);

/// <summary>When to try again, or that the window is over.</summary>
/// <param name="At">The next try; null when the retry window is exhausted.</param>
/// <param name="Schedule">The schedule row that decided.</param>
public sealed record RetryStep(DateTimeOffset? At, string Schedule);

/// <summary>
/// Chooses the retry delay from the error: greylisting retries within minutes, a full mailbox backs off
/// over hours, a server that is down sits in between (RFC 5321 §4.5.4.1 asks for at least 30 minutes
/// in general; greylisting implementations accept a retry after a few minutes).
/// </summary>
public sealed class RetryPolicy
{
    private static TimeSpan M(double m) => TimeSpan.FromMinutes(m);
    private static TimeSpan H(double h) => TimeSpan.FromHours(h);

    private static readonly Regex Greylisting = new(@"grey ?list|gray ?list|try (again )?later|temporarily deferred|please retry",
        RegexOptions.IgnoreCase | RegexOptions.Compiled | RegexOptions.CultureInvariant);

    /// <summary>The default table, first match wins.</summary>
    public static readonly IReadOnlyList<RetrySchedule> DefaultSchedules =
    [
        new("greylisting", f => f.EnhancedStatus?.StartsWith("4.7.") == true || Greylisting.IsMatch(f.Text ?? ""),
            [M(2), M(5), M(10), M(20), M(30), H(1)]),
        new("mailbox full", f => f.EnhancedStatus is "4.2.2" || f.ReplyCode == 452 && f.EnhancedStatus is null,
            [H(1), H(3), H(6), H(12)]),
        new("server down", f => f.EnhancedStatus?.StartsWith("4.4.") == true || f.ReplyCode == 421,
            [M(10), M(30), H(1), H(2), H(4)]),
        new("temporary failure", _ => true, [M(5), M(15), M(30), H(1), H(2), H(4)]),
    ];

    private readonly IReadOnlyList<RetrySchedule> _schedules;

    /// <summary>Creates a policy.</summary>
    /// <param name="window">How long after the first try Herald keeps trying (default 72 hours).</param>
    /// <param name="jitter">Fraction of each delay added or removed at random, so retries do not arrive in waves.</param>
    /// <param name="schedules">The table; <see cref="DefaultSchedules"/> when null.</param>
    public RetryPolicy(TimeSpan window, double jitter = 0.1, IReadOnlyList<RetrySchedule>? schedules = null)
    {
        if (window <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(window), "the retry window must be positive");
        if (jitter is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(jitter), "jitter must be in [0, 1)");
        Window = window;
        Jitter = jitter;
        _schedules = schedules ?? DefaultSchedules;
    }

    public TimeSpan Window { get; }
    public double Jitter { get; }

    /// <summary>The next try after <paramref name="failedTries"/> failed tries (1 after the first failure).</summary>
    /// <param name="random01">A random number in [0, 1) for the jitter; pass 0.5 for none.</param>
    public RetryStep Next(TemporaryFailure failure, int failedTries, DateTimeOffset firstTriedAt, DateTimeOffset now, double random01)
    {
        var schedule = _schedules.First(s => s.Matches(failure));
        var delay = schedule.Delays[Math.Clamp(failedTries - 1, 0, schedule.Delays.Count - 1)];
        var factor = 1 + Jitter * (2 * random01 - 1);
        var at = now + TimeSpan.FromTicks((long)(delay.Ticks * factor));
        return at > firstTriedAt + Window ? new(null, schedule.Name) : new(at, schedule.Name);
    }
}
