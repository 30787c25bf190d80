namespace Herald.Email;

/// <summary>
/// Opens and clicks in outgoing HTML: the pixel <c>BASE/o/TOKEN</c> and each tracked link as <c>BASE/c/TOKEN</c>
/// (<see cref="TrackedHtml"/>, <see cref="TrackingTokens"/>), and the reverse for the click endpoint. Off when
/// <c>Herald:Email:Tracking:BaseUrl</c> is empty, for a school that switched it off, and for an announcement posted
/// with <c>track: false</c>. Only the HTML part is tracked: a plain-text part's links stay as written, because a
/// long opaque redirect in text that people read (and copy) is worse than no count, and a text-only reader fetches no
/// pixel, so its clicks alone would say nothing about opens.
/// </summary>
public sealed class MessageTracking
{
    public const string OpenPath = "/o/";
    public const string ClickPath = "/c/";

    private readonly TrackingTokens? _tokens;
    private readonly string _base = "";
    private readonly TimeProvider _time;

    /// <summary>Links that are never rewritten: Herald's own pages (unsubscribe, preferences, tracking itself).</summary>
    public IReadOnlyList<string> Untouched { get; }

    public MessageTracking(EmailOptions email, TimeProvider time)
    {
        _time = time;
        var untouched = new List<string>();
        if (!string.IsNullOrWhiteSpace(email.UnsubscribeBaseUrl)) untouched.Add(email.UnsubscribeBaseUrl.TrimEnd('/') + "/" + MessageBuilder.UnsubscribePath);
        if (email.TrackingEnabled)
        {
            _tokens = new TrackingTokens(email.TrackingSecret!);
            _base = email.Tracking.BaseUrl!.TrimEnd('/');
            untouched.Add(_base + OpenPath);
            untouched.Add(_base + ClickPath);
        }
        Untouched = untouched;
    }

    /// <summary>True when Herald has a public URL and a secret for tracking.</summary>
    public bool Enabled => _tokens is not null;

    /// <summary>The HTML to send: tracked when tracking is on for this school and announcement, else as written.</summary>
    public string? Html(Schools.School school, Announcements.Announcement a, long deliveryId, int attempt)
    {
        if (_tokens is null || a.Html is null || !school.Tracking || !a.Track) return a.Html;
        var builtAt = _time.GetUtcNow();
        var pixel = _tokens.For(deliveryId, attempt, 0, builtAt);
        if (pixel is null) return a.Html;
        return TrackedHtml.Rewrite(a.Html, Untouched, n => _tokens.For(deliveryId, attempt, n, builtAt) is { } t ? _base + ClickPath + t : null,
            _base + OpenPath + pixel) ?? a.Html;
    }

    /// <summary>What a token names, or null (a forged, mangled or foreign token; or tracking is off).</summary>
    public TrackingTarget? Parse(string? token) => _tokens is null || token is null ? null : _tokens.Parse(token);
}
