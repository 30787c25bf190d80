using Herald.Core.Sms;

namespace Herald.Core.Tests.Sms;

public class TwilioErrorsTests
{
    [Theory]
    [InlineData(30003)] [InlineData(30005)] [InlineData(30006)] [InlineData(21211)] [InlineData(21614)]
    public void Errors_that_are_the_numbers_fault_blame_it(int code) => Assert.True(TwilioErrors.BlamesNumber(code));

    [Theory]
    [InlineData(30001)] [InlineData(30002)] [InlineData(30008)] [InlineData(30007)] [InlineData(20003)] [InlineData(20429)]
    public void Carrier_queue_and_account_errors_do_not_blame_the_number(int code) => Assert.False(TwilioErrors.BlamesNumber(code));

    [Fact]
    public void An_unknown_or_missing_code_never_blames_the_number()
    {
        Assert.False(TwilioErrors.BlamesNumber(39999));
        Assert.False(TwilioErrors.BlamesNumber(null));
        Assert.Null(TwilioErrors.Find(39999));
        Assert.Equal("39999", TwilioErrors.Describe(39999));
        Assert.Equal("30003 unreachable destination handset", TwilioErrors.Describe(30003));
    }

    [Fact]
    public void Each_code_is_in_the_table_once() =>
        Assert.Equal(TwilioErrors.All.Count, TwilioErrors.All.Select(e => e.Code).Distinct().Count());
}
