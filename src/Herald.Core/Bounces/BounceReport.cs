namespace Herald.Core.Bounces;

/// <summary>The analysis of one returned message.</summary>
/// <param name="Kind">What the message is.</param>
/// <param name="Recipients">Each failed, delayed or delivered recipient, in the order the message reports them.</param>
/// <param name="VerpToken">The token after <c>bounces+</c> in the address the bounce was sent to, if any.</param>
/// <param name="OriginalMessageId">The Message-ID of the original message, when the bounce quotes it.</param>
/// <param name="ReportingMta">The MTA that wrote the report, when it says so.</param>
/// <param name="Error">Why the input could not be read, when it could not (then <see cref="Kind"/> is <see cref="MessageKind.NotBounce"/>).</param>
public sealed record BounceReport(
    MessageKind Kind,
    IReadOnlyList<BouncedRecipient> Recipients,
    string? VerpToken,
    string? OriginalMessageId,
    string? ReportingMta = null,
    string? Error = null)
{
    /// <summary>A report for a message that is none of the known kinds.</summary>
    public static BounceReport NotBounce(string? verp = null, string? error = null) =>
        new(MessageKind.NotBounce, [], verp, null, null, error);
}

/// <summary>One recipient of a returned message.</summary>
/// <param name="Address">The recipient address (lowercase domain part as reported).</param>
/// <param name="Action">failed, delayed, delivered, relayed, expanded (RFC 3464 §2.3.3), or feedback / autoreplied.</param>
/// <param name="Status">Enhanced status code (RFC 3463), e.g. <c>5.1.1</c>; pseudo codes <c>x.0.9xx</c> when the message gives none.</param>
/// <param name="ReplyCode">SMTP reply code (RFC 5321 §4.2), e.g. <c>550</c>.</param>
/// <param name="Reason">Why, in the shared vocabulary.</param>
/// <param name="Hard">Permanent: the address should not be tried again.</param>
/// <param name="Diagnostic">The diagnostic text as the message gives it.</param>
/// <param name="RemoteMta">The remote host that refused, when known.</param>
/// <param name="FeedbackType">For complaints: abuse, fraud, opt-out, … (RFC 5965 §3.5).</param>
/// <param name="OriginalRecipient">The recipient as originally addressed (Original-Recipient / Original-Rcpt-To), when given.</param>
/// <param name="SmtpCommand">The SMTP command the remote host answered (CONN, EHLO, MAIL, RCPT, DATA), when known.</param>
public sealed record BouncedRecipient(
    string Address,
    string Action,
    string? Status,
    string? ReplyCode,
    BounceReason Reason,
    bool Hard,
    string? Diagnostic,
    string? RemoteMta,
    string? FeedbackType,
    string? OriginalRecipient = null,
    string? SmtpCommand = null);
