using Herald.Core.Bounces;
using MimeKit;

namespace Herald.Core.Tests.Bounces;

/// <summary>
/// Mutated corpus messages (truncated, bytes flipped, headers dropped, parts duplicated, nesting added) must
/// never make the analysis throw. Uses the unguarded entry point so the catch-all in Analyze cannot hide a bug.
/// </summary>
public class RobustnessTests
{
    private const int Iterations = 3000;

    [Fact]
    public void Thousands_of_mutated_messages_are_analysed_without_an_exception()
    {
        var random = new Random(20261123);
        var files = Directory.EnumerateFiles(Corpus.Bounces, "*.eml").Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToArray();
        var failures = new List<string>();
        for (int i = 0; i < Iterations; i++)
        {
            var bytes = Mutate(files[random.Next(files.Length)], random);
            try { BounceAnalyzer.AnalyzeUnguarded(bytes); }
            catch (Exception e) { failures.Add($"iteration {i}: {e.GetType().Name}: {e.Message}"); }
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures.Take(10)));
    }

    [Fact]
    public void Binary_garbage_is_not_a_bounce()
    {
        var bytes = new byte[4096];
        new Random(7).NextBytes(bytes);
        Assert.Equal(MessageKind.NotBounce, BounceAnalyzer.Analyze(new MemoryStream(bytes)).Kind);
    }

    [Fact]
    public void Deeply_nested_multiparts_are_analysed_without_an_exception()
    {
        MimeEntity body = new TextPart("plain") { Text = "Final-Recipient: rfc822; a@example.org\nAction: failed\nStatus: 5.1.1\n" };
        for (int i = 0; i < 2000; i++) body = new Multipart("mixed") { body };
        var m = new MimeMessage { Body = body, Subject = "Undelivered Mail Returned to Sender" };
        m.From.Add(new MailboxAddress("", "MAILER-DAEMON@example.org"));
        using var bytes = new MemoryStream();
        m.WriteTo(bytes);
        var ex = Record.Exception(() => BounceAnalyzer.AnalyzeUnguarded(bytes.ToArray()));
        Assert.Null(ex);
    }

    private static byte[] Mutate(byte[] src, Random r)
    {
        var b = src.ToList();
        switch (r.Next(6))
        {
            case 0: // truncate
                return b.Take(r.Next(b.Count + 1)).ToArray();
            case 1: // flip bytes
                for (int k = 0; k < 1 + r.Next(64) && b.Count > 0; k++) b[r.Next(b.Count)] = (byte)r.Next(256);
                return b.ToArray();
            case 2: // drop a header line
            {
                var text = System.Text.Encoding.Latin1.GetString(src);
                var lines = text.Split('\n').ToList();
                int end = lines.FindIndex(l => l.TrimEnd('\r').Length == 0);
                if (end > 0) lines.RemoveAt(r.Next(end));
                return System.Text.Encoding.Latin1.GetBytes(string.Join('\n', lines));
            }
            case 3: // duplicate a slice (duplicates parts, boundaries, fields)
            {
                int start = r.Next(b.Count), len = Math.Min(r.Next(4096), b.Count - start);
                b.InsertRange(r.Next(b.Count + 1), b.GetRange(start, len));
                return b.ToArray();
            }
            case 4: // delete a slice
            {
                int start = r.Next(b.Count), len = Math.Min(r.Next(2048), b.Count - start);
                b.RemoveRange(start, len);
                return b.ToArray();
            }
            default: // wrong charset / encoding declarations
            {
                var text = System.Text.Encoding.Latin1.GetString(src)
                    .Replace("charset=", r.Next(2) == 0 ? "charset=x-unknown-" : "charset=utf-7;x=")
                    .Replace("7bit", "base64");
                return System.Text.Encoding.Latin1.GetBytes(text);
            }
        }
    }
}
