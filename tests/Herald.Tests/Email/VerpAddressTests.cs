using Herald.Email;

namespace Herald.Tests.Email;

public class VerpAddressTests
{
    private readonly VerpAddress _verp = new("bounces", "bounce.school.test", "a-secret-of-sixteen-chars");

    [Fact]
    public void A_return_path_names_its_delivery_and_attempt()
    {
        var address = _verp.For(4711, 3);
        Assert.StartsWith("bounces+4711-3-", address);
        Assert.EndsWith("@bounce.school.test", address);
        Assert.Equal((4711L, 3), _verp.Parse(address));
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
        var other = _verp.For(4712, 3);
        var forged = other.Replace("4712-3", "4711-3");
        Assert.Null(_verp.Parse(forged));
        Assert.Null(new VerpAddress("bounces", "bounce.school.test", "another-secret-16chars").Parse(_verp.For(4711, 3)));
        Assert.Null(_verp.Parse(_verp.For(4711, 3).Replace("bounce.school.test", "evil.test")));
    }
}
