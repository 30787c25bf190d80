using Herald.Core.Digests;

namespace Herald.Core.Tests.Digests;

/// <summary>Digest schedules as schools and families write them, and when they fall in the school's local time.</summary>
public class DigestScheduleTests
{
    private static readonly TimeZoneInfo London = TimeZoneInfo.FindSystemTimeZoneById("Europe/London");
    private static readonly TimeZoneInfo NewYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");

    private static DateTimeOffset Utc(string text) => DateTimeOffset.Parse(text + "Z", System.Globalization.CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("daily", "daily@17:00")]
    [InlineData("daily@18:00", "daily@18:00")]
    [InlineData(" Daily@7:05 ", "daily@07:05")]
    [InlineData("weekly:fri@17:00", "weekly:fri@17:00")]
    [InlineData("weekly:Friday@16:30", "weekly:fri@16:30")]
    [InlineData("weekly:sun", "weekly:sun@17:00")]
    public void A_schedule_is_read_and_written_back_in_one_form(string text, string canonical)
    {
        var s = DigestSchedule.TryParse(text, out var problem);
        Assert.Null(problem);
        Assert.Equal(canonical, s!.ToString());
        Assert.Equal(s, DigestSchedule.TryParse(canonical, out _));
    }

    [Theory]
    [InlineData("weekly:fry@17:00", "'fry' is not a day")]
    [InlineData("weekly:frid", "'frid' is not a day")]
    [InlineData("daily@25:00", "25:00 is not a time of day")]
    [InlineData("daily@18:60", "18:60 is not a time of day")]
    [InlineData("sometimes", "is not a digest schedule")]
    [InlineData("weekly", "is not a digest schedule")]
    public void A_bad_schedule_is_refused_naming_what_is_wrong(string text, string problem)
    {
        Assert.Null(DigestSchedule.TryParse(text, out var why));
        Assert.Contains(problem, why);
    }

    [Theory]
    [InlineData("no", false, false)]
    [InlineData("", false, false)]
    [InlineData("yes", true, true)]
    [InlineData("daily@18:00", true, false)]
    public void A_contacts_choice_is_none_the_schools_default_or_their_own(string text, bool wanted, bool schoolDefault)
    {
        var c = DigestChoice.TryParse(text, out var problem);
        Assert.Null(problem);
        Assert.Equal((wanted, schoolDefault), (c!.Wanted, c.SchoolDefault));
    }

    [Fact]
    public void Yes_follows_the_schools_default_and_no_default_means_no_digest()
    {
        var weekly = DigestSchedule.TryParse("weekly:fri", out _);
        Assert.Equal(weekly, DigestChoice.Default.Resolve(weekly));
        Assert.Null(DigestChoice.Default.Resolve(null));
        Assert.Equal("daily@08:00", DigestChoice.TryParse("daily@08:00", out _)!.Resolve(weekly)!.ToString());
    }

    [Fact]
    public void A_daily_digest_keeps_its_local_time_across_the_spring_change()
    {
        var s = DigestSchedule.TryParse("daily@18:00", out _)!;
        // Saturday 27 March 2027 is GMT (18:00 = 18:00 UTC); from Sunday 28 March it is BST (18:00 = 17:00 UTC).
        Assert.Equal(Utc("2027-03-27T18:00:00"), s.NextAfter(Utc("2027-03-27T12:00:00"), London));
        Assert.Equal(Utc("2027-03-28T17:00:00"), s.NextAfter(Utc("2027-03-27T18:00:00"), London));
    }

    [Fact]
    public void A_time_the_clocks_skip_is_taken_when_they_reach_it()
    {
        // On 28 March 2027 London's clocks go from 01:00 straight to 02:00: 01:30 does not exist that day.
        var s = DigestSchedule.TryParse("daily@01:30", out _)!;
        Assert.Equal(Utc("2027-03-28T01:00:00"), s.NextAfter(Utc("2027-03-27T12:00:00"), London));
        Assert.Equal(Utc("2027-03-29T00:30:00"), s.NextAfter(Utc("2027-03-28T01:00:00"), London));
    }

    [Fact]
    public void A_time_that_happens_twice_when_the_clocks_go_back_goes_out_once()
    {
        // On 31 October 2027 London's 01:30 happens at 00:30 UTC (BST) and again at 01:30 UTC (GMT).
        var s = DigestSchedule.TryParse("daily@01:30", out _)!;
        var first = s.NextAfter(Utc("2027-10-30T12:00:00"), London);
        Assert.Equal(Utc("2027-10-31T00:30:00"), first);
        Assert.Equal(Utc("2027-11-01T01:30:00"), s.NextAfter(first, London));
    }

    [Fact]
    public void A_weekly_digest_in_new_york_keeps_its_local_time_across_the_autumn_change()
    {
        var s = DigestSchedule.TryParse("weekly:fri@17:00", out _)!;
        // Friday 5 November 2027 is EDT (17:00 = 21:00 UTC); the clocks go back on Sunday 7 November (EST, 17:00 = 22:00 UTC).
        Assert.Equal(Utc("2027-11-05T21:00:00"), s.NextAfter(Utc("2027-11-01T00:00:00"), NewYork));
        Assert.Equal(Utc("2027-11-12T22:00:00"), s.NextAfter(Utc("2027-11-05T21:00:00"), NewYork));
    }

    [Fact]
    public void The_same_schedule_falls_at_different_instants_in_two_schools_time_zones()
    {
        var s = DigestSchedule.TryParse("daily@17:00", out _)!;
        var from = Utc("2027-06-01T00:00:00");
        Assert.Equal(Utc("2027-06-01T16:00:00"), s.NextAfter(from, London));
        Assert.Equal(Utc("2027-06-01T21:00:00"), s.NextAfter(from, NewYork));
    }
}
