using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Dapper;
using Herald.Core.Bounces;
using Herald.Core.Deliveries;
using Herald.Contacts;
using Herald.Email;
using Herald.Deliveries;
using Herald.Observability;
using Herald.Storage;
using MimeKit;

namespace Herald.Bounces;

/// <summary>What became of one returned message.</summary>
public enum BounceMailOutcome
{
    /// <summary>Tied to a delivery; its event was recorded.</summary>
    Recorded,
    /// <summary>Tied to a delivery, but the same message was recorded before (re-read after a crash, or sent twice).</summary>
    Duplicate,
    /// <summary>A bounce, complaint or reply that names no delivery of ours (or a forged one).</summary>
    Unmatched,
    /// <summary>Tied to a delivery, but neither a bounce, a complaint, a delivery report nor an auto-reply.</summary>
    NotBounce,
    /// <summary>Not readable as a mail message.</summary>
    Unreadable,
    /// <summary>A mail to a signed <c>unsubscribe+TOKEN@</c> address (the List-Unsubscribe mailto): the contact is opted out
    /// (or already was, or the announcement was essential); never a bounce.</summary>
    Unsubscribed,
}

/// <summary>The answer of <see cref="BounceMailProcessor.Process"/>.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="DeliveryId">The delivery the message was tied to, if any.</param>
/// <param name="Status">The delivery's status afterwards, when tied to one.</param>
/// <param name="Summary">One line for the log: the kind, how it was matched, and why not when it was not.</param>
public sealed record BounceMailResult(BounceMailOutcome Outcome, long? DeliveryId, DeliveryStatus? Status, string Summary)
{
    /// <summary>True when the message belongs in the processed folder; false when it is kept aside for a person.</summary>
    public bool Handled => Outcome is BounceMailOutcome.Recorded or BounceMailOutcome.Duplicate or BounceMailOutcome.Unsubscribed;

    /// <summary>The metric label: <c>recorded</c>, <c>duplicate</c>, <c>unmatched</c>, <c>not_bounce</c>, <c>unreadable</c>,
    /// <c>unsubscribed</c>.</summary>
    public string Label => Outcome switch
    {
        BounceMailOutcome.Recorded => "recorded",
        BounceMailOutcome.Duplicate => "duplicate",
        BounceMailOutcome.Unmatched => "unmatched",
        BounceMailOutcome.NotBounce => "not_bounce",
        BounceMailOutcome.Unsubscribed => "unsubscribed",
        _ => "unreadable",
    };
}

/// <summary>
/// Turns one returned message (its raw bytes) into an event on the delivery it is about: classifies it with the
/// bounce engine, ties it to its delivery by the signed VERP return path or, failing that, by the exact original
/// Message-ID Herald stored when it sent the message, when the bounce's recipient is that delivery's address, and
/// records the event. Knows nothing of IMAP: <c>herald bounces receive</c> (a mail server's pipe) feeds it too. The event's provider id comes from the message itself, so
/// processing the same message twice (a crash before it was moved) changes nothing.
/// </summary>
public sealed class BounceMailProcessor
{
    /// <summary>The largest header section read (the top-level message's, up to its first empty line). RFC 5322 §2.1.1
    /// allows 998 characters a line but any number of folded lines; 1 MiB holds any real report, and a thread of ten
    /// thousand References ids, while a message that is all header is refused before MimeKit builds its header list.</summary>
    internal const int MaxHeaderBytes = 1024 * 1024;

    /// <summary>How deep MIME parts may nest. A report is three levels (report, returned message, its parts); MimeKit's
    /// default is 1024, which lets a crafted message make the parser and the bounce engine walk a very deep tree.</summary>
    internal const int MaxMimeDepth = 32;

    /// <summary>VERP-shaped addresses checked in one message (each costs a MAC, a real one a database lookup). Returns
    /// that quote many of our return paths are not a real bounce's shape; the first ones are the envelope's.</summary>
    internal const int MaxVerpCandidates = 16;

    /// <summary>Rows read for one stored Message-ID: one per attempt of one delivery, never more than a few.</summary>
    internal const int MaxSentRows = 8;

    private static readonly ParserOptions Parser = CreateParser();

    private static ParserOptions CreateParser()
    {
        var o = ParserOptions.Default.Clone();
        o.MaxMimeDepth = MaxMimeDepth;
        return o;
    }

    private readonly Database _db;
    private readonly DeliveryLedger _recorder;
    private readonly TimeProvider _time;
    private readonly VerpAddress? _verp;
    private readonly string _messageIdDomain;
    private readonly Unsubscriber _unsubscriber;

    public BounceMailProcessor(Database db, DeliveryLedger recorder, EmailOptions email, SenderOptions sender, TimeProvider time,
        Unsubscriber unsubscriber)
    {
        (_db, _recorder, _time, _unsubscriber) = (db, recorder, time, unsubscriber);
        var b = email.Bounces;
        if (!string.IsNullOrWhiteSpace(b.Domain) && !string.IsNullOrWhiteSpace(b.TokenSecret))
        {
            _verp = new VerpAddress(b.LocalPart, b.Domain, b.TokenSecret, b.PreviousTokenSecrets);
        }
        _messageIdDomain = sender.MessageIdDomain;
    }

    private sealed class DeliveryRow
    {
        public long id { get; set; }
        public string channel { get; set; } = "";
        public string? address { get; set; }
        public long attempt { get; set; }
    }

    private sealed record Match(DeliveryRow Delivery, int Attempt, string How);

    /// <summary>Classifies, matches and records one message. Throws only when the database does (the caller keeps the
    /// message and tries again later).</summary>
    public BounceMailResult Process(byte[] raw)
    {
        BounceMailResult result;
        try { result = ProcessCore(raw); }
        catch (Exception e) when (e is not (DbException or OperationCanceledException or OutOfMemoryException))
        {
            // Anything but the database failing is about this message: kept aside, so one poison message cannot stop
            // the mail behind it from being read.
            result = new(BounceMailOutcome.Unreadable, null, null, $"processing failed: {e.GetType().Name}: {e.Message}");
        }
        HeraldMetrics.BounceMail.WithLabels(result.Label).Inc();
        return result;
    }

    private BounceMailResult ProcessCore(byte[] raw)
    {
        if (HeaderSectionLength(raw) is null)
            return new(BounceMailOutcome.Unreadable, null, null, $"header section longer than {MaxHeaderBytes} bytes; not parsed");
        MimeMessage m;
        try { m = MimeMessage.Load(Parser, new MemoryStream(raw, writable: false)); }
        catch (Exception error) when (error is FormatException or ParseException)
        {
            return new(BounceMailOutcome.Unreadable, null, null, $"not a mail message: {error.Message}");
        }
        if (Unsubscribe(m) is { } unsubscribed) return unsubscribed;
        var report = BounceAnalyzer.Analyze(m);
        if (report.Error is not null && m.Headers.Count == 0)
            return new(BounceMailOutcome.Unreadable, null, null, report.Error);

        var kind = report.Kind.ToVocabulary();
        var (match, why) = FindDelivery(m, raw, report);
        if (match is null) return new(BounceMailOutcome.Unmatched, null, null, $"{kind}: {why}");
        var d = match.Delivery;
        if (report.Kind == MessageKind.NotBounce)
            return new(BounceMailOutcome.NotBounce, d.id, null, $"not a bounce, complaint, delivery report or auto-reply (matched delivery {d.id} {match.How})");

        var r = RecipientFor(report, d.address);
        var (status, reason, what) = report.Kind switch
        {
            MessageKind.Complaint => (DeliveryStatus.Spam, "feedback", $"spam complaint (feedback type {r?.FeedbackType ?? "abuse"})"),
            MessageKind.DeliveryReport => (DeliveryStatus.Delivered, null, "delivery report"),
            MessageKind.AutoReply => ((DeliveryStatus?)null, "vacation", $"auto-reply from {r?.Address}: {m.Subject}"),
            _ => BounceStatus(r),
        };
        var detail = new StringBuilder($"bounce mail: {what}");
        if (r is not null && report.Kind is MessageKind.Bounce or MessageKind.DeliveryReport)
        {
            detail.Append($"; {r.Action} {r.Status} {r.ReplyCode}".TrimEnd()).Append($" {r.Reason.ToVocabulary()}");
            if (r.Diagnostic is not null) detail.Append($": {r.Diagnostic}");
            if (r.RemoteMta is not null) detail.Append($" (remote {r.RemoteMta})");
        }
        detail.Append($"; matched {match.How}");
        if (m.MessageId is { Length: > 0 } mid) detail.Append($"; bounce message <{mid}>");
        if (m.Headers.Contains(HeaderId.Date)) detail.Append($" dated {m.Date:u}");
        // Feedback about an earlier attempt is logged under it and leaves the resend's status alone (the recorder's rule).
        var e = new DeliveryEvent(d.id, status, EventSource.Bounce, detail.ToString(), ProviderId(m, raw), Received(), reason,
            Attempt: match.Attempt);
        var outcome = _recorder.Record(e);
        return outcome.Result switch
        {
            EventResult.Duplicate => new(BounceMailOutcome.Duplicate, d.id, outcome.Status, $"{kind}: already recorded for delivery {d.id}"),
            EventResult.UnknownDelivery => new(BounceMailOutcome.Unmatched, null, null, $"{kind}: delivery {d.id} is gone"),
            _ => new(BounceMailOutcome.Recorded, d.id, outcome.Status, $"{kind} for delivery {d.id} ({match.How}): {status?.Name() ?? "logged"}"),
        };
    }

    /// <summary>The header fields that say where a message was addressed: only the top-level message's, so a bounce that
    /// quotes one of Herald's messages (whose List-Unsubscribe names the address) never counts as an unsubscribe.</summary>
    private static readonly HashSet<string> AddressedTo = new(StringComparer.OrdinalIgnoreCase)
        { "To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To" };

    /// <summary>
    /// A mail to <c>unsubscribe+TOKEN@bounce-domain</c> (the List-Unsubscribe mailto, RFC 2369): the token is verified
    /// like the one-click link's and the contact opted out of the announcement's category by email (source
    /// <c>reply</c>), idempotently. Null when the message is not addressed to such an address; unmatched when none
    /// of its unsubscribe addresses verifies (forged or damaged: nothing changes).
    /// </summary>
    private BounceMailResult? Unsubscribe(MimeMessage m)
    {
        var addressed = string.Join("\n", m.Headers.Where(h => AddressedTo.Contains(h.Field)).Take(64).Select(h => h.Value));
        var candidates = _unsubscriber.CandidatesIn(addressed).Take(MaxVerpCandidates).ToList();
        if (candidates.Count == 0) return null;
        foreach (var candidate in candidates)
        {
            if (_unsubscriber.FindAddress(candidate) is not { } target) continue;
            var said = _unsubscriber.OptOut(target, EventSource.Reply) switch
            {
                Herald.Contacts.UnsubscribeOutcome.Unsubscribed => $"opted out of '{target.Named}' by email",
                Herald.Contacts.UnsubscribeOutcome.AlreadyOut => $"already opted out of '{target.Named}' by email; nothing changed",
                Herald.Contacts.UnsubscribeOutcome.Essential => "the announcement is essential and cannot be left; nothing changed",
                _ => "the contact was deleted; nothing changed",
            };
            return new(BounceMailOutcome.Unsubscribed, target.DeliveryId, null,
                $"unsubscribe request for delivery {target.DeliveryId} (contact {target.ContactId}): {said}");
        }
        return new(BounceMailOutcome.Unmatched, null, null, "unsubscribe request: forged or damaged unsubscribe token, or its delivery is gone");
    }

    /// <summary>A failure or delay. The relay is still retrying a delayed message itself, so Herald schedules no
    /// retry of its own (no next try); a failure that is not the address's fault means the relay gave up for
    /// policy, reputation or time reasons: rejected.</summary>
    private static (DeliveryStatus?, string?, string) BounceStatus(BouncedRecipient? r) => r switch
    {
        null => (null, null, "bounce without recipients"),
        { Action: "delayed" } => (DeliveryStatus.SoftBounce, r.Reason.ToVocabulary(), "delayed (the relay keeps trying)"),
        { Action: "relayed" or "expanded" } => (null, null, $"{r.Action} (no further reports will come)"),
        { Hard: true } => (DeliveryStatus.HardBounce, r.Reason.ToVocabulary(), "hard bounce"),
        _ => (DeliveryStatus.Rejected, r.Reason.ToVocabulary(), "refused"),
    };

    /// <summary>The report's recipient that is the delivery's address; else, the VERP token having said which
    /// delivery it is (forwarding can change the final recipient), the first one.</summary>
    private static BouncedRecipient? RecipientFor(BounceReport report, string? address) =>
        report.Recipients.FirstOrDefault(r => SameAddress(r.Address, address) || SameAddress(r.OriginalRecipient, address))
        ?? report.Recipients.FirstOrDefault();

    private (Match? Match, string Why) FindDelivery(MimeMessage m, byte[] raw, BounceReport report)
    {
        var forged = 0;
        if (_verp is not null)
        {
            // Latin-1 keeps every byte as one char, so nothing in a broken message can make this throw.
            // Anything shaped like our return path, wherever it stands (Delivered-To, the DSN's envelope fields, the
            // Return-Path of an enclosed copy); the MAC then says which are real.
            foreach (var candidate in _verp.CandidatesIn(Encoding.Latin1.GetString(raw)).Take(MaxVerpCandidates))
            {
                if (_verp.Parse(candidate) is not { } token) { forged++; continue; }
                if (Load(token.DeliveryId) is { } d) return (new Match(d, token.Attempt, "by VERP return path"), "");
            }
        }
        var ids = CandidateMessageIds(m, report);
        int ours = 0, sentIds = 0;
        foreach (var id in ids)
        {
            if (!MessageIds.IsOurs(id, _messageIdDomain)) continue;
            ours++;
            // The exact id stored when the message went out: a made-up id of the right shape names nothing. Even the
            // real one is no proof on its own (every recipient and relay saw it): only the delivery's own address
            // bouncing (or complaining, or replying) counts.
            foreach (var sent in SentWith(id))
            {
                sentIds++;
                if (Load(sent.delivery_id) is { } d && report.Recipients.Any(r => SameAddress(r.Address, d.address) || SameAddress(r.OriginalRecipient, d.address)))
                    return (new Match(d, (int)sent.attempt, "by original Message-ID and recipient"), "");
            }
        }
        var why = forged > 0 ? "forged or damaged VERP token" : "no VERP token of ours";
        return (null, (ids.Count, ours, sentIds) switch
        {
            (0, _, _) => $"{why} and no original Message-ID",
            (_, 0, _) => $"{why}, and no quoted Message-ID of Herald's",
            (_, _, 0) => $"{why}, and the quoted Message-ID has Herald's shape but Herald never sent it",
            _ => $"{why}, and the quoted Herald Message-ID was not sent to the report's recipient",
        });
    }

    /// <summary>The length of the header section up to and including its empty line (or the whole message when it has no
    /// body), or null when no empty line comes within <see cref="MaxHeaderBytes"/>.</summary>
    internal static int? HeaderSectionLength(ReadOnlySpan<byte> raw)
    {
        var window = raw[..Math.Min(raw.Length, MaxHeaderBytes)];
        var lf = window.IndexOf("\n\n"u8);
        var crlf = window.IndexOf("\n\r\n"u8);
        var end = (lf, crlf) switch
        {
            (< 0, < 0) => -1,
            (< 0, _) => crlf + 3,
            (_, < 0) => lf + 2,
            _ => Math.Min(lf + 2, crlf + 3),
        };
        if (end >= 0) return end;
        return raw.Length <= MaxHeaderBytes ? raw.Length : null;
    }

    /// <summary>
    /// At most three ids, in the order that says most: the original Message-ID the report quotes, then In-Reply-To,
    /// then the last References entry (the message replied to). Earlier References entries are older messages of a
    /// thread, and a sender who lists many ids must not get many guesses or many lookups.
    /// </summary>
    private static List<string> CandidateMessageIds(MimeMessage m, BounceReport report)
    {
        var ids = new List<string>(3);
        foreach (var id in new[] { report.OriginalMessageId, m.InReplyTo, m.References.Count > 0 ? m.References[^1] : null })
            if (!string.IsNullOrWhiteSpace(id) && !ids.Contains(MessageIds.Bare(id), StringComparer.Ordinal)) ids.Add(MessageIds.Bare(id));
        return ids;
    }

    private sealed class SentRow
    {
        public long delivery_id { get; set; }
        public long attempt { get; set; }
    }

    /// <summary>The delivery and attempt whose transport event stored exactly this Message-ID (without angle brackets).</summary>
    private List<SentRow> SentWith(string messageId)
    {
        using var c = _db.Open();
        return c.Query<SentRow>($"SELECT delivery_id, attempt FROM events WHERE message_id = @messageId AND delivery_id IS NOT NULL AND attempt IS NOT NULL LIMIT {MaxSentRows}",
            new { messageId }).ToList();
    }

    private DeliveryRow? Load(long deliveryId)
    {
        using var c = _db.Open();
        var d = c.QuerySingleOrDefault<DeliveryRow>("SELECT id, channel, address, attempt FROM deliveries WHERE id = @deliveryId", new { deliveryId });
        return d is { channel: "email" } ? d : null;
    }

    /// <summary>The event's time is when Herald read the report, not its Date header: that is a foreign clock with
    /// whole seconds, and a report can only come after the send it is about, so ordering it against Herald's own
    /// events (sent and soft_bounce rank equal, the later wins) must not depend on it. The Date goes into the detail.</summary>
    private DateTimeOffset Received() => _time.GetUtcNow();

    private static bool SameAddress(string? a, string? b) =>
        !string.IsNullOrWhiteSpace(a) && !string.IsNullOrWhiteSpace(b) && a.Trim().Trim('<', '>').Equals(b.Trim(), StringComparison.OrdinalIgnoreCase);

    /// <summary>The same message always gives the same id: its Message-ID, or its bytes when it has none.</summary>
    private static string ProviderId(MimeMessage m, byte[] raw)
    {
        var basis = m.MessageId is { Length: > 0 } id ? Encoding.UTF8.GetBytes("id:" + id) : raw;
        return "mail:" + Convert.ToHexStringLower(SHA256.HashData(basis))[..40];
    }
}
