using Herald.Core.Deliveries;

namespace Herald.Core.Sending;

/// <summary>One row of the fallback table: a delivery of an essential announcement on <paramref name="From"/> that is
/// (or becomes) <paramref name="When"/> brings the announcement to the contact on <paramref name="To"/>.</summary>
/// <param name="AtSend">True for a decision of the send (nothing was sent), false for a failure reported later.</param>
public sealed record FallbackRule(Channel From, DeliveryStatus When, Channel To, bool AtSend);

/// <summary>What Herald knows when one delivery of an announcement fails (or cannot start).</summary>
/// <param name="Essential">The announcement is essential: only those fall back.</param>
/// <param name="Channel">The channel of the failing delivery.</param>
/// <param name="Status">Its status (a send decision or a later failure).</param>
/// <param name="Cause">What the failure said (the bounce's reply, the decision's reason), for the log.</param>
/// <param name="Existing">The status of the contact's delivery on the other channel for this announcement, if any.</param>
/// <param name="Decision">The send decision the other channel would get now (null when <paramref name="Existing"/> is set).</param>
/// <param name="ContentProblem">Why the announcement has no version for the other channel (no SMS text that fits,
/// no email body); null when it has one.</param>
public sealed record FallbackFacts(bool Essential, Channel Channel, DeliveryStatus Status, string? Cause, DeliveryStatus? Existing,
    Decision? Decision, string? ContentProblem);

/// <summary>The outcome of <see cref="FallbackPolicy.Plan"/>.</summary>
/// <param name="To">The channel of the fallback; null when the table has no row for this failure (no fallback, nothing to say).</param>
/// <param name="Send">True when a fallback delivery is opened (queued) on <paramref name="To"/>.</param>
/// <param name="Detail">For the log: "fallback: email hard_bounce (…)" when sent, why not otherwise.</param>
public sealed record FallbackPlan(Channel? To, bool Send, string? Detail)
{
    public static readonly FallbackPlan None = new(null, false, null);
}

/// <summary>
/// Essential messages reach every family that can be reached (delivery-model.md, "Fallback"): the table of which
/// status on which channel brings the announcement to the other channel, and the rule that decides whether it does.
/// Only essential announcements fall back; the other channel must have a version of the message, a usable address that
/// is not failed or suppressed, and no delivery of its own for this announcement (a contact reached, or on the way to
/// being reached, on the other channel is not sent a second message; one whose other channel failed already has
/// nowhere left to go). A fallback never falls back again: its own channel's delivery already exists.
/// </summary>
public static class FallbackPolicy
{
    public static readonly IReadOnlyList<FallbackRule> Table =
    [
        new(Channel.Email, DeliveryStatus.EmailMissing, Channel.Sms, AtSend: true),
        new(Channel.Email, DeliveryStatus.Dropped, Channel.Sms, AtSend: true),
        new(Channel.Email, DeliveryStatus.HardBounce, Channel.Sms, AtSend: false),
        new(Channel.Email, DeliveryStatus.Rejected, Channel.Sms, AtSend: false),
        new(Channel.Sms, DeliveryStatus.MobileMissing, Channel.Email, AtSend: true),
        new(Channel.Sms, DeliveryStatus.Dropped, Channel.Email, AtSend: true),
        new(Channel.Sms, DeliveryStatus.Failed, Channel.Email, AtSend: false),
    ];

    /// <summary>The channel an essential announcement falls back to when a delivery on <paramref name="channel"/> is
    /// <paramref name="status"/>; null when it does not.</summary>
    public static Channel? Target(bool essential, Channel channel, DeliveryStatus status) =>
        essential ? Table.FirstOrDefault(r => r.From == channel && r.When == status)?.To : null;

    /// <summary>Whether a failing delivery falls back, and what the log says.</summary>
    public static FallbackPlan Plan(FallbackFacts f)
    {
        if (Target(f.Essential, f.Channel, f.Status) is not { } to) return FallbackPlan.None;
        var what = $"{f.Channel.Name()} {f.Status.Name()}{(string.IsNullOrWhiteSpace(f.Cause) ? "" : $" ({f.Cause})")}";
        // Reached, or on its way, on the other channel already: nothing to do and nothing to say.
        if (f.Existing is { } reached && ResendPolicy.For(reached, force: false) != ResendVerdict.Resend) return FallbackPlan.None;
        if (f.Existing is { } existing)
            return new(to, false, $"no fallback by {to.Name()} after {what}: the contact already has an {to.Name()} delivery ({existing.Name()})");
        if (f.ContentProblem is { } problem)
            return new(to, false, $"no fallback by {to.Name()} after {what}: {problem}");
        if (f.Decision is { Status: not DeliveryStatus.Queued } d)
            return new(to, false, $"no fallback by {to.Name()} after {what}: {d.Status.Name()} ({d.Reason})");
        return new(to, true, $"fallback: {what}");
    }

    /// <summary>Why the announcement has no version for <paramref name="to"/>; null when it has one. The SMS version is
    /// the SMS text, else the plain text (as the dispatcher sends it), and must fit in <paramref name="smsMaxParts"/>.</summary>
    public static string? ContentProblem(Channel to, string? text, string? html, string? smsText, int smsMaxParts)
    {
        if (to == Channel.Email)
            return string.IsNullOrWhiteSpace(text) && string.IsNullOrWhiteSpace(html) ? "the announcement has no email text" : null;
        var body = smsText ?? text;
        if (string.IsNullOrWhiteSpace(body)) return "the announcement has no SMS text and no plain text";
        var m = Herald.Core.Sms.SmsText.Measure(body);
        return m.Parts > smsMaxParts
            ? $"{(smsText is null ? "its text" : "its SMS text")} needs {m.Parts} SMS parts ({m.Encoding}); the maximum is {smsMaxParts}"
            : null;
    }
}
