using Herald.Cli;
using Herald.Tests.Api;

namespace Herald.Tests.Cli;

/// <summary>What one run of the command line did.</summary>
public sealed record CliResult(int Exit, string Output, string Error)
{
    public override string ToString() => $"exit {Exit}\n--- output ---\n{Output}\n--- error ---\n{Error}";
}

/// <summary>Runs Herald's command line in-process against a test's storage.</summary>
public static class CliSteps
{
    public static async Task<CliResult> Run(HeraldStorage storage, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await HeraldCli.RunAsync(args, output, error, storage.Settings);
        return new(exit, output.ToString(), error.ToString());
    }

    /// <summary>Runs and fails the test, with the output, unless the command succeeded.</summary>
    public static async Task<CliResult> RunOk(HeraldStorage storage, params string[] args)
    {
        var r = await Run(storage, args);
        Assert.True(r.Exit == 0, $"herald {string.Join(' ', args)} failed: {r}");
        return r;
    }
}
