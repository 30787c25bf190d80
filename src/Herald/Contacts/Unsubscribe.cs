using Dapper;
using Herald.Core.Deliveries;
using Herald.Deliveries;
using Herald.Email;
using Herald.Storage;

namespace Herald.Contacts;

/// <summary>What an unsubscribe token names: the delivery it was made for, and the school, contact and category behind it.</summary>
/// <param name="ContactExists">False when the contact has been deleted since (its delivery stays in the reports).</param>
/// <param name="Categories">What the link leaves: the announcement's category, or for a digest's link every category the
/// digest carried (one button in the mail client stands for the whole email).</param>
public sealed record UnsubscribeTarget(long DeliveryId, long SchoolId, string SchoolName, long ContactId, bool ContactExists,
    long AnnouncementId, string Category, bool Essential, IReadOnlyList<string> Categories)
{
    /// <summary>The categories as the page names them.</summary>
    public string Named => string.Join(", ", Categories);
}

/// <summary>What an unsubscribe did.</summary>
public enum UnsubscribeOutcome
{
    /// <summary>The contact is now opted out of the category's emails.</summary>
    Unsubscribed,
    /// <summary>The contact was already opted out (of the category by email, or on every channel): nothing changed.</summary>
    AlreadyOut,
    /// <summary>The announcement is essential: nobody can leave it, nothing changed.</summary>
    Essential,
    /// <summary>The contact was deleted: nothing to change.</summary>
    ContactGone,
}

/// <summary>
/// Recipients' own unsubscribes (docs/preferences.md): the one-click link, the mailto reply and the unsubscribe page
/// all come here with a signed token, and the ledger records the change and its event. The scope is the announcement's
/// category <b>by email</b>: the recipient acted on an email, and mail clients label the button "unsubscribe from these
/// emails"; SMS of the same category is a separate choice (and a school's way to reach a family that reads no email).
/// </summary>
public sealed class Unsubscriber(Database db, DeliveryLedger ledger, UnsubscribeTokens tokens)
{
    private sealed class Row
    {
        public long id { get; set; }
        public long school_id { get; set; }
        public string school_name { get; set; } = "";
        public long contact_id { get; set; }
        public long contact_exists { get; set; }
        public long announcement_id { get; set; }
        public string category { get; set; } = "";
        public long essential { get; set; }
        public long? digest_id { get; set; }
    }

    /// <summary>The target of a token from a URL, or null when the token is forged, mangled, or names no email delivery.</summary>
    public UnsubscribeTarget? Find(string? token) => tokens.Parse(token) is { } t ? Load(t.DeliveryId) : null;

    /// <summary>The target of an <c>unsubscribe+TOKEN@domain</c> address, or null.</summary>
    public UnsubscribeTarget? FindAddress(string? address) => tokens.ParseAddress(address) is { } t ? Load(t.DeliveryId) : null;

    /// <summary>Addresses of the unsubscribe shape in <paramref name="text"/> (not yet verified).</summary>
    public IEnumerable<string> CandidatesIn(string text) => tokens.CandidatesIn(text);

    private UnsubscribeTarget? Load(long deliveryId)
    {
        using var c = db.Open();
        var r = c.QuerySingleOrDefault<Row>(
            """
            SELECT d.id, d.school_id, s.name AS school_name, d.contact_id,
                   (SELECT COUNT(*) FROM contacts k WHERE k.id = d.contact_id AND k.school_id = d.school_id) AS contact_exists,
                   d.announcement_id, a.category, a.essential, d.digest_id
            FROM deliveries d JOIN announcements a ON a.id = d.announcement_id JOIN schools s ON s.id = d.school_id
            WHERE d.id = @deliveryId AND d.channel = 'email'
            """, new { deliveryId });
        if (r is null) return null;
        var categories = r.digest_id is { } digestId
            ? c.Query<string>("SELECT DISTINCT a.category FROM deliveries d JOIN announcements a ON a.id = d.announcement_id WHERE d.digest_id = @digestId",
                new { digestId }).Order(StringComparer.Ordinal).ToList()
            : [r.category];
        if (categories.Count == 0) categories = [r.category];
        return new(r.id, r.school_id, r.school_name, r.contact_id, r.contact_exists > 0, r.announcement_id, r.category, r.essential == 1, categories);
    }

    /// <summary>Opts the contact out of the category's emails, at once and idempotently.</summary>
    /// <param name="source"><c>link</c>, <c>reply</c> or <c>page</c>.</param>
    public UnsubscribeOutcome OptOut(UnsubscribeTarget t, EventSource source)
    {
        if (t.Essential) return UnsubscribeOutcome.Essential;
        if (!t.ContactExists) return UnsubscribeOutcome.ContactGone;
        var changed = false;
        foreach (var category in t.Categories)
            changed |= ledger.RecordPreferenceChange(t.SchoolId, t.ContactId, category, Channel.Email, optOut: true, source, t.AnnouncementId,
                $"{How(source)} of announcement {t.AnnouncementId}");
        return changed ? UnsubscribeOutcome.Unsubscribed : UnsubscribeOutcome.AlreadyOut;
    }

    /// <summary>The page's undo: back in to the category's emails. False when nothing changed.</summary>
    public bool OptBackIn(UnsubscribeTarget t)
    {
        if (t.Essential || !t.ContactExists) return false;
        var changed = false;
        foreach (var category in t.Categories)
            changed |= ledger.RecordPreferenceChange(t.SchoolId, t.ContactId, category, Channel.Email, optOut: false,
                EventSource.Page, t.AnnouncementId, $"undo on the unsubscribe page of announcement {t.AnnouncementId}");
        return changed;
    }

    /// <summary>Whether the contact is opted out of the link's categories' emails now (by email, or on every channel).</summary>
    public bool IsOut(UnsubscribeTarget t)
    {
        using var c = db.Open();
        var categories = t.Categories.ToArray();
        return c.ExecuteScalar<long>($"SELECT COUNT(DISTINCT category) FROM contact_opt_outs WHERE contact_id = @contactId AND category {Database.InList(c, "categories")} AND (channel IS NULL OR channel = 'email')",
            new { contactId = t.ContactId, categories }) == categories.Length;
    }

    /// <summary>The contact's digest choice (<c>no</c>, <c>yes</c> or a schedule), the school's default digest and its time zone.</summary>
    public (string Choice, string SchoolDigest, string TimeZone) DigestOf(UnsubscribeTarget t)
    {
        using var c = db.Open();
        var r = c.QuerySingle<(long? Digest, string? Schedule, string SchoolDigest, string TimeZone)>(
            """
            SELECT k.digest, k.digest_schedule, s.digest_schedule, s.time_zone
            FROM schools s LEFT JOIN contacts k ON k.id = @contactId AND k.school_id = s.id WHERE s.id = @schoolId
            """, new { contactId = t.ContactId, schoolId = t.SchoolId });
        return (Schools.DigestDue.Choice(r.Digest ?? 0, r.Schedule).ToString(), r.SchoolDigest, r.TimeZone);
    }

    /// <summary>The categories the page lists: the distinct categories of the school's announcements, and any the contact
    /// has opted out of; never <c>essential</c>, which nobody can leave.</summary>
    public IReadOnlyList<string> CategoriesOf(UnsubscribeTarget t)
    {
        using var c = db.Open();
        return c.Query<string>(
            """
            SELECT category FROM announcements WHERE school_id = @SchoolId AND essential = 0 AND category <> 'essential'
            UNION
            SELECT category FROM contact_opt_outs WHERE contact_id = @ContactId AND category <> 'essential'
            """, new { t.SchoolId, t.ContactId }).Distinct().Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Whether the contact receives each category on each channel now (false when opted out on it, or on every channel).</summary>
    public IReadOnlyDictionary<(string Category, Channel Channel), bool> Receiving(UnsubscribeTarget t, IEnumerable<string> categories)
    {
        using var c = db.Open();
        var outs = c.Query<(string Category, string? Channel)>("SELECT category, channel FROM contact_opt_outs WHERE contact_id = @ContactId",
            new { t.ContactId }).ToList();
        var map = new Dictionary<(string, Channel), bool>();
        foreach (var category in categories)
            foreach (var channel in Enum.GetValues<Channel>())
                map[(category, channel)] = !outs.Any(o => o.Category == category && (o.Channel is null || o.Channel == channel.Name()));
        return map;
    }

    /// <summary>The page's "choose categories and channels" form (and its undo): every choice that differs from now is one
    /// change, recorded by the ledger with source <c>page</c> in one transaction. Answers the changes made.</summary>
    public IReadOnlyList<(string Category, Channel Channel, bool Receive)> Choose(UnsubscribeTarget t,
        IReadOnlyCollection<(string Category, Channel Channel, bool Receive)> choices) =>
        !t.ContactExists ? []
            : ledger.RecordPreferenceChoices(t.SchoolId, t.ContactId, choices.Where(x => x.Category != "essential").ToList(), EventSource.Page,
                t.AnnouncementId, $"choices on the preference page of announcement {t.AnnouncementId}");

    private static string How(EventSource source) => source switch
    {
        EventSource.Link => "one-click unsubscribe link",
        EventSource.Reply => "mail to the unsubscribe address",
        _ => "button on the unsubscribe page",
    };
}
