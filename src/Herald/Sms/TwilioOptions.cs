using System.Text.RegularExpressions;

namespace Herald.Sms;

/// <summary>A Twilio-compatible hosted SMS provider (<c>Herald:Sms:Twilio</c>); required when
/// <c>Herald:Transport:Sms</c> is <c>twilio</c>. See docs/sms.md.</summary>
public sealed partial class TwilioOptions
{
    /// <summary>The provider's REST base URL. Default <c>https://api.twilio.com</c>.</summary>
    public string BaseUrl { get; set; } = "https://api.twilio.com";

    /// <summary>Account SID (<c>AC</c> + 32 hex digits): the basic-auth user and part of the Messages URL.</summary>
    public string? AccountSid { get; set; }

    /// <summary>Auth token: the basic-auth password, and the key of the <c>X-Twilio-Signature</c> on status callbacks.</summary>
    public string? AuthToken { get; set; }

    /// <summary>Sender number (E.164) or alphanumeric sender id; give this or <see cref="MessagingServiceSid"/>.</summary>
    public string? From { get; set; }

    /// <summary>Messaging service SID (<c>MG</c> + 32 hex digits), which then picks the sender; instead of <see cref="From"/>.</summary>
    public string? MessagingServiceSid { get; set; }

    /// <summary>The full URL of Herald's status webhook as the provider reaches it,
    /// e.g. <c>https://herald.example.org/api/v1/sms/twilio/status</c>. Herald adds <c>?d=DELIVERY&amp;a=ATTEMPT</c>;
    /// signatures are checked against this URL, so a reverse proxy in front of Herald does not break them.</summary>
    public string? StatusCallbackUrl { get; set; }

    /// <summary>Most parts a text may need. Default 6.</summary>
    public int MaxParts { get; set; } = 6;

    [GeneratedRegex("^AC[0-9a-fA-F]{32}$")] private static partial Regex AccountSidFormat();
    [GeneratedRegex("^MG[0-9a-fA-F]{32}$")] private static partial Regex ServiceSidFormat();

    /// <summary>What is missing or wrong, for the start-up error.</summary>
    public IEnumerable<string> Problems()
    {
        const string P = "Herald:Sms:Twilio:";
        foreach (var (name, v) in new[] { ("AccountSid", AccountSid), ("AuthToken", AuthToken), ("StatusCallbackUrl", StatusCallbackUrl) })
            if (string.IsNullOrWhiteSpace(v)) yield return $"{P}{name}: required when Herald:Transport:Sms is twilio";
        if (!string.IsNullOrWhiteSpace(AccountSid) && !AccountSidFormat().IsMatch(AccountSid))
            yield return $"{P}AccountSid: 'AC' followed by 32 hexadecimal digits";
        if (AuthToken is { Length: > 0 and < 16 }) yield return $"{P}AuthToken: at least 16 characters";
        if (string.IsNullOrWhiteSpace(From) == string.IsNullOrWhiteSpace(MessagingServiceSid))
            yield return $"{P}From / MessagingServiceSid: give exactly one of them";
        if (!string.IsNullOrWhiteSpace(MessagingServiceSid) && !ServiceSidFormat().IsMatch(MessagingServiceSid))
            yield return $"{P}MessagingServiceSid: 'MG' followed by 32 hexadecimal digits";
        foreach (var (name, v) in new[] { ("BaseUrl", BaseUrl), ("StatusCallbackUrl", StatusCallbackUrl) })
            if (!string.IsNullOrWhiteSpace(v) && !(Uri.TryCreate(v, UriKind.Absolute, out var u) && u.Scheme is "http" or "https"))
                yield return $"{P}{name}: not an absolute http(s) URL";
        if (string.IsNullOrWhiteSpace(BaseUrl)) yield return $"{P}BaseUrl: required (default https://api.twilio.com)";
        // Herald appends its own query; a fragment would swallow it.
        if (StatusCallbackUrl?.Contains('#') == true) yield return $"{P}StatusCallbackUrl: must not contain '#'";
        if (MaxParts is < 1 or > 10) yield return $"{P}MaxParts: between 1 and 10";
    }
}
