using Herald.Core.Retry;

namespace Herald.Core.Tests.Retry;

public class RetryPolicyTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
    private static readonly RetryPolicy Policy = new(TimeSpan.FromHours(72), jitter: 0.1);

    private static readonly TemporaryFailure Greylisted = new(450, "4.7.1", "Greylisted, try again later");
    private static readonly TemporaryFailure MailboxFull = new(452, "4.2.2", "Mailbox full");
    private static readonly TemporaryFailure ServerDown = new(421, "4.4.2", "Connection timed out");

    private static TimeSpan Delay(TemporaryFailure f, int tries = 1) =>
        Policy.Next(f, tries, T0, T0, 0.5).At!.Value - T0;

    [Fact]
    public void Greylisting_is_retried_within_minutes()
    {
        var step = Policy.Next(Greylisted, 1, T0, T0, 0.5);
        Assert.Equal("greylisting", step.Schedule);
        Assert.InRange(step.At!.Value - T0, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(10));
    }

    [Fact]
    public void Greylisting_text_without_an_enhanced_code_is_recognised() =>
        Assert.Equal("greylisting", Policy.Next(new TemporaryFailure(450, null, "Please retry later, greylisted"), 1, T0, T0, 0.5).Schedule);

    [Fact]
    public void A_full_mailbox_backs_off_over_hours()
    {
        var step = Policy.Next(MailboxFull, 1, T0, T0, 0.5);
        Assert.Equal("mailbox full", step.Schedule);
        Assert.True(step.At!.Value - T0 >= TimeSpan.FromHours(1));
    }

    [Fact]
    public void A_server_down_waits_between_greylisting_and_a_full_mailbox()
    {
        Assert.Equal("server down", Policy.Next(ServerDown, 1, T0, T0, 0.5).Schedule);
        Assert.True(Delay(Greylisted) < Delay(ServerDown), $"greylisting {Delay(Greylisted)} should be shorter than server down {Delay(ServerDown)}");
        Assert.True(Delay(ServerDown) < Delay(MailboxFull), $"server down {Delay(ServerDown)} should be shorter than mailbox full {Delay(MailboxFull)}");
    }

    [Fact]
    public void Later_tries_wait_longer_and_the_last_delay_repeats()
    {
        Assert.True(Delay(MailboxFull, 2) > Delay(MailboxFull, 1));
        Assert.Equal(Delay(MailboxFull, 4), Delay(MailboxFull, 40));
    }

    [Fact]
    public void When_the_next_try_would_fall_after_the_window_the_step_has_no_time()
    {
        var step = Policy.Next(MailboxFull, 4, T0, T0.AddHours(71), 0.5);
        Assert.Null(step.At);
        Assert.Equal("mailbox full", step.Schedule);
    }

    [Fact]
    public void A_next_try_inside_the_window_has_a_time() =>
        Assert.NotNull(Policy.Next(Greylisted, 1, T0, T0.AddHours(71), 0.5).At);

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.25)]
    [InlineData(0.5)]
    [InlineData(0.999999)]
    public void Jitter_keeps_the_delay_within_ten_percent_of_the_schedule(double random01)
    {
        var delay = Policy.Next(ServerDown, 1, T0, T0, random01).At!.Value - T0;
        Assert.InRange(delay, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(11));
    }

    [Fact]
    public void Jitter_moves_the_delay_both_ways()
    {
        var low = Policy.Next(ServerDown, 1, T0, T0, 0.0).At!.Value;
        var high = Policy.Next(ServerDown, 1, T0, T0, 0.999).At!.Value;
        Assert.True(low < T0.AddMinutes(10) && high > T0.AddMinutes(10), $"low {low - T0}, high {high - T0}");
    }

    [Fact]
    public void Without_jitter_the_delay_is_exact() =>
        Assert.Equal(TimeSpan.FromMinutes(10), new RetryPolicy(TimeSpan.FromHours(72), 0).Next(ServerDown, 1, T0, T0, 0.9).At!.Value - T0);

    [Theory]
    [InlineData(-1.0)]
    [InlineData(1.0)]
    public void Jitter_outside_zero_to_one_is_refused(double jitter) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new RetryPolicy(TimeSpan.FromHours(1), jitter));

    [Fact]
    public void A_window_that_is_not_positive_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new RetryPolicy(TimeSpan.Zero));
}
