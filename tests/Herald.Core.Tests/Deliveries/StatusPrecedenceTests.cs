using Herald.Core.Deliveries;

namespace Herald.Core.Tests.Deliveries;

/// <summary>
/// The precedence rules of delivery-model.md, restated as a grid: a status never regresses, proof of receipt
/// (delivered, opened, clicked) outranks bounces, a complaint outranks everything, and the not-attempted
/// decisions (dropped, email_missing, opted_out, mobile_missing) are final for their attempt while they may
/// still replace a delivery that has not been attempted yet (queued, pending_digest).
/// </summary>
public class StatusPrecedenceTests
{
    // Columns (incoming), in this order:
    private static readonly string[] Columns =
        ["qu", "se", "de", "op", "cl", "sb", "hb", "re", "sp", "dr", "em", "oo", "pd", "fa", "mm"];

    private static readonly Dictionary<string, DeliveryStatus> ByAbbrev = new()
    {
        ["qu"] = DeliveryStatus.Queued, ["se"] = DeliveryStatus.Sent, ["de"] = DeliveryStatus.Delivered,
        ["op"] = DeliveryStatus.Opened, ["cl"] = DeliveryStatus.Clicked, ["sb"] = DeliveryStatus.SoftBounce,
        ["hb"] = DeliveryStatus.HardBounce, ["re"] = DeliveryStatus.Rejected, ["sp"] = DeliveryStatus.Spam,
        ["dr"] = DeliveryStatus.Dropped, ["em"] = DeliveryStatus.EmailMissing, ["oo"] = DeliveryStatus.OptedOut,
        ["pd"] = DeliveryStatus.PendingDigest, ["fa"] = DeliveryStatus.Failed, ["mm"] = DeliveryStatus.MobileMissing,
    };

    // Rows: the current status. Y = an incoming event (one minute later than the current status) moves the delivery.
    private const string Grid = """
            qu se de op cl sb hb re sp dr em oo pd fa mm
        qu   N  Y  Y  Y  Y  Y  Y  Y  Y  Y  Y  Y  Y  Y  Y
        se   N  N  Y  Y  Y  Y  Y  Y  Y  N  N  N  N  Y  N
        de   N  N  N  Y  Y  N  N  N  Y  N  N  N  N  N  N
        op   N  N  N  N  Y  N  N  N  Y  N  N  N  N  N  N
        cl   N  N  N  N  N  N  N  N  Y  N  N  N  N  N  N
        sb   N  Y  Y  Y  Y  N  Y  Y  Y  N  N  N  N  Y  N
        hb   N  N  Y  Y  Y  N  N  N  Y  N  N  N  N  N  N
        re   N  N  Y  Y  Y  N  Y  N  Y  N  N  N  N  Y  N
        sp   N  N  N  N  N  N  N  N  N  N  N  N  N  N  N
        dr   N  N  N  N  N  N  N  N  N  N  N  N  N  N  N
        em   N  N  N  N  N  N  N  N  N  N  N  N  N  N  N
        oo   N  N  N  N  N  N  N  N  N  N  N  N  N  N  N
        pd   Y  Y  Y  Y  Y  Y  Y  Y  Y  Y  Y  Y  N  Y  Y
        fa   N  N  Y  Y  Y  N  Y  Y  Y  N  N  N  N  N  N
        mm   N  N  N  N  N  N  N  N  N  N  N  N  N  N  N
        """;

    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    private static Dictionary<(DeliveryStatus Current, DeliveryStatus Incoming), bool> Expected()
    {
        var lines = Grid.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(Columns, lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var map = new Dictionary<(DeliveryStatus, DeliveryStatus), bool>();
        foreach (var line in lines.Skip(1))
        {
            var cells = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(Columns.Length + 1, cells.Length);
            for (var i = 0; i < Columns.Length; i++)
                map[(ByAbbrev[cells[0]], ByAbbrev[Columns[i]])] = cells[i + 1] == "Y";
        }
        return map;
    }

    public static TheoryData<DeliveryStatus, DeliveryStatus> AllPairs()
    {
        var data = new TheoryData<DeliveryStatus, DeliveryStatus>();
        foreach (var current in Enum.GetValues<DeliveryStatus>())
            foreach (var incoming in Enum.GetValues<DeliveryStatus>())
                data.Add(current, incoming);
        return data;
    }

    [Fact]
    public void The_grid_covers_every_pair_of_the_fifteen_statuses()
    {
        var all = Enum.GetValues<DeliveryStatus>();
        Assert.Equal(15, all.Length);
        Assert.Equal(all.Length * all.Length, Expected().Count);
    }

    [Theory]
    [MemberData(nameof(AllPairs))]
    public void A_later_incoming_status_moves_the_delivery_exactly_when_the_grid_says_so(DeliveryStatus current, DeliveryStatus incoming)
    {
        var expected = Expected()[(current, incoming)];
        var actual = StatusPrecedence.Changes(current, T0, incoming, T0.AddMinutes(1));
        Assert.True(expected == actual,
            $"{current.Name()} then {incoming.Name()}: expected {(expected ? "a change" : "no change")}, got {(actual ? "a change" : "no change")}");
    }

    [Theory]
    [InlineData(DeliveryStatus.Sent, DeliveryStatus.SoftBounce)]
    [InlineData(DeliveryStatus.SoftBounce, DeliveryStatus.Sent)]
    public void Between_equal_ranks_the_later_event_wins(DeliveryStatus current, DeliveryStatus incoming) =>
        Assert.True(StatusPrecedence.Changes(current, T0, incoming, T0.AddSeconds(1)));

    [Theory]
    [InlineData(DeliveryStatus.Sent, DeliveryStatus.SoftBounce)]
    [InlineData(DeliveryStatus.SoftBounce, DeliveryStatus.Sent)]
    public void Between_equal_ranks_an_earlier_event_does_not_win(DeliveryStatus current, DeliveryStatus incoming) =>
        Assert.False(StatusPrecedence.Changes(current, T0, incoming, T0.AddSeconds(-1)));

    [Theory]
    [InlineData(DeliveryStatus.Delivered, DeliveryStatus.Opened)]
    [InlineData(DeliveryStatus.Opened, DeliveryStatus.Spam)]
    public void A_higher_rank_wins_even_when_it_happened_earlier(DeliveryStatus current, DeliveryStatus incoming) =>
        Assert.True(StatusPrecedence.Changes(current, T0, incoming, T0.AddHours(-1)));

    [Fact]
    public void A_late_delivered_does_not_undo_opened() =>
        Assert.False(StatusPrecedence.Changes(DeliveryStatus.Opened, T0, DeliveryStatus.Delivered, T0.AddHours(1)));

    public static TheoryData<DeliveryStatus> AllStatuses()
    {
        var data = new TheoryData<DeliveryStatus>();
        foreach (var s in Enum.GetValues<DeliveryStatus>()) data.Add(s);
        return data;
    }

    [Theory]
    [MemberData(nameof(AllStatuses))]
    public void Only_hard_bounce_and_failed_mark_the_address_failed_and_only_spam_suppresses_it(DeliveryStatus incoming)
    {
        AddressState? expected = incoming switch
        {
            DeliveryStatus.HardBounce or DeliveryStatus.Failed => AddressState.Failed,
            DeliveryStatus.Spam => AddressState.Suppressed,
            _ => null,
        };
        Assert.Equal(expected, StatusPrecedence.AddressEffect(incoming));
    }

    [Theory]
    [MemberData(nameof(AllStatuses))]
    public void Only_queued_missing_opted_out_digest_and_dropped_are_Heralds_own_decisions(DeliveryStatus status)
    {
        var expected = status is DeliveryStatus.Queued or DeliveryStatus.EmailMissing or DeliveryStatus.MobileMissing
            or DeliveryStatus.OptedOut or DeliveryStatus.PendingDigest or DeliveryStatus.Dropped;
        Assert.Equal(expected, StatusPrecedence.IsHeraldsDecision(status));
    }
}
