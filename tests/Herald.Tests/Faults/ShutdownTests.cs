using Herald.Tests.Api;
using Herald.Tests.Servers;
using Xunit.Abstractions;

namespace Herald.Tests.Faults;

/// <summary>A deploy stops Herald (SIGTERM) while an announcement is going out.</summary>
[Collection(nameof(FaultTests))]
public class ShutdownTests(ITestOutputHelper output)
{
    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task SIGTERM_while_messages_wait_for_the_relays_answer_lets_them_finish_and_be_recorded_so_Herald_exits_0_and_each_recipient_gets_one_message(
        string provider)
    {
        // The relay answers each message 3 s after it has it; one SMTP command may take 5 s, so every answer is in time.
        await using var sink = await SmtpSink.StartAsync(dump: true, answerDelaySeconds: 3);
        using var storage = await HeraldStorage.CreateAsync(provider);
        var key = await FaultSteps.CreateSchoolKeyAsync(storage);
        var settings = HeraldProcess.SmtpSettings(sink, connections: 4, smtpTimeout: TimeSpan.FromSeconds(5));
        // The shortest lease the start-up rule allows for this timeout (2 × 4 commands × 5 s).
        settings["Herald:Dispatch:ClaimTimeout"] = "00:00:40";
        var addresses = FaultSteps.Addresses(12);

        // Once the relay has the first messages and holds back its answers, sends are in flight.
        var first = await FaultSteps.SendAndStopAsync(storage, key, settings, sink, addresses, atRelay: 1, kill: false);

        await using var second = await HeraldProcess.StartAsync(storage, settings, "second");
        var report = await FaultSteps.WaitForReportAsync(second.CreateClient(key), first.Announcement, FaultSteps.Settled,
            "every delivery to be settled after the restart", () => first.Output + "\n" + second.Output());

        var tally = FaultSteps.Tally.Of(addresses, sink.Received());
        output.WriteLine($"{provider}: SIGTERM with {first.AtRelayBefore} message(s) at the relay awaiting its answer; exit code {first.ExitCode}; " +
                         $"{first.AtRelayAfter} at the relay when the first process had gone; after the restart: {tally}");
        var problems = new List<string>();
        if (first.ExitCode != 0) problems.Add($"Herald exited with code {first.ExitCode} after SIGTERM, not 0");
        if (tally.Missing.Count > 0 || tally.Duplicates > 0 || tally.Strangers.Count > 0) problems.Add($"the relay received {tally}");
        if (report.Count("sent") != addresses.Count || FaultSteps.NotSent(report) is { Count: > 0 })
            problems.Add($"not every delivery is sent: {report["counts"]!["email"]!.ToJsonString()} {string.Join("; ", FaultSteps.NotSent(report))}");
        Assert.True(problems.Count == 0, string.Join("\n", problems) + "\n" + first.Output + "\n" + second.Output());
    }
}
