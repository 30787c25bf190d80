using System.ComponentModel.DataAnnotations;

namespace Herald.Email;

/// <summary>The operator's default sender identity, used when an announcement does not use the school's own.</summary>
public sealed class SenderOptions
{
    /// <summary>Default From address (a no-reply address). Default <c>no-reply@herald.invalid</c>.</summary>
    [Required, EmailAddress] public string DefaultFromAddress { get; set; } = "no-reply@herald.invalid";

    /// <summary>Display name for the default From. Default <c>Herald</c>.</summary>
    public string DefaultFromName { get; set; } = "Herald";

    /// <summary>Domain used in Message-IDs. Default <c>herald.invalid</c>.</summary>
    [Required] public string MessageIdDomain { get; set; } = "herald.invalid";
}
