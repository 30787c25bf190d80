using System.Globalization;
using Herald.Pages;
using Herald.Schools;
using Herald.Tests.Api;
using Herald.Tests.Contacts;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Tests.Reports;

/// <summary>Dates on a school's pages are on the school's clock, in the reader's language, the zone named once; counts
/// carry the reader's thousands separator.</summary>
public class PageDatesTests
{
    /// <summary>22:05 UTC on 1 December 2036: 17:05 in New York (EST, UTC-5). A date ahead of any real clock, so nothing
    /// the fake clock stamps (the sign-in cookie) has run out when the real one reads it.</summary>
    private static readonly DateTimeOffset Sent = new(2036, 12, 1, 22, 5, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_school_in_New_York_sees_its_delivery_in_New_York_time_in_English_and_Spanish()
    {
        await using var h = await HeraldHost.StartAsync("sqlite", new FakeTimeProvider(Sent), dispatcher: false);
        h.Service<SchoolStore>().SetDigestClock(h.School.Id, "America/New_York", null);
        var contact = await h.Client.AddContactAsync("ann@school.example", name: "Ann Parent");
        var id = await h.Client.SendToAsync([contact]);

        var en = await StaffVisitor.SignInAsync(h, h.School.Id, "en-GB");
        var list = ReportPagesTests.Text(await en.PageAsync("announcements"));
        Assert.Contains("Sent (America/New_York)", list);
        Assert.Contains("1 Dec 2036, 17:05", list);
        var report = ReportPagesTests.Text(await en.PageAsync($"announcements/{id}"));
        Assert.Contains("Sent (America/New_York): 1 Dec 2036, 17:05", report);
        Assert.Contains("Since (America/New_York)", report);
        Assert.DoesNotContain("22:05", report);
        var log = ReportPagesTests.Text(ContactPagesTests.LogTable(await en.PageAsync($"contacts/{contact}")));
        Assert.Contains("Time (America/New_York)", log);
        Assert.Contains("1 Dec 2036, 17:05:00", log);

        var es = await StaffVisitor.SignInAsync(h, h.School.Id, "es-ES");
        Assert.Contains("1 dic 2036, 17:05", ReportPagesTests.Text(await es.PageAsync("announcements")));
        Assert.Contains("Enviado (America/New_York): 1 dic 2036, 17:05", ReportPagesTests.Text(await es.PageAsync($"announcements/{id}")));
        var esLog = ReportPagesTests.Text(ContactPagesTests.LogTable(await es.PageAsync($"contacts/{contact}")));
        Assert.Contains("Hora (America/New_York)", esLog);
        Assert.Contains("1 dic 2036, 17:05:00", esLog);
    }

    [Theory]
    [InlineData("en", 1234567, "1,234,567", "4 Jul 2027, 09:00")]
    [InlineData("es", 1234567, "1.234.567", "4 jul 2027, 09:00")]
    [InlineData("es", 999, "999", "4 jul 2027, 09:00")]
    public void Counts_and_dates_follow_the_readers_language(string language, long n, string count, string date)
    {
        var before = CultureInfo.CurrentUICulture;
        try
        {
            CultureInfo.CurrentUICulture = new CultureInfo(language);
            Assert.Equal(count, PageDates.Count(n));
            // 08:00 UTC is 09:00 in London in summer time.
            Assert.Equal(date, PageDates.At(new DateTimeOffset(2027, 7, 4, 8, 0, 0, TimeSpan.Zero), TimeZoneInfo.FindSystemTimeZoneById("Europe/London")));
        }
        finally { CultureInfo.CurrentUICulture = before; }
    }
}
