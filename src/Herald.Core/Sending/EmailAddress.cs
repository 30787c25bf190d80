using MimeKit;

namespace Herald.Core.Sending;

/// <summary>Primary email addresses as Herald accepts them: one mailbox, parsed by MimeKit.</summary>
public static class EmailAddress
{
    /// <summary>
    /// Returns the normalised address (trimmed, domain lower-cased) or null with the problem when the text
    /// is empty or not a single deliverable mailbox (no @, no domain, a group, several addresses).
    /// </summary>
    public static string? Normalise(string? text, out string? problem)
    {
        problem = null;
        if (string.IsNullOrWhiteSpace(text)) { problem = "empty"; return null; }
        var trimmed = text.Trim();
        if (trimmed.Length > 254) { problem = "longer than 254 characters"; return null; }
        if (!MailboxAddress.TryParse(ParserOptions.Default, trimmed, out var mailbox) || mailbox is null)
        { problem = "not an email address"; return null; }
        var address = mailbox.Address;
        var at = address.LastIndexOf('@');
        if (at <= 0 || at == address.Length - 1) { problem = "missing the part before or after @"; return null; }
        var domain = address[(at + 1)..];
        // A bare host ("user@localhost") cannot receive mail from the Internet; a dot is the cheapest honest check.
        if (!domain.Contains('.') || domain.StartsWith('.') || domain.EndsWith('.') || domain.Contains(".."))
        { problem = $"domain '{domain}' is not a mail domain"; return null; }
        if (!string.Equals(address, trimmed, StringComparison.Ordinal) && trimmed.Contains('<'))
        { problem = "give the address alone, without a display name"; return null; }
        return address[..at] + "@" + domain.ToLowerInvariant();
    }
}
