using Herald.Announcements;
using Herald.Schools;
using MimeKit;

namespace Herald.Email;

/// <summary>Builds the MIME message of one delivery: sender identity, alternatives, a unique Message-ID, and the
/// RFC 2369 / RFC 8058 unsubscribe headers.</summary>
public sealed class MessageBuilder(SenderOptions sender, EmailOptions email, MessageTracking tracking)
{
    /// <summary>Signs unsubscribe tokens. A secret derived from the bounce token secret, so an unsubscribe link can never
    /// be replayed as a bounce return path or the other way round. Null without a token secret (sandbox).</summary>
    private readonly VerpAddress? _unsubscribe = string.IsNullOrWhiteSpace(email.Bounces.TokenSecret) ? null
        : new VerpAddress("unsubscribe", email.Bounces.Domain ?? "invalid", email.Bounces.TokenSecret + "\0unsubscribe");

    /// <summary>The path under <c>UnsubscribeBaseUrl</c> of the one-click unsubscribe endpoint (the endpoint comes later).</summary>
    public const string UnsubscribePath = "unsubscribe/";

    public MimeMessage Build(School school, Announcement a, long deliveryId, int attempt, string recipient, string? recipientName)
    {
        var m = new MimeMessage();
        var schoolFrom = a.Sender == "school" && !string.IsNullOrWhiteSpace(school.FromAddress) ? school.FromAddress : null;
        var useSchool = schoolFrom is not null;
        m.From.Add(schoolFrom is not null
            ? new MailboxAddress(school.FromName ?? school.Name, schoolFrom)
            : new MailboxAddress(sender.DefaultFromName, sender.DefaultFromAddress));
        if (useSchool && !string.IsNullOrWhiteSpace(school.ReplyTo)) m.ReplyTo.Add(MailboxAddress.Parse(school.ReplyTo));
        m.To.Add(new MailboxAddress(recipientName ?? "", recipient));
        m.Subject = a.Subject;
        // Opaque: recipients see it, so it names no delivery. A bounce quoting it finds its delivery through the id
        // stored with the send's transport event.
        m.MessageId = MessageIds.New(sender.MessageIdDomain);
        var body = new BodyBuilder { TextBody = a.Text, HtmlBody = tracking.Html(school, a, deliveryId, attempt) };
        m.Body = body.ToMessageBody();
        AddUnsubscribe(m, deliveryId, attempt);
        return m;
    }

    /// <summary>
    /// <c>List-Unsubscribe</c> with a mailto (to the bounce domain) and, when Herald has a public URL, an HTTPS link
    /// plus <c>List-Unsubscribe-Post: List-Unsubscribe=One-Click</c> (RFC 8058 needs the HTTPS link for one-click).
    /// Both carry a signed token naming the delivery, so nobody can unsubscribe someone else by guessing ids.
    /// </summary>
    private void AddUnsubscribe(MimeMessage m, long deliveryId, int attempt)
    {
        if (_unsubscribe is null) return;
        var mailto = _unsubscribe.For(deliveryId, attempt);
        var token = mailto[(mailto.IndexOf('+') + 1)..mailto.IndexOf('@')];
        var links = new List<string>();
        if (!string.IsNullOrWhiteSpace(email.UnsubscribeBaseUrl))
            links.Add($"<{email.UnsubscribeBaseUrl.TrimEnd('/')}/{UnsubscribePath}{token}>");
        if (!string.IsNullOrWhiteSpace(email.Bounces.Domain))
            links.Add($"<mailto:{mailto}?subject=unsubscribe>");
        if (links.Count == 0) return;
        m.Headers.Add("List-Unsubscribe", string.Join(", ", links));
        if (links[0].StartsWith("<http", StringComparison.OrdinalIgnoreCase))
            m.Headers.Add("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
    }
}
