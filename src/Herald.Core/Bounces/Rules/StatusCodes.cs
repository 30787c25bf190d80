namespace Herald.Core.Bounces.Rules;

/// <summary>
/// Enhanced status codes (RFC 3463, IANA "SMTP Enhanced Status Codes" registry) and the reason
/// each one names on its own. Codes that say too little (x.0.0, 5.7.1 "delivery not authorized"
/// is used for everything from spam to policy) map to a weak reason that the diagnostic text
/// may override: see <see cref="ReasonOrder"/>.
/// </summary>
internal static class StatusCodes
{
    /// <summary>Status code → reason. Follows the bounce community's table (Sisimai smtp/status).</summary>
    public static readonly IReadOnlyDictionary<string, BounceReason> Table = new Dictionary<string, BounceReason>(StringComparer.Ordinal)
    {
        ["2.1.5"] = BounceReason.Delivered,       // Destination address valid
        ["4.1.6"] = BounceReason.HasMoved,        // Mailbox has moved, no forwarding address
        ["4.1.7"] = BounceReason.Rejected,        // Bad sender's mailbox address syntax
        ["4.1.8"] = BounceReason.Rejected,        // Bad sender's system address
        ["4.1.9"] = BounceReason.SystemError,     // Message relayed to non-compliant mailer
        ["4.2.1"] = BounceReason.Suspend,         // Mailbox disabled, not accepting messages
        ["4.2.2"] = BounceReason.MailboxFull,     // Mailbox full
        ["4.2.3"] = BounceReason.ExceedLimit,     // Message length exceeds administrative limit
        ["4.2.4"] = BounceReason.Filtered,        // Mailing list expansion problem
        ["4.3.1"] = BounceReason.SystemFull,      // Mail system full
        ["4.3.2"] = BounceReason.NotAccept,       // System not accepting network messages
        ["4.3.3"] = BounceReason.SystemError,     // System not capable of selected features
        ["4.3.5"] = BounceReason.SystemError,     // System incorrectly configured
        ["4.4.1"] = BounceReason.Expired,         // No answer from host
        ["4.4.2"] = BounceReason.NetworkError,    // Bad connection
        ["4.4.3"] = BounceReason.SystemError,     // Directory server failure
        ["4.4.4"] = BounceReason.NetworkError,    // Unable to route
        ["4.4.5"] = BounceReason.SystemFull,      // Mail system congestion
        ["4.4.6"] = BounceReason.NetworkError,    // Routing loop detected
        ["4.4.7"] = BounceReason.Expired,         // Delivery time expired
        ["4.5.3"] = BounceReason.SystemError,     // Too many recipients
        ["4.5.5"] = BounceReason.SystemError,     // Wrong protocol version
        ["4.6.0"] = BounceReason.ContentError,    // Other or undefined media error
        ["4.6.2"] = BounceReason.ContentError,    // Conversion required and prohibited
        ["4.6.5"] = BounceReason.ContentError,    // Conversion failed
        ["4.7.1"] = BounceReason.Blocked,         // Delivery not authorized, message refused
        ["4.7.2"] = BounceReason.Blocked,         // Mailing list expansion prohibited
        ["4.7.5"] = BounceReason.SecurityError,   // Cryptographic failure
        ["4.7.6"] = BounceReason.SecurityError,   // Cryptographic algorithm not supported
        ["4.7.7"] = BounceReason.SecurityError,   // Message integrity failure
        ["4.7.12"] = BounceReason.SecurityError,  // A password transition is needed (RFC 4954)
        ["4.7.15"] = BounceReason.SecurityError,  // Priority level is too low (RFC 6710)
        ["4.7.16"] = BounceReason.MesgTooBig,     // Message too big for the specified priority
        ["4.7.24"] = BounceReason.SecurityError,  // SPF validation error (RFC 7372)
        ["4.7.25"] = BounceReason.Blocked,        // Reverse DNS validation failed (RFC 7372)
        ["5.1.0"] = BounceReason.UserUnknown,     // Other address status
        ["5.1.1"] = BounceReason.UserUnknown,     // Bad destination mailbox address
        ["5.1.2"] = BounceReason.HostUnknown,     // Bad destination system address
        ["5.1.3"] = BounceReason.UserUnknown,     // Bad destination mailbox address syntax
        ["5.1.4"] = BounceReason.Filtered,        // Destination mailbox address ambiguous
        ["5.1.6"] = BounceReason.HasMoved,        // Mailbox has moved, no forwarding address
        ["5.1.7"] = BounceReason.Rejected,        // Bad sender's mailbox address syntax
        ["5.1.8"] = BounceReason.Rejected,        // Bad sender's system address
        ["5.1.9"] = BounceReason.SystemError,     // Message relayed to non-compliant mailer
        ["5.1.10"] = BounceReason.NotAccept,      // Recipient address has null MX (RFC 7505)
        ["5.2.0"] = BounceReason.Filtered,        // Other or undefined mailbox status
        ["5.2.1"] = BounceReason.Filtered,        // Mailbox disabled, not accepting messages
        ["5.2.2"] = BounceReason.MailboxFull,     // Mailbox full
        ["5.2.3"] = BounceReason.ExceedLimit,     // Message length exceeds administrative limit
        ["5.2.4"] = BounceReason.Filtered,        // Mailing list expansion problem
        ["5.3.0"] = BounceReason.SystemError,     // Other or undefined mail system status
        ["5.3.1"] = BounceReason.SystemFull,      // Mail system full
        ["5.3.2"] = BounceReason.NotAccept,       // System not accepting network messages
        ["5.3.3"] = BounceReason.SystemError,     // System not capable of selected features
        ["5.3.4"] = BounceReason.MesgTooBig,      // Message too big for system
        ["5.3.5"] = BounceReason.SystemError,     // System incorrectly configured
        ["5.4.0"] = BounceReason.NetworkError,    // Other or undefined network or routing status
        ["5.4.3"] = BounceReason.SystemError,     // Directory server failure
        ["5.4.4"] = BounceReason.HostUnknown,     // Unable to route
        ["5.4.6"] = BounceReason.NetworkError,    // Routing loop detected (as 4.4.6; Exchange "hop count exceeded", Google "50 hops")
        ["5.4.7"] = BounceReason.Expired,         // Delivery time expired (as 4.4.7: a 5 class only says the relay stopped trying)
        ["5.5.1"] = BounceReason.SyntaxError,     // Invalid command (X.5.x "mail delivery protocol status"; Postfix postscreen's "550 5.5.1 Protocol error")
        ["5.5.2"] = BounceReason.SyntaxError,     // Syntax error
        ["5.5.3"] = BounceReason.TooManyConn,     // Too many recipients
        ["5.5.4"] = BounceReason.SystemError,     // Invalid command arguments
        ["5.5.5"] = BounceReason.SystemError,     // Wrong protocol version
        ["5.5.6"] = BounceReason.SyntaxError,     // Authentication exchange line is too long (RFC 4954)
        ["5.6.0"] = BounceReason.ContentError,    // Other or undefined media error
        ["5.6.1"] = BounceReason.ContentError,    // Media not supported
        ["5.6.2"] = BounceReason.ContentError,    // Conversion required and prohibited
        ["5.6.3"] = BounceReason.ContentError,    // Conversion required but not supported
        ["5.6.5"] = BounceReason.ContentError,    // Conversion failed
        ["5.6.6"] = BounceReason.ContentError,    // Message content not available
        ["5.6.7"] = BounceReason.ContentError,    // Non-ASCII addresses not permitted (RFC 6531)
        ["5.6.8"] = BounceReason.ContentError,    // UTF-8 string reply required
        ["5.6.9"] = BounceReason.ContentError,    // UTF-8 header cannot be transferred
        ["5.7.0"] = BounceReason.SecurityError,   // Other or undefined security status
        ["5.7.1"] = BounceReason.SecurityError,   // Delivery not authorized, message refused
        ["5.7.2"] = BounceReason.SecurityError,   // Mailing list expansion prohibited
        ["5.7.3"] = BounceReason.SecurityError,   // Security conversion required but not possible
        ["5.7.4"] = BounceReason.SecurityError,   // Security features not supported
        ["5.7.5"] = BounceReason.SecurityError,   // Cryptographic failure
        ["5.7.6"] = BounceReason.SecurityError,   // Cryptographic algorithm not supported
        ["5.7.7"] = BounceReason.SecurityError,   // Message integrity failure
        ["5.7.8"] = BounceReason.SecurityError,   // Authentication credentials invalid
        ["5.7.9"] = BounceReason.SecurityError,   // Authentication mechanism is too weak
        ["5.7.10"] = BounceReason.SecurityError,  // Encryption needed
        ["5.7.11"] = BounceReason.SecurityError,  // Encryption required for requested mechanism
        ["5.7.13"] = BounceReason.Suspend,        // User account disabled (RFC 4954)
        ["5.7.14"] = BounceReason.SecurityError,  // Trust relationship required
        ["5.7.15"] = BounceReason.SecurityError,  // Priority level is too low
        ["5.7.16"] = BounceReason.MesgTooBig,     // Message too big for the specified priority
        ["5.7.17"] = BounceReason.HasMoved,       // Mailbox owner has changed (RFC 7293)
        ["5.7.18"] = BounceReason.HasMoved,       // Domain owner has changed (RFC 7293)
        ["5.7.19"] = BounceReason.SecurityError,  // RRVS test cannot be completed
        ["5.7.20"] = BounceReason.AuthFailure,    // No passing DKIM signature found (RFC 7372)
        ["5.7.21"] = BounceReason.AuthFailure,    // No acceptable DKIM signature found
        ["5.7.22"] = BounceReason.AuthFailure,    // No valid author-matched DKIM signature found
        ["5.7.23"] = BounceReason.AuthFailure,    // SPF validation failed
        ["5.7.24"] = BounceReason.AuthFailure,    // SPF validation error
        ["5.7.25"] = BounceReason.RequirePtr,     // Reverse DNS validation failed
        ["5.7.26"] = BounceReason.AuthFailure,    // Multiple authentication checks failed
        ["5.7.27"] = BounceReason.NotAccept,      // Sender address has null MX (RFC 7505)
    };

    /// <summary>The reason a status code names, or null.</summary>
    public static BounceReason? ReasonOf(string? status) =>
        status is not null && Table.TryGetValue(status, out var r) ? r : null;

    /// <summary>
    /// Pseudo status codes for a reason when the message carries no status of its own, so that every
    /// recipient has one. The <c>x.0.9yy</c> range is unassigned by IANA; these are the bounce community's
    /// conventional values (Sisimai smtp/status InternalCode) so figures compare across tools.
    /// </summary>
    private static readonly Dictionary<BounceReason, (string? Temporary, string Permanent)> Pseudo = new()
    {
        [BounceReason.Blocked] = ("4.0.971", "5.0.971"),
        [BounceReason.ContentError] = ("4.0.960", "5.0.960"),
        [BounceReason.ExceedLimit] = (null, "5.0.923"),
        [BounceReason.Expired] = ("4.0.947", "5.0.947"),
        [BounceReason.Filtered] = ("4.0.924", "5.0.910"),
        [BounceReason.HasMoved] = (null, "5.0.916"),
        [BounceReason.HostUnknown] = (null, "5.0.912"),
        [BounceReason.MailboxFull] = ("4.0.922", "5.0.922"),
        [BounceReason.MailerError] = (null, "5.0.939"),
        [BounceReason.MesgTooBig] = (null, "5.0.934"),
        [BounceReason.NetworkError] = ("4.0.944", "5.0.944"),
        [BounceReason.NoRelaying] = (null, "5.0.909"),
        [BounceReason.NotAccept] = ("4.0.932", "5.0.932"),
        [BounceReason.OnHold] = ("4.0.901", "5.0.901"),
        [BounceReason.PolicyViolation] = (null, "5.0.972"),
        [BounceReason.Rejected] = ("4.0.918", "5.0.918"),
        [BounceReason.RequirePtr] = (null, "5.0.973"),
        [BounceReason.SecurityError] = ("4.0.970", "5.0.970"),
        [BounceReason.SpamDetected] = ("4.0.980", "5.0.980"),
        [BounceReason.Suspend] = (null, "5.0.921"),
        [BounceReason.SystemError] = ("4.0.930", "5.0.930"),
        [BounceReason.SystemFull] = ("4.0.931", "5.0.931"),
        [BounceReason.SyntaxError] = (null, "5.0.902"),
        [BounceReason.TooManyConn] = ("4.0.945", "5.0.945"),
        [BounceReason.UserUnknown] = (null, "5.0.911"),
        [BounceReason.Undefined] = ("4.0.900", "5.0.900"),
        [BounceReason.VirusDetected] = (null, "5.0.971"),
    };

    /// <summary>
    /// The status field of a report (the reporting MTA's summary) or the code the remote host gave in the
    /// diagnostic: the remote host's is more precise unless it is generic (x.0.0) or contradicts the class
    /// of its own reply code (550 with 4.4.7 is a relay's note, not the answer).
    /// </summary>
    public static string? Prefer(string? field, string? inDiagnostic, string? replyCode)
    {
        if (field is null) return inDiagnostic;
        if (inDiagnostic is null || inDiagnostic == field) return field;
        // A class that disagrees with the field wins only when the remote host's own reply code backs it.
        if (inDiagnostic[0] != field[0]) return replyCode is { Length: > 0 } && replyCode[0] == inDiagnostic[0] ? inDiagnostic : field;
        if (inDiagnostic.EndsWith(".0.0", StringComparison.Ordinal)) return field;
        if (replyCode is { Length: > 0 } && replyCode[0] != inDiagnostic[0]) return field;
        return inDiagnostic;
    }

    /// <summary>
    /// RFC 3463 §3.5 on X.4.7 (delivery time expired): "If possible, the code for the actual problem found when
    /// delivery was attempted should be returned rather than this code." When a report says 4.4.7/5.4.7 and its
    /// diagnostic quotes the last attempt's own code ("… expired … 421 4.4.2 Connection timed out"), that code is the status.
    /// </summary>
    public static string? Underlying(string? status, string diagnostic)
    {
        if (status is not ("4.4.7" or "5.4.7") || diagnostic.Length == 0) return status;
        var rest = diagnostic.AsSpan();
        for (int guard = 0; guard < 8 && Find(rest) is { } code; guard++)
        {
            if (code[0] != '2' && !code.EndsWith(".4.7", StringComparison.Ordinal)) return code;
            int at = rest.IndexOf(code.AsSpan(), StringComparison.Ordinal);
            rest = rest[(at + code.Length)..];
        }
        return status;
    }

    /// <summary>The first class-4 enhanced status code anywhere in <paramref name="text"/> (a diagnostic quoting a temporary
    /// answer, RFC 3463 §3.1 "persistent transient failure"), or null.</summary>
    public static string? FirstTemporary(string text)
    {
        var rest = text.AsSpan();
        for (int guard = 0; guard < 16 && Find(rest) is { } code; guard++)
        {
            if (code[0] == '4') return code;
            int at = rest.IndexOf(code.AsSpan(), StringComparison.Ordinal);
            rest = rest[(at + code.Length)..];
        }
        return null;
    }

    /// <summary>The pseudo status for a reason; temporary ones only where the community defines one.</summary>
    public static string? PseudoCode(BounceReason reason, bool temporary)
    {
        if (!Pseudo.TryGetValue(reason, out var p)) return null;
        return temporary ? p.Temporary : p.Permanent;
    }

    /// <summary>
    /// The first enhanced status code (class 2, 4 or 5) in free text, e.g. "550-5.1.1 ..." → 5.1.1;
    /// a hand-written scanner instead of a regex: it runs on every diagnostic line.
    /// </summary>
    public static string? Find(ReadOnlySpan<char> text)
    {
        for (int i = 0; i + 4 < text.Length; i++)
        {
            char c = text[i];
            if (c is not ('2' or '4' or '5') || text[i + 1] != '.') continue;
            if (i > 0 && (char.IsAsciiLetterOrDigit(text[i - 1]) || text[i - 1] == '.')) continue;
            int j = i + 2, d1 = CountDigits(text, j, 3);
            if (d1 == 0 || j + d1 >= text.Length || text[j + d1] != '.') continue;
            int k = j + d1 + 1, d2 = CountDigits(text, k, 3);
            if (d2 == 0) continue;
            int end = k + d2;
            if (end < text.Length && (char.IsAsciiDigit(text[end]) || (text[end] == '.' && end + 1 < text.Length && char.IsAsciiDigit(text[end + 1])))) continue;
            if (end < text.Length && char.IsAsciiLetter(text[end])) continue;
            // x.y.z with y ≤ 7: the subject sub-codes RFC 3463 §3 defines.
            if (d1 > 1 || text[j] > '7') continue;
            if (c == '2' && (d2 > 1 || text[k] > '7')) continue;
            return text.Slice(i, end - i).ToString();
        }
        return null;
    }

    /// <summary>The enhanced status that follows the first reply code ("5.1.0 - error 550-'5.2.2 ..." → 5.2.2), else the first one.</summary>
    public static string? FindRemote(string text)
    {
        var reply = FindReply(text);
        if (reply is not null)
        {
            int at = text.IndexOf(reply, StringComparison.Ordinal);
            if (at >= 0 && Find(text.AsSpan(at)) is { } after) return after;
        }
        return Find(text);
    }

    /// <summary>
    /// The first SMTP reply code (RFC 5321 §4.2: 2yz/4yz/5yz followed by space, hyphen or end) in
    /// free text that is not part of a longer number, an address or an enhanced status code.
    /// </summary>
    public static string? FindReply(ReadOnlySpan<char> text)
    {
        for (int i = 0; i + 2 < text.Length; i++)
        {
            char c = text[i];
            if (c is not ('4' or '5' or '2')) continue;
            if (i > 0 && (char.IsAsciiLetterOrDigit(text[i - 1]) || text[i - 1] is '.' or '-' or '#' or '_' or '/' or '+' or '=')) continue;
            // After a colon only as a label's value ("ERROR_CODE :421", "Code:550"), never inside a time or an address ("10:45:501").
            if (i > 1 && text[i - 1] == ':' && !(text[i - 2] == ' ' || char.IsAsciiLetter(text[i - 2]))) continue;
            if (i == 1 && text[0] == ':') continue;
            if (!char.IsAsciiDigit(text[i + 1]) || !char.IsAsciiDigit(text[i + 2])) continue;
            if (text[i + 1] > '5') continue;
            int end = i + 3;
            if (end < text.Length && !(text[end] is ' ' or '-' or '\t' or ']' or ')' or ',' or ':' or '\r' or '\n' or '"')) continue;
            // A group of an IPv6 address ("[2001:db8:beef:450::25]") sits between colons or before its closing bracket.
            if (i > 0 && text[i - 1] == ':' && end < text.Length && text[end] is ':' or ']') continue;
            if (c == '2' && text[i + 1] != '5') continue; // only 25x counts among positive replies
            return text.Slice(i, 3).ToString();
        }
        return null;
    }

    private static int CountDigits(ReadOnlySpan<char> s, int start, int max)
    {
        int n = 0;
        while (start + n < s.Length && n <= max && char.IsAsciiDigit(s[start + n])) n++;
        return n > max ? 0 : n;
    }
}
