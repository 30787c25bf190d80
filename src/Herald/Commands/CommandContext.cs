using System.CommandLine;
using System.Text.Json;
using Spectre.Console;

namespace Herald.Commands;

/// <summary>
/// What every capability's CLI commands share, handed down by the CLI root: Herald's services on its database, the
/// input stream, the JSON of <c>--json</c>, and one way to turn expected failures into a message and exit code 1
/// (never a stack trace).
/// </summary>
/// <param name="services">Opens Herald's services from appsettings.json and HERALD__ variables, migrating the database.</param>
/// <param name="input">Standard input, or the stream a test gave for this call.</param>
/// <param name="json">The JSON of <c>--json</c> output: the API's own.</param>
public sealed class CommandContext(Func<IServiceProvider> services, Func<Stream> input, JsonSerializerOptions json)
{
    public JsonSerializerOptions Json => json;

    public IServiceProvider Services() => services();

    public Stream OpenInput() => input();

    /// <summary>Runs a command body, turning expected failures (bad input, a missing file, an unknown school, a
    /// refused file format) into <c>error: …</c> on stderr and exit code 1.</summary>
    public int Run(ParseResult p, Func<IServiceProvider, TextWriter, int> body)
    {
        try { return body(services(), p.InvocationConfiguration.Output); }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IOException or UnauthorizedAccessException or FormatException)
        {
            p.InvocationConfiguration.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    /// <summary>A plain console (no colours, no ANSI) on the command's output, for tables.</summary>
    public static IAnsiConsole Console(TextWriter output) =>
        AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
}
