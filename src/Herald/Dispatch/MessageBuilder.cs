using Herald.Announcements;
using Herald.Hosting;
using Herald.Schools;
using MimeKit;

namespace Herald.Dispatch;

/// <summary>Builds the MIME message of one delivery: sender identity, alternatives, a unique Message-ID.</summary>
public sealed class MessageBuilder(HeraldOptions options)
{
    public MimeMessage Build(School school, Announcement a, long deliveryId, int attempt, string recipient, string? recipientName)
    {
        var m = new MimeMessage();
        var schoolFrom = a.Sender == "school" && !string.IsNullOrWhiteSpace(school.FromAddress) ? school.FromAddress : null;
        var useSchool = schoolFrom is not null;
        m.From.Add(schoolFrom is not null
            ? new MailboxAddress(school.FromName ?? school.Name, schoolFrom)
            : new MailboxAddress(options.Sender.DefaultFromName, options.Sender.DefaultFromAddress));
        if (useSchool && !string.IsNullOrWhiteSpace(school.ReplyTo)) m.ReplyTo.Add(MailboxAddress.Parse(school.ReplyTo));
        m.To.Add(new MailboxAddress(recipientName ?? "", recipient));
        m.Subject = a.Subject;
        // The delivery id in the Message-ID lets a bounce that quotes only the original headers find its delivery.
        m.MessageId = $"herald.{deliveryId}.{attempt}.{Guid.NewGuid():N}@{options.Sender.MessageIdDomain}";
        m.Headers.Add("X-Herald-Delivery", deliveryId.ToString());
        var body = new BodyBuilder { TextBody = a.Text, HtmlBody = a.Html };
        m.Body = body.ToMessageBody();
        return m;
    }
}
