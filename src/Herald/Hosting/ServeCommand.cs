using System.CommandLine;
using Herald.Commands;

namespace Herald.Hosting;

/// <summary><c>herald serve</c>: the HTTP API, the dispatcher and the configured transports.</summary>
public static class ServeCommand
{
    public static Command Serve(CommandContext cli)
    {
        var cmd = new Command("serve", "Run Herald: the HTTP API, the dispatcher and the sandbox (or configured) transports.");
        cmd.SetAction(async (p, ct) =>
        {
            WebApplication app;
            try { app = HeraldApp.Build([]); }
            catch (InvalidOperationException e) { p.InvocationConfiguration.Error.WriteLine($"error: {e.Message}"); return 1; }
            await app.RunAsync(ct);
            return 0;
        });
        return cmd;
    }
}
