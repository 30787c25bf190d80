using System.CommandLine;

namespace Herald.Cli;

/// <summary>The one executable's command tree: each capability contributes its own commands.</summary>
public static class HeraldCli
{
    public static Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null) =>
        RunAsync(args, output, error, null);

    /// <summary>Runs a command with <paramref name="settings"/> (e.g. <c>Herald:DataDirectory</c>) overriding
    /// appsettings.json and HERALD__ variables, and <paramref name="input"/> in place of standard input, for this call only.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter? output, TextWriter? error, IReadOnlyDictionary<string, string?>? settings,
        Stream? input = null)
    {
        AdminCommands.Overrides.Value = settings;
        AdminCommands.Input.Value = input;
        var root = new RootCommand("Herald: school announcements by email and SMS, and what became of each message.");
        foreach (var c in AdminCommands.Create()) root.Subcommands.Add(c);
        root.Subcommands.Add(Bounces.BouncesCommand.Create(AdminCommands.Services, AdminCommands.OpenInput));
        // No termination timeout of the command line's own: it would end the process 2 s after SIGTERM, before the
        // host's graceful shutdown (Herald:Dispatch:ShutdownTimeout) has let sends in flight finish and be recorded.
        var config = new InvocationConfiguration { ProcessTerminationTimeout = null };
        if (output is not null) config.Output = output;
        if (error is not null) config.Error = error;
        return await root.Parse(args).InvokeAsync(config);
    }
}
