using Herald.Email;

namespace Herald.Tests.Email;

public class VerpAddressTests
{
    private readonly VerpAddress _verp = new("bounces", "bounce.school.test", "a-secret-of-sixteen-chars");

    [Fact]
    public void A_return_path_names_its_delivery_and_attempt_without_showing_them()
    {
        var address = _verp.For(4711, 3);
        Assert.StartsWith("bounces+", address);
        Assert.EndsWith("@bounce.school.test", address);
        Assert.DoesNotContain("4711", address);
        Assert.Matches("^bounces\\+[a-z2-7]{26}-[a-z2-7]{16}@bounce\\.school\\.test$", address);
        Assert.Equal((4711L, 3), _verp.Parse(address));
        // Consecutive deliveries do not give consecutive-looking tokens.
        Assert.NotEqual(address[..20], _verp.For(4712, 3)[..20]);
    }

    [Fact]
    public void A_return_path_of_the_earlier_clear_form_is_still_read_for_mail_sent_before_the_change()
    {
        var legacy = $"bounces+4711-3-{LegacyMac("4711-3")}@bounce.school.test";
        Assert.Equal((4711L, 3), _verp.Parse(legacy));
        Assert.Null(_verp.Parse(legacy.Replace("4711-3-", "4712-3-")));
    }

    /// <summary>The earlier form's MAC, written out here from its definition (first 80 bits of HMAC-SHA256 of "D-A",
    /// lower-case base32), not with Herald's code.</summary>
    private static string LegacyMac(string text)
    {
        var mac = System.Security.Cryptography.HMACSHA256.HashData("a-secret-of-sixteen-chars"u8.ToArray(), System.Text.Encoding.ASCII.GetBytes(text));
        const string alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        var bits = string.Concat(mac.Take(10).Select(b => Convert.ToString(b, 2).PadLeft(8, '0')));
        return string.Concat(Enumerable.Range(0, 16).Select(i => alphabet[Convert.ToInt32(bits.Substring(i * 5, 5), 2)]));
    }

    [Fact]
    public void Mail_servers_that_change_case_or_add_angle_brackets_do_not_break_it() =>
        Assert.Equal((12L, 1), _verp.Parse("<" + _verp.For(12, 1).ToUpperInvariant() + ">"));

    [Theory]
    [InlineData("bounces+4711-3-aaaaaaaaaaaaaaaa@bounce.school.test")] // forged MAC
    [InlineData("bounces+4711-3@bounce.school.test")]
    [InlineData("bounces@bounce.school.test")]
    [InlineData("alice@school.test")]
    [InlineData("")]
    [InlineData("bounces+-1-3-x@bounce.school.test")]
    public void Forged_or_foreign_addresses_name_no_delivery(string address) => Assert.Null(_verp.Parse(address));

    [Fact]
    public void Another_deliverys_mac_does_not_fit()
    {
        var mine = _verp.For(4711, 3);
        var other = _verp.For(4712, 3);
        var forged = mine[..mine.IndexOf('-')] + other[other.IndexOf('-')..];
        Assert.Null(_verp.Parse(forged));
        Assert.Null(new VerpAddress("bounces", "bounce.school.test", "another-secret-16chars").Parse(_verp.For(4711, 3)));
        Assert.Null(_verp.Parse(_verp.For(4711, 3).Replace("bounce.school.test", "evil.test")));
    }

    [Fact]
    public void After_a_secret_rotation_addresses_made_with_a_secret_of_the_keyring_still_read_and_new_ones_use_the_new_secret()
    {
        var rotated = new VerpAddress("bounces", "bounce.school.test", "the-new-secret-16chars", ["a-secret-of-sixteen-chars"]);
        var beforeRotation = _verp.For(4711, 3);

        Assert.Equal((4711L, 3), rotated.Parse(beforeRotation));
        Assert.Equal((4711L, 3), rotated.Parse($"bounces+4711-3-{LegacyMac("4711-3")}@bounce.school.test"));
        Assert.Null(_verp.Parse(rotated.For(4711, 3)));
        Assert.Null(new VerpAddress("bounces", "bounce.school.test", "the-new-secret-16chars").Parse(beforeRotation));
        Assert.Equal((4711L, 3), rotated.ParseToken(rotated.TokenFor(4711, 3)));
    }
}

