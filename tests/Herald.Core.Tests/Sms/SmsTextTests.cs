using Herald.Core.Sms;

namespace Herald.Core.Tests.Sms;

public class SmsTextTests
{
    [Fact]
    public void Gsm_160_chars_is_one_part() =>
        Assert.Equal(new SmsEncoding(SmsText.Gsm7, 160, 1), SmsText.Measure(new string('a', 160)));

    [Fact]
    public void Gsm_161_chars_is_two_parts() =>
        Assert.Equal(new SmsEncoding(SmsText.Gsm7, 161, 2), SmsText.Measure(new string('a', 161)));

    [Fact]
    public void Gsm_306_is_two_parts_307_three() // 153 per part once concatenated
    {
        Assert.Equal(2, SmsText.Measure(new string('a', 306)).Parts);
        Assert.Equal(3, SmsText.Measure(new string('a', 307)).Parts);
    }

    [Fact]
    public void Euro_counts_two_septets()
    {
        Assert.Equal(new SmsEncoding(SmsText.Gsm7, 2, 1), SmsText.Measure("€"));
        Assert.Equal(2, SmsText.Measure(new string('a', 159) + "€").Parts);
    }

    [Fact]
    public void One_emoji_makes_it_ucs2_and_counts_two_units()
    {
        var m = SmsText.Measure("School closed today 😀");
        Assert.Equal(SmsText.Ucs2, m.Encoding);
        Assert.Equal(22, m.Units);
        Assert.Equal(1, m.Parts);
    }

    [Fact]
    public void Ucs2_70_is_one_part_71_is_two()
    {
        Assert.Equal(new SmsEncoding(SmsText.Ucs2, 70, 1), SmsText.Measure("ж" + new string('a', 69)));
        Assert.Equal(new SmsEncoding(SmsText.Ucs2, 71, 2), SmsText.Measure("ж" + new string('a', 70)));
        Assert.Equal(3, SmsText.Measure("ж" + new string('a', 134)).Parts); // 135 > 2 × 67
    }

    [Fact]
    public void Gsm_accents_stay_gsm() =>
        Assert.Equal(SmsText.Gsm7, SmsText.Measure("Élève à l'école, Ñandù ¿?").Encoding);
}
