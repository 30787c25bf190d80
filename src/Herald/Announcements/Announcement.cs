using System.Text.Json;
using Herald.Contacts;
using Herald.Core.Deliveries;
using Herald.Http;

namespace Herald.Announcements;

/// <summary>Who receives an announcement: everyone, some groups, or a list of contacts (exactly one of them).</summary>
public sealed record Audience(bool? All = null, IReadOnlyList<string>? Groups = null, IReadOnlyList<long>? ContactIds = null);

/// <summary>An announcement as the API receives it.</summary>
/// <param name="Subject">Email subject (required, at most 300 characters).</param>
/// <param name="Text">Plain-text body.</param>
/// <param name="Html">HTML body; at least one of text and HTML is required for email.</param>
/// <param name="SmsText">SMS text; defaults to the plain-text body.</param>
/// <param name="Channels"><c>email</c> and/or <c>sms</c>.</param>
/// <param name="Category">Category for opt-outs (e.g. <c>trips</c>).</param>
/// <param name="Essential">Essential announcements ignore opt-outs and digests (never a failed address).</param>
/// <param name="Audience">Who receives it.</param>
/// <param name="Sender"><c>school</c> (the school's white-labelled From/Reply-To) or <c>default</c> (the operator's no-reply address).</param>
/// <param name="Track">False: no open pixel and no tracked links in this announcement's HTML email (default true; the
/// school's switch and the operator's <c>Herald:Email:Tracking:BaseUrl</c> must allow it too).</param>
public sealed record AnnouncementInput(string? Subject, string? Text, string? Html, string? SmsText, IReadOnlyList<string>? Channels,
    string? Category, bool? Essential, Audience? Audience, string? Sender, bool? Track = null);

/// <summary>A validated announcement.</summary>
public sealed record Announcement(long Id, long SchoolId, string Subject, string? Text, string? Html, string? SmsText,
    IReadOnlyList<Channel> Channels, string Category, bool Essential, Audience Audience, string Sender, string State,
    DateTimeOffset CreatedAt, DateTimeOffset? SentAt, bool Track = true);

public static class AnnouncementRules
{
    public const int MaxBody = 1_000_000;

    /// <summary>Most contact ids in an audience: a class list or a few year groups, far more than a hand-picked list
    /// ever is; a whole school is <c>all</c> or its groups.</summary>
    public const int MaxContactIds = 10_000;

    /// <summary>Most entries in a channels list (there are two channels; repeats are tolerated, a flood is not).</summary>
    public const int MaxChannels = 10;

    /// <summary>Most groups in an audience (a school has a few dozen: years, classes, clubs).</summary>
    public const int MaxGroups = 100;

    /// <param name="a">The announcement as posted.</param>
    /// <param name="smsMaxParts">Most SMS parts a text may need (<c>Herald:Sms:Kannel:MaxParts</c>).</param>
    public static List<FieldProblem> Validate(AnnouncementInput a, int smsMaxParts = 6)
    {
        var p = new List<FieldProblem>();
        if (string.IsNullOrWhiteSpace(a.Subject)) p.Add(new("subject", "is required"));
        else if (a.Subject.Length > 300) p.Add(new("subject", "is longer than 300 characters"));
        if (a.Text is { Length: > MaxBody }) p.Add(new("text", $"is longer than {MaxBody} characters"));
        if (a.Html is { Length: > MaxBody }) p.Add(new("html", $"is longer than {MaxBody} characters"));
        if (a.SmsText is { Length: > 1600 }) p.Add(new("smsText", "is longer than 1600 characters"));
        if (a.Channels is null || a.Channels.Count == 0) p.Add(new("channels", "is required: email, sms or both"));
        else if (a.Channels.Count > MaxChannels) p.Add(new("channels", $"has {a.Channels.Count} entries; the limit is {MaxChannels}"));
        else
            foreach (var ch in a.Channels)
                if (!Wire.TryParseChannel(ch, out _)) p.Add(new("channels", $"'{ch}' is not email or sms"));
        var channels = (a.Channels ?? []).Where(c => Wire.TryParseChannel(c, out _)).Select(Wire.ParseChannel).ToList();
        if (channels.Contains(Channel.Email) && string.IsNullOrWhiteSpace(a.Text) && string.IsNullOrWhiteSpace(a.Html))
            p.Add(new("text", "an email needs a text or an HTML body"));
        if (channels.Contains(Channel.Sms) && string.IsNullOrWhiteSpace(a.SmsText) && string.IsNullOrWhiteSpace(a.Text))
            p.Add(new("smsText", "an SMS needs smsText or a text body"));
        // The dispatcher sends smsText, else the text body; a long one is billed per part, so refuse it here
        // rather than fail at send time (which is not the number's fault).
        else if (channels.Contains(Channel.Sms) && (a.SmsText ?? a.Text) is { Length: <= 1600 } smsBody
                 && Herald.Core.Sms.SmsText.Measure(smsBody) is { } enc && enc.Parts > smsMaxParts)
            p.Add(new("smsText", $"text needs {enc.Parts} parts ({enc.Encoding}, {enc.Units} units); the maximum is {smsMaxParts}"));
        if (string.IsNullOrWhiteSpace(a.Category)) p.Add(new("category", "is required (e.g. 'general', 'trips')"));
        else if (!ContactRules.IsCategory(a.Category)) p.Add(new("category", $"'{a.Category}' is not a category (1-40 of a-z, 0-9, '_', '.', '-')"));
        if (a.Audience is null) p.Add(new("audience", "is required: {\"all\": true}, {\"groups\": [...]} or {\"contactIds\": [...]}"));
        else
        {
            var kinds = (a.Audience.All == true ? 1 : 0) + (a.Audience.Groups is { Count: > 0 } ? 1 : 0) + (a.Audience.ContactIds is { Count: > 0 } ? 1 : 0);
            if (kinds != 1) p.Add(new("audience", "give exactly one of all: true, groups or contactIds"));
            if (a.Audience.ContactIds is { Count: > MaxContactIds })
                p.Add(new("audience.contactIds", $"has {a.Audience.ContactIds.Count} ids; the limit is {MaxContactIds} (use groups or all for more)"));
            if (a.Audience.Groups is { Count: > MaxGroups })
                p.Add(new("audience.groups", $"has {a.Audience.Groups.Count} groups; the limit is {MaxGroups}"));
            else
                foreach (var g in a.Audience.Groups ?? [])
                    if (!ContactRules.IsCategory(g)) p.Add(new("audience.groups", $"'{g}' is not a group name"));
        }
        if (a.Sender is not (null or "school" or "default")) p.Add(new("sender", $"'{a.Sender}' is not 'school' or 'default'"));
        return p;
    }

    public static string AudienceJson(Audience a) => JsonSerializer.Serialize(a, JsonSerializerOptions.Web);
    public static Audience ParseAudience(string json) => JsonSerializer.Deserialize<Audience>(json, JsonSerializerOptions.Web)!;
}
