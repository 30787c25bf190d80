using Herald.Core.Sending;

namespace Herald.Core.Tests.Sending;

public class EmailAddressTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Empty_text_is_rejected_as_empty(string? text)
    {
        Assert.Null(EmailAddress.Normalise(text, out var problem));
        Assert.Equal("empty", problem);
    }

    [Fact]
    public void Text_without_at_is_rejected()
    {
        Assert.Null(EmailAddress.Normalise("ann.school.example", out var problem));
        Assert.NotNull(problem);
    }

    [Theory]
    [InlineData("ann@localhost")]
    [InlineData("ann@school.")]
    [InlineData("ann@.school")]
    public void A_domain_without_a_proper_dot_is_rejected(string text)
    {
        Assert.Null(EmailAddress.Normalise(text, out var problem));
        Assert.NotNull(problem);
    }

    [Fact]
    public void An_address_with_a_display_name_is_rejected_with_advice()
    {
        Assert.Null(EmailAddress.Normalise("Ann Smith <ann@school.example>", out var problem));
        Assert.Contains("display name", problem);
    }

    [Fact]
    public void Several_addresses_are_rejected() =>
        Assert.Null(EmailAddress.Normalise("ann@school.example, bob@school.example", out _));

    [Fact]
    public void A_valid_address_is_trimmed_and_its_domain_lower_cased_keeping_the_local_part()
    {
        Assert.Equal("Ann.Smith@school.example", EmailAddress.Normalise("  Ann.Smith@School.EXAMPLE ", out var problem));
        Assert.Null(problem);
    }

    [Fact]
    public void An_address_longer_than_254_characters_is_rejected() =>
        Assert.Null(EmailAddress.Normalise(new string('a', 250) + "@school.example", out _));
}
