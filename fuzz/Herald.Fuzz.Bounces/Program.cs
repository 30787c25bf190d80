using Herald.Core.Bounces;
using MimeKit;
using SharpFuzz;

// One input = one raw message. MimeKit's own FormatException on unparseable input is expected; any other
// exception escaping the analysis (unguarded entry point, no catch-all) is a bug and crashes the run.
Fuzzer.OutOfProcess.Run(stream =>
{
    MimeMessage message;
    try { message = MimeMessage.Load(stream); }
    catch (FormatException) { return; }
    BounceAnalyzer.AnalyzeUnguarded(message);
});
