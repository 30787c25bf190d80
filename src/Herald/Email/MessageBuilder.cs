using Herald.Announcements;
using Herald.Schools;
using MimeKit;

namespace Herald.Email;

/// <summary>One announcement of a digest email, with the delivery (and attempt) it is sent for.</summary>
public sealed record DigestItem(Announcement Announcement, long DeliveryId, int Attempt);

/// <summary>Builds the MIME message of one delivery: sender identity, alternatives, a unique Message-ID, and the
/// RFC 2369 / RFC 8058 unsubscribe headers.</summary>
public sealed class MessageBuilder(SenderOptions sender, EmailOptions email, MessageTracking tracking)
{
    /// <summary>Signs unsubscribe tokens (inactive without a token secret, as in the sandbox by default).</summary>
    private readonly UnsubscribeTokens _unsubscribe = new(email);

    /// <summary>The path under <c>UnsubscribeBaseUrl</c> of the one-click unsubscribe endpoint and its page.</summary>
    public const string UnsubscribePath = "unsubscribe/";

    public MimeMessage Build(School school, Announcement a, long deliveryId, int attempt, string recipient, string? recipientName)
    {
        var m = Envelope(school, a.Sender == "school", recipient, recipientName);
        m.Subject = a.Subject;
        var footer = Footer(school, a, deliveryId, attempt);
        // The footer goes on after the tracking rewrite: its unsubscribe link is never a tracked redirect.
        var body = new BodyBuilder { TextBody = footer.AddTo(a.Text), HtmlBody = footer.AddToHtml(tracking.Html(school, a, deliveryId, attempt)) };
        m.Body = body.ToMessageBody();
        // Essential announcements cannot be left: no unsubscribe header (their footer says why).
        if (!a.Essential) AddUnsubscribe(m, deliveryId, attempt);
        return m;
    }

    /// <summary>The sender identity (the school's when asked for and it has one, else the operator's), the recipient and
    /// a new Message-ID.</summary>
    private MimeMessage Envelope(School school, bool schoolSender, string recipient, string? recipientName)
    {
        var m = new MimeMessage();
        var (from, replyTo) = Identity(school, schoolSender);
        m.From.Add(from);
        if (replyTo is not null) m.ReplyTo.Add(replyTo);
        m.To.Add(new MailboxAddress(recipientName ?? "", recipient));
        // Opaque: recipients see it, so it names no delivery. A bounce quoting it finds its delivery through the id
        // stored with the send's transport event.
        m.MessageId = MessageIds.New(sender.MessageIdDomain);
        return m;
    }

    /// <summary>
    /// One digest email for the deliveries a digest carries (docs/preferences.md, "Digests"): the list of subjects, then
    /// each announcement under its subject, and one footer. The first item is the lead: its delivery's VERP return path
    /// and unsubscribe token stand for the whole digest. Each announcement's HTML keeps its own tracking (its delivery's
    /// pixel and links), so an open or a click counts for the announcement it belongs to. The school's identity is used
    /// when every announcement asked for it.
    /// </summary>
    public MimeMessage BuildDigest(School school, IReadOnlyList<DigestItem> items, string recipient, string? recipientName)
    {
        var lead = items[0];
        var m = Envelope(school, items.All(i => i.Announcement.Sender == "school"), recipient, recipientName);
        m.Subject = DigestText.Subject(school.Name, items.Select(i => i.Announcement.Subject).ToList());
        var footer = MessageFooter.Digest(school.Name, items.Select(i => i.Announcement.Category).Distinct().ToList(),
            UnsubscribeUrl(lead.DeliveryId, lead.Attempt),
            string.IsNullOrWhiteSpace(email.Bounces.Domain) ? null : _unsubscribe.AddressFor(lead.DeliveryId, lead.Attempt));
        var html = items.Any(i => i.Announcement.Html is not null)
            ? DigestText.Html(school.Name, items.Select(i => (i.Announcement.Subject, i.Announcement.Text,
                tracking.Html(school, i.Announcement, i.DeliveryId, i.Attempt))).ToList())
            : null;
        var body = new BodyBuilder
        {
            TextBody = footer.AddTo(DigestText.Text(school.Name, items.Select(i => (i.Announcement.Subject, i.Announcement.Text)).ToList())),
            HtmlBody = footer.AddToHtml(html),
        };
        m.Body = body.ToMessageBody();
        AddUnsubscribe(m, lead.DeliveryId, lead.Attempt);
        return m;
    }

    /// <summary>The From and Reply-To a recipient sees: the school's own when the announcement chose it and the school
    /// has one, else the operator's default (which has no Reply-To).</summary>
    public (MailboxAddress From, MailboxAddress? ReplyTo) Identity(School school, Announcement a) => Identity(school, a.Sender == "school");

    private (MailboxAddress From, MailboxAddress? ReplyTo) Identity(School school, bool schoolSender)
    {
        if (!schoolSender || string.IsNullOrWhiteSpace(school.FromAddress))
            return (new MailboxAddress(sender.DefaultFromName, sender.DefaultFromAddress), null);
        return (new MailboxAddress(school.FromName ?? school.Name, school.FromAddress),
            string.IsNullOrWhiteSpace(school.ReplyTo) ? null : MailboxAddress.Parse(school.ReplyTo));
    }

    /// <summary>
    /// The email as its recipients will see it, for the composer's preview: the same From, Reply-To, subject, bodies and
    /// footer as <see cref="Build"/>. The footer is a non-existent delivery's (id 0), so its unsubscribe link, if
    /// followed, leaves no one; links are shown as written (a send rewrites them for tracking, which looks the same).
    /// </summary>
    public MessagePreview Preview(School school, Announcement a)
    {
        var (from, replyTo) = Identity(school, a);
        var footer = Footer(school, a, 0, 0);
        return new(Shown(from), replyTo is null ? null : Shown(replyTo), a.Subject, footer.AddTo(a.Text), footer.AddToHtml(a.Html));
    }

    /// <summary>An address as mail programs show it: <c>Name &lt;address&gt;</c>, without the header's quoting.</summary>
    private static string Shown(MailboxAddress m) => string.IsNullOrWhiteSpace(m.Name) ? m.Address : $"{m.Name} <{m.Address}>";

    /// <summary>
    /// <c>List-Unsubscribe</c> with a mailto (to the bounce domain) and, when Herald has a public URL, an HTTPS link
    /// plus <c>List-Unsubscribe-Post: List-Unsubscribe=One-Click</c> (RFC 8058 needs the HTTPS link for one-click).
    /// Both carry a signed token naming the delivery, so nobody can unsubscribe someone else by guessing ids.
    /// </summary>
    private void AddUnsubscribe(MimeMessage m, long deliveryId, int attempt)
    {
        if (_unsubscribe.AddressFor(deliveryId, attempt) is not { } mailto) return;
        var links = new List<string>();
        if (UnsubscribeUrl(deliveryId, attempt) is { } url) links.Add($"<{url}>");
        if (!string.IsNullOrWhiteSpace(email.Bounces.Domain))
            links.Add($"<mailto:{mailto}?subject=unsubscribe>");
        if (links.Count == 0) return;
        m.Headers.Add("List-Unsubscribe", string.Join(", ", links));
        if (links[0].StartsWith("<http", StringComparison.OrdinalIgnoreCase))
            m.Headers.Add("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
    }

    /// <summary>The one-click URL (also the page's, by GET), or null without <c>UnsubscribeBaseUrl</c> or a token secret.</summary>
    private string? UnsubscribeUrl(long deliveryId, int attempt) =>
        string.IsNullOrWhiteSpace(email.UnsubscribeBaseUrl) || _unsubscribe.For(deliveryId, attempt) is not { } token ? null
            : $"{email.UnsubscribeBaseUrl.TrimEnd('/')}/{UnsubscribePath}{token}";

    private MessageFooter Footer(School school, Announcement a, long deliveryId, int attempt) => a.Essential
        ? MessageFooter.Essential(school.Name)
        : MessageFooter.Unsubscribe(school.Name, a.Category, UnsubscribeUrl(deliveryId, attempt),
            string.IsNullOrWhiteSpace(email.Bounces.Domain) ? null : _unsubscribe.AddressFor(deliveryId, attempt));
}

/// <summary>An email as a recipient will see it, without recipient or Message-ID (see <see cref="MessageBuilder.Preview"/>).</summary>
public sealed record MessagePreview(string From, string? ReplyTo, string Subject, string? Text, string? Html);
