using System.Diagnostics;
using Herald.Core.Bounces;
using MimeKit;

// usage: Herald.Bench.Bounces CORPUS_DIR [PASSES]
// Loads every .eml under CORPUS_DIR into memory, then times N passes of (a) MimeMessage.Load only and
// (b) BounceAnalyzer.Analyze(stream), which includes the same parse. Prints messages/second and the ratio.
var dir = args.Length > 0 ? args[0] : "../shared/corpus";
int passes = args.Length > 1 ? int.Parse(args[1]) : 20;
var messages = Directory.EnumerateFiles(dir, "*.eml", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToArray();
if (messages.Length == 0) { Console.Error.WriteLine($"no .eml files under {dir}"); return 1; }

double Run(string name, Action<byte[]> work)
{
    foreach (var m in messages) work(m); // warm-up pass: JIT, tiering
    var sw = Stopwatch.StartNew();
    for (int p = 0; p < passes; p++) foreach (var m in messages) work(m);
    sw.Stop();
    double rate = messages.Length * (double)passes / sw.Elapsed.TotalSeconds;
    Console.WriteLine($"{name,-28} {rate,10:N0} msg/s  ({messages.Length} messages x {passes} passes in {sw.Elapsed.TotalSeconds:F2} s)");
    return rate;
}

int sink = 0;
double parse = Run("MimeKit parse only", b => sink += MimeMessage.Load(new MemoryStream(b)).Headers.Count);
double classify = Run("Herald classify (parse incl.)", b => sink += BounceAnalyzer.Analyze(b).Recipients.Count);
Console.WriteLine($"ratio classify/parse: {classify / parse:F2}   (sink {sink})");
long before = GC.GetAllocatedBytesForCurrentThread();
foreach (var m in messages) sink += BounceAnalyzer.Analyze(m).Recipients.Count;
Console.WriteLine($"allocated per message (classify): {(GC.GetAllocatedBytesForCurrentThread() - before) / messages.Length / 1024.0:F1} KB; average message {messages.Average(m => m.Length) / 1024.0:F1} KB");
return 0;
