using System.Text.Json.Nodes;
using Herald.Cli;

namespace Herald.Tests.Cli;

/// <summary><c>herald bounces classify</c>: no database, no server; one JSON line per file; bad paths named, the rest go on.</summary>
public class BouncesCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("herald-bounces-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private const string Dsn = """
        From: MAILER-DAEMON@relay.example.net (Mail Delivery System)
        To: bounces+abc123@bounce.school.example
        Subject: Undelivered Mail Returned to Sender
        MIME-Version: 1.0
        Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

        --b1
        Content-Type: text/plain

        I'm sorry to have to inform you that your message could not be delivered.

        --b1
        Content-Type: message/delivery-status

        Reporting-MTA: dns; relay.example.net

        Final-Recipient: rfc822; nobody@pupils.example.org
        Action: failed
        Status: 5.1.1
        Diagnostic-Code: smtp; 550 5.1.1 <nobody@pupils.example.org>: Recipient address rejected: User unknown in virtual mailbox table

        --b1--
        """;

    private const string Letter = """
        From: parent@example.org
        To: office@school.example
        Subject: Trip on Friday

        Will the bus leave at nine?
        """;

    [Fact]
    public async Task Classify_json_prints_one_line_per_file_with_reason_status_and_hard()
    {
        File.WriteAllText(Path.Combine(_dir, "dsn.eml"), Dsn);
        File.WriteAllText(Path.Combine(_dir, "letter.eml"), Letter);
        var output = new StringWriter();
        var code = await HeraldCli.RunAsync(["bounces", "classify", "--json", _dir], output, new StringWriter());

        Assert.Equal(0, code);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(2, lines.Count);
        var dsn = lines.Single(l => l["file"]!.GetValue<string>().EndsWith("dsn.eml"));
        Assert.Equal("bounce", dsn["kind"]!.GetValue<string>());
        var r = dsn["recipients"]!.AsArray().Single()!;
        Assert.Equal("nobody@pupils.example.org", r["address"]!.GetValue<string>());
        Assert.Equal("5.1.1", r["status"]!.GetValue<string>());
        Assert.Equal("userunknown", r["reason"]!.GetValue<string>());
        Assert.True(r["hard"]!.GetValue<bool>());
        Assert.Equal("not-bounce", lines.Single(l => l["file"]!.GetValue<string>().EndsWith("letter.eml"))["kind"]!.GetValue<string>());
    }

    [Fact]
    public async Task Files_analysed_on_every_core_come_out_in_the_order_given()
    {
        // Bounces and letters interleaved, so that slower and faster analyses alternate and a merge by completion shows.
        var paths = Enumerable.Range(0, 400).Select(i =>
        {
            var path = Path.Combine(_dir, $"m{i:D3}.eml");
            File.WriteAllText(path, i % 3 == 0 ? Dsn.Replace("nobody@", $"nobody{i}@") : Letter);
            return path;
        }).ToList();
        var order = paths.Where((_, i) => i % 2 == 0).Concat(paths.Where((_, i) => i % 2 == 1)).ToList();
        // The first file takes far longer than the rest: a merge by completion would print others before it.
        File.WriteAllText(order[0], Letter + string.Concat(Enumerable.Repeat("A long letter line, read and parsed in full.\n", 200_000)));
        var output = new StringWriter();
        var code = await HeraldCli.RunAsync(["bounces", "classify", "--json", .. order], output, new StringWriter());

        Assert.Equal(0, code);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(order, lines.Select(l => l["file"]!.GetValue<string>()));
        // Each line's analysis is its own file's: the bounce in m012.eml names nobody12@.
        foreach (var l in lines.Where(l => l["kind"]!.GetValue<string>() == "bounce"))
        {
            var i = int.Parse(Path.GetFileNameWithoutExtension(l["file"]!.GetValue<string>())[1..]);
            Assert.Equal($"nobody{i}@pupils.example.org", l["recipients"]![0]!["address"]!.GetValue<string>());
        }
        // Every third file is a bounce, but for the long first one, now a letter.
        Assert.Equal(133, lines.Count(l => l["kind"]!.GetValue<string>() == "bounce"));
    }

    [Fact]
    public async Task An_unreadable_path_is_named_and_the_rest_of_the_batch_goes_on()
    {
        File.WriteAllText(Path.Combine(_dir, "dsn.eml"), Dsn);
        var missing = Path.Combine(_dir, "no-such-file.eml");
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await HeraldCli.RunAsync(["bounces", "classify", "--json", missing, Path.Combine(_dir, "dsn.eml")], output, error);

        Assert.NotEqual(0, code);
        Assert.Contains("no-such-file.eml", error.ToString());
        Assert.Contains("\"userunknown\"", output.ToString());
    }

    [Fact]
    public async Task A_file_that_cannot_be_read_midway_through_a_folder_is_named_and_the_files_after_it_still_print_in_order()
    {
        for (int i = 0; i < 40; i++) File.WriteAllText(Path.Combine(_dir, $"m{i:D2}.eml"), Dsn.Replace("nobody@", $"nobody{i}@"));
        // Listed with the folder's files but gone when read: a dangling symbolic link in the middle of the batch.
        File.CreateSymbolicLink(Path.Combine(_dir, "m20-gone.eml"), Path.Combine(_dir, "nowhere.eml"));
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await HeraldCli.RunAsync(["bounces", "classify", "--json", _dir], output, error);

        Assert.Equal(1, code);
        Assert.Contains("m20-gone.eml", error.ToString());
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(Enumerable.Range(0, 40).Select(i => $"nobody{i}@pupils.example.org"),
            lines.Select(l => l["recipients"]![0]!["address"]!.GetValue<string>()));
    }

    [Fact]
    public async Task The_first_message_a_fresh_process_reads_has_its_Japanese_encoded_subject_decoded()
    {
        // ISO-2022-JP is a legacy code page, not built into .NET: it must be available for the very first header a
        // process decodes. In a process of its own, with nothing run before, the subject "自動応答: 不在のお知らせ"
        // (automatic reply: absence notice) must read as an auto-reply. No Auto-Submitted field: the subject is the only sign.
        var file = Path.Combine(_dir, "absence.eml");
        File.WriteAllText(file, """
            From: yamada@example.co.jp
            To: announcements@school.example
            Subject: =?iso-2022-jp?b?GyRCPCtGMDF+RXobKEI6IBskQklUOl8kTiQqQ04kaSQ7GyhC?=
            MIME-Version: 1.0
            Content-Type: text/plain; charset=UTF-8

            12月14日以降に返信いたします。
            """);
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        var psi = new System.Diagnostics.ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "herald.dll"), "bounces", "classify", "--json", file }) psi.ArgumentList.Add(a);
        using var process = System.Diagnostics.Process.Start(psi)!;
        var stdout = await process.StandardOutput.ReadToEndAsync();
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.True(process.ExitCode == 0, $"herald exited {process.ExitCode}: {stderr}");
        var line = JsonNode.Parse(stdout)!;
        Assert.Equal("auto-reply", line["kind"]!.GetValue<string>());
        Assert.Equal("yamada@example.co.jp", line["recipients"]![0]!["address"]!.GetValue<string>());
    }
}
