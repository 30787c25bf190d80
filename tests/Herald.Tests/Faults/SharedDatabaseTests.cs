using Herald.Tests.Api;
using Herald.Tests.Servers;
using Xunit.Abstractions;

namespace Herald.Tests.Faults;

/// <summary>Two Herald processes dispatch from one PostgreSQL database, as a deployment with two instances does.</summary>
[Collection(nameof(FaultTests))]
public class SharedDatabaseTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Two_processes_sharing_one_PostgreSQL_with_a_relay_slower_than_the_lease_send_each_recipient_one_message()
    {
        const int recipients = 40, batch = 20;
        // One connection per process and 1 s per message: a batch of 20 takes 20 s, longer than the 16 s lease (the shortest
        // the start-up rule allows for a 2 s command timeout: 2 × 4 × 2 s). Every answer still comes within the timeout.
        await using var sink = await SmtpSink.StartAsync(dump: true, answerDelaySeconds: 1);
        using var storage = await HeraldStorage.CreateAsync("postgres");
        var key = await FaultSteps.CreateSchoolKeyAsync(storage);
        Dictionary<string, string?> Settings(string name)
        {
            var s = HeraldProcess.SmtpSettings(sink, connections: 1, smtpTimeout: TimeSpan.FromSeconds(2));
            s["Herald:Dispatch:ClaimTimeout"] = "00:00:16";
            s["Herald:Dispatch:BatchSize"] = batch.ToString();
            // Each process names itself in EHLO, so the relay's dump tells who sent what.
            s["Herald:Email:Smtp:LocalDomain"] = $"{name}.herald.test";
            return s;
        }
        var addresses = FaultSteps.Addresses(recipients);

        // One after the other: the second starts on a database the first has already migrated.
        await using var a = await HeraldProcess.StartAsync(storage, Settings("a"), "A");
        await using var b = await HeraldProcess.StartAsync(storage, Settings("b"), "B");
        var c = a.CreateClient(key);
        await FaultSteps.ImportAsync(c, addresses);
        var announcement = await FaultSteps.AnnounceToAllAsync(c, "Closed tomorrow");
        var report = await FaultSteps.WaitForReportAsync(c, announcement, r => FaultSteps.Settled(r) && r.Count("sent") == recipients,
            $"all {recipients} deliveries to be sent", () => a.Output() + "\n" + b.Output(), TimeSpan.FromSeconds(90));

        var received = sink.ReceivedWithHelo();
        var tally = FaultSteps.Tally.Of(addresses, received.Select(m => m.Recipient).ToList());
        var bySender = string.Join(", ", received.GroupBy(m => m.Helo).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}"));
        output.WriteLine($"postgres, two processes: {tally}; messages by sender: {bySender}");
        Assert.True(tally.Missing.Count == 0 && tally.Duplicates == 0 && tally.Strangers.Count == 0,
            $"the relay received {tally} (by sender: {bySender})\n{a.Output()}\n{b.Output()}");
        Assert.True(FaultSteps.NotSent(report) is { Count: 0 }, $"not every delivery is sent: {string.Join("; ", FaultSteps.NotSent(report))}");
    }
}
