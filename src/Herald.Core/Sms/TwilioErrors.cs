namespace Herald.Core.Sms;

/// <summary>Whose fault a hosted-provider SMS error is, which decides what Herald does with it.</summary>
public enum SmsFault
{
    /// <summary>The number cannot receive SMS (invalid, unknown, a landline, unreachable handset): the delivery
    /// fails and the number is marked failed, so later SMS to it are dropped until support resets it.</summary>
    Number,
    /// <summary>Final for this message but not the number's fault (carrier filtering, queue overflow,
    /// suspended account, unknown carrier error): the delivery fails, the number stays usable.</summary>
    Message,
    /// <summary>Herald's account or settings (credentials, sender, region permission, rate limit): retried as a
    /// soft bounce within the retry window, since the operator can fix it; never blames the number.</summary>
    Account,
}

/// <summary>One known Twilio error code.</summary>
/// <param name="Code">Twilio's numeric error code (<c>code</c> in a REST error, <c>ErrorCode</c> in a status callback).</param>
/// <param name="Text">Twilio's short title of the error, kept in the contact's log.</param>
/// <param name="Fault">Whose fault it is.</param>
public sealed record TwilioError(int Code, string Text, SmsFault Fault);

/// <summary>
/// The failed-number rule for Twilio-compatible providers as data: which error codes blame the number.
/// An error code not in the table never blames the number (a number is only marked failed on evidence);
/// a REST answer with an unknown code is retried, a final callback with one fails the message only.
/// </summary>
public static class TwilioErrors
{
    /// <summary>The known codes (from Twilio's error dictionary, www.twilio.com/docs/api/errors).</summary>
    public static IReadOnlyList<TwilioError> All { get; } =
    [
        // The number's fault.
        new(21211, "invalid 'To' phone number", SmsFault.Number),
        new(21214, "'To' phone number cannot be reached", SmsFault.Number),
        new(21217, "phone number does not appear to be valid", SmsFault.Number),
        new(21614, "'To' number is not a valid mobile number", SmsFault.Number),
        new(21635, "'To' number cannot be a landline", SmsFault.Number),
        new(21610, "attempt to send to unsubscribed recipient (replied STOP)", SmsFault.Number),
        new(30003, "unreachable destination handset", SmsFault.Number),
        new(30005, "unknown destination handset", SmsFault.Number),
        new(30006, "landline or unreachable carrier", SmsFault.Number),
        // Final for the message, not the number's fault.
        new(30001, "queue overflow", SmsFault.Message),
        new(30002, "account suspended", SmsFault.Message),
        new(30004, "message blocked", SmsFault.Message),
        new(30007, "message filtered by the carrier", SmsFault.Message),
        new(30008, "unknown error", SmsFault.Message),
        new(30009, "missing inbound segment", SmsFault.Message),
        new(30010, "message price exceeds max price", SmsFault.Message),
        // Herald's account or settings: retried, the operator can fix them.
        new(20003, "authentication error", SmsFault.Account),
        new(20429, "too many requests", SmsFault.Account),
        new(21212, "invalid 'From' number", SmsFault.Account),
        new(21408, "permission to send an SMS has not been enabled for the region", SmsFault.Account),
        new(21606, "'From' is not a valid message-capable number for this account", SmsFault.Account),
    ];

    private static readonly Dictionary<int, TwilioError> ByCode = All.ToDictionary(e => e.Code);

    /// <summary>The table's entry for <paramref name="code"/>, or null when the code is not known.</summary>
    public static TwilioError? Find(int? code) => code is { } c && ByCode.TryGetValue(c, out var e) ? e : null;

    /// <summary>True only when the table says the code is the number's fault.</summary>
    public static bool BlamesNumber(int? code) => Find(code)?.Fault == SmsFault.Number;

    /// <summary>"30003 unreachable destination handset", or the bare code when it is not in the table.</summary>
    public static string Describe(int code) => Find(code) is { } e ? $"{code} {e.Text}" : $"{code}";
}
