using System.CommandLine;
using Herald.Addresses;
using Herald.Announcements;
using Herald.Bounces;
using Herald.Commands;
using Herald.Contacts;
using Herald.Hosting;
using Herald.Reports;
using Herald.Schools;
using Herald.Storage;

namespace Herald.Cli;

/// <summary>The one executable's command tree: each capability contributes its own commands; the root only composes
/// them and gives them Herald's services.</summary>
public static class HeraldCli
{
    /// <summary>Settings that override appsettings.json and the environment for the current async flow (lets tests run
    /// commands in parallel without process-wide variables).</summary>
    private static readonly AsyncLocal<IReadOnlyDictionary<string, string?>?> Overrides = new();

    /// <summary>A stream that stands for standard input in the current async flow (tests pipe a message into a command
    /// without touching the process's own standard input).</summary>
    private static readonly AsyncLocal<Stream?> Input = new();

    private static readonly System.Text.Json.JsonSerializerOptions Json = CreateJson();

    private static System.Text.Json.JsonSerializerOptions CreateJson()
    {
        var o = new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web) { WriteIndented = false };
        Http.HttpJson.Configure(o);
        return o;
    }

    public static Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null) =>
        RunAsync(args, output, error, null);

    /// <summary>Runs a command with <paramref name="settings"/> (e.g. <c>Herald:DataDirectory</c>) overriding
    /// appsettings.json and HERALD__ variables, and <paramref name="input"/> in place of standard input, for this call only.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter? output, TextWriter? error, IReadOnlyDictionary<string, string?>? settings,
        Stream? input = null)
    {
        Overrides.Value = settings;
        Input.Value = input;
        var cli = new CommandContext(Services, () => Input.Value ?? Console.OpenStandardInput(), Json);
        var root = new RootCommand("Herald: school announcements by email and SMS, and what became of each message.");
        root.Subcommands.Add(ServeCommand.Serve(cli));
        root.Subcommands.Add(SchoolsCommands.Schools(cli));
        root.Subcommands.Add(SchoolsCommands.Keys(cli));
        root.Subcommands.Add(Staff.StaffCommands.Users(cli));
        root.Subcommands.Add(ContactsCommands.Contacts(cli));
        root.Subcommands.Add(ReportCommand.Report(cli));
        root.Subcommands.Add(AnnouncementsCommands.AnnouncementsCmd(cli));
        root.Subcommands.Add(AddressesCommands.Addresses(cli));
        root.Subcommands.Add(BouncesCommand.Create(cli.Services, cli.OpenInput));
        // No termination timeout of the command line's own: it would end the process 2 s after SIGTERM, before the
        // host's graceful shutdown (Herald:Dispatch:ShutdownTimeout) has let sends in flight finish and be recorded.
        var config = new InvocationConfiguration { ProcessTerminationTimeout = null };
        if (output is not null) config.Output = output;
        if (error is not null) config.Error = error;
        return await root.Parse(args).InvokeAsync(config);
    }

    /// <summary>Opens Herald's services from appsettings.json and HERALD__ variables, migrating the database.</summary>
    private static IServiceProvider Services()
    {
        var builder = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables();
        if (Overrides.Value is { } overrides) builder.AddInMemoryCollection(overrides);
        var sp = new ServiceCollection().AddHeraldCore(builder.Build()).BuildServiceProvider();
        sp.GetRequiredService<Database>().Migrate();
        return sp;
    }
}
