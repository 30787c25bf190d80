using Herald.Tests.Api;
using Herald.Tests.Servers;
using Xunit.Abstractions;

namespace Herald.Tests.Faults;

/// <summary>Herald is killed outright (kill -9: a crash, the out-of-memory killer) in the middle of a large send.</summary>
[Collection(nameof(FaultTests))]
public class CrashTests(ITestOutputHelper output)
{
    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_kill_9_in_the_middle_of_2000_sends_loses_none_and_repeats_at_most_two_messages_per_relay_connection(string provider)
    {
        const int recipients = 2000, connections = 8, allowedDuplicates = 2 * connections;
        await using var sink = await SmtpSink.StartAsync(dump: true);
        using var storage = await HeraldStorage.CreateAsync(provider);
        var key = await FaultSteps.CreateSchoolKeyAsync(storage);
        var settings = HeraldProcess.SmtpSettings(sink, connections, smtpTimeout: TimeSpan.FromSeconds(2));
        // A short lease (2 × 4 commands × 2 s), so what the dead process had claimed is taken over soon.
        settings["Herald:Dispatch:ClaimTimeout"] = "00:00:16";
        var addresses = FaultSteps.Addresses(recipients);

        var first = await FaultSteps.SendAndStopAsync(storage, key, settings, sink, addresses, atRelay: 300, kill: true);
        Assert.True(first.AtRelayAfter < recipients,
            $"every message had reached the relay before the kill ({first.AtRelayAfter}): the kill did not land mid-send\n{first.Output}");

        await using var second = await HeraldProcess.StartAsync(storage, settings, "second");
        var report = await FaultSteps.WaitForReportAsync(second.CreateClient(key), first.Announcement, FaultSteps.Settled,
            $"all {recipients} deliveries to be settled after the restart", () => first.Output + "\n" + second.Output(), pageSize: 1);

        var tally = FaultSteps.Tally.Of(addresses, sink.Received());
        output.WriteLine($"{provider}: kill -9 with {first.AtRelayBefore}–{first.AtRelayAfter} of {recipients} messages at the relay; " +
                         $"after the restart: {tally}; {tally.Duplicates} duplicates against the bound of {allowedDuplicates} (2 × {connections} connections)");
        Assert.True(tally.Missing.Count == 0 && tally.Strangers.Count == 0, $"messages lost: {tally}\n{second.Output()}");
        Assert.True(tally.Duplicates <= allowedDuplicates,
            $"{tally.Duplicates} duplicates, more than 2 × {connections} connections = {allowedDuplicates}: {tally}\n{first.Output}\n{second.Output()}");
        Assert.True(report.Count("sent") == recipients, $"not every delivery is sent: {report["counts"]!["email"]!.ToJsonString()}");
    }
}
