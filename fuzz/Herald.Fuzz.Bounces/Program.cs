using Herald.Core.Bounces;
using SharpFuzz;

// One input = one raw message. Any exception escaping the analysis (unguarded entry point, no catch-all) is a bug
// and crashes the run: Herald's own MIME reader refuses nothing, it reads what structure there is.
Fuzzer.OutOfProcess.Run(stream =>
{
    using var copy = new MemoryStream();
    stream.CopyTo(copy);
    BounceAnalyzer.AnalyzeUnguarded(copy.ToArray());
});
