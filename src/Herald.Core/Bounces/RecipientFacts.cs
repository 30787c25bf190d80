namespace Herald.Core.Bounces;

/// <summary>
/// What an extractor read about one recipient, before any decision. Every extractor (RFC 3464,
/// ARF, auto-reply, one per non-standard family) fills the same record; the reason and hard/soft
/// are decided afterwards by <see cref="ReasonResolver"/> from these facts alone.
/// </summary>
internal sealed class RecipientFacts
{
    public string Address = "";
    public string? OriginalRecipient;
    public string Action = "";
    public string? Status;
    public string? ReplyCode;
    public string Diagnostic = "";
    /// <summary>The type word of Diagnostic-Code (RFC 3464 §2.3.6): smtp, x-unix, x-postfix, …</summary>
    public string? DiagnosticType;
    public string? RemoteMta;
    public string? ReportingMta;
    /// <summary>The domain of the address the report came from (its From), for reports that name no Reporting-MTA: whose own
    /// report it is (a provider's own notice, whose wording is its verdict on its own attempts).</summary>
    public string? Notifier;
    /// <summary>CONN, EHLO, HELO, MAIL, RCPT, DATA when the report says which command failed.</summary>
    public string? Command;
    public string? FeedbackType;
    /// <summary>The diagnostic is the whole report text (no line named this recipient's error): wording may decide, but it is no error message.</summary>
    public bool DiagnosticIsReport;
    /// <summary>The reporting MTA's own verdict on its own mailbox ("Unknown user: a@b", "a@b (user not found)", no reply code, no remote host
    /// quoted): its local delivery looked the address up, so "unknown user" there is a directory miss at any stage.</summary>
    public bool LocalVerdict;
    /// <summary>A reason the extractor is sure of (feedback, vacation, delivered, or a family's own table).</summary>
    public BounceReason? Reason;
    /// <summary>The <see cref="Reason"/> is the sending service's own verdict (SES bounce subtype, PowerMTA category), not a guess.</summary>
    public bool ReasonIsVerdict;
}
