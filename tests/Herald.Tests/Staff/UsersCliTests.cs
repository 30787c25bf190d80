using System.Text;
using Herald.Cli;
using Herald.Staff;
using Herald.Tests.Api;
using Herald.Tests.Cli;

namespace Herald.Tests.Staff;

/// <summary>The operator manages the people who sign in, on the command line; passwords come from standard input.</summary>
public class UsersCliTests
{
    private static async Task<CliResult> Run(HeraldStorage storage, string? stdin, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var input = stdin is null ? null : new MemoryStream(Encoding.UTF8.GetBytes(stdin));
        var exit = await HeraldCli.RunAsync(args, output, error, storage.Settings, input);
        return new CliResult(exit, output.ToString(), error.ToString());
    }

    private static async Task<HeraldStorage> WithSchoolAsync()
    {
        var storage = await HeraldStorage.CreateAsync("sqlite");
        await CliSteps.RunOk(storage, "schools", "add", "hill", "--name", "Hillside School");
        return storage;
    }

    [Fact]
    public async Task A_staff_user_is_added_with_a_password_from_standard_input_and_listed_with_their_school()
    {
        using var storage = await WithSchoolAsync();
        var add = await Run(storage, "correct horse battery\n", "users", "add", "--email", "Ann@Hill.example", "--name", "Ann Office", "--role", "staff", "--school", "hill", "--password-stdin");
        Assert.True(add.Exit == 0, add.ToString());
        var list = await CliSteps.RunOk(storage, "users", "list");
        Assert.Contains("ann@hill.example\tAnn Office\tstaff of hill\tnever signed in\tactive", list.Output);
    }

    [Theory]
    [InlineData("short\n", "--role", "support", "at least 12 characters")]
    [InlineData("correct horse battery\n", "--role", "staff", "belongs to a school")]
    [InlineData("correct horse battery\n", "--role", "teacher", "--role 'teacher' is not staff or support")]
    public async Task A_bad_user_is_refused_naming_the_problem(string password, string option, string role, string problem)
    {
        using var storage = await WithSchoolAsync();
        var r = await Run(storage, password, "users", "add", "--email", "x@hill.example", "--name", "X", option, role, "--password-stdin");
        Assert.Equal(1, r.Exit);
        Assert.Contains(problem, r.Error);
        Assert.Equal("", (await CliSteps.RunOk(storage, "users", "list")).Output);
    }

    [Fact]
    public async Task The_same_address_twice_is_refused()
    {
        using var storage = await WithSchoolAsync();
        await Run(storage, "correct horse battery\n", "users", "add", "--email", "sam@op.example", "--name", "Sam", "--role", "support", "--password-stdin");
        var again = await Run(storage, "correct horse battery\n", "users", "add", "--email", "SAM@op.example", "--name", "Sam", "--role", "support", "--password-stdin");
        Assert.Equal(1, again.Exit);
        Assert.Contains("already exists", again.Error);
    }

    [Fact]
    public async Task A_disabled_user_is_listed_as_disabled_and_a_reset_password_works()
    {
        using var storage = await WithSchoolAsync();
        await Run(storage, "correct horse battery\n", "users", "add", "--email", "sam@op.example", "--name", "Sam", "--role", "support", "--password-stdin");
        var reset = await Run(storage, "another long passphrase\n", "users", "reset-password", "sam@op.example", "--password-stdin");
        Assert.True(reset.Exit == 0, reset.ToString());
        await CliSteps.RunOk(storage, "users", "disable", "sam@op.example");
        Assert.Contains("\tdisabled ", (await CliSteps.RunOk(storage, "users", "list")).Output);
        var twice = await Run(storage, null, "users", "disable", "sam@op.example");
        Assert.Equal(1, twice.Exit);
        Assert.Contains("already disabled", twice.Error);
    }

    [Fact]
    public async Task Both_a_password_and_an_invite_is_refused_and_adds_nobody()
    {
        using var storage = await WithSchoolAsync();
        var r = await Run(storage, "correct horse battery\n", "users", "add", "--email", "x@hill.example", "--name", "X", "--role", "support", "--password-stdin", "--invite");
        Assert.Equal(1, r.Exit);
        Assert.Contains("give either --password-stdin or --invite", r.Error);
        var bad = await Run(storage, null, "users", "add", "--email", "x@hill.example", "--name", "X", "--role", "support", "--base-url", "herald.example");
        Assert.Contains("is not an absolute http(s) URL", bad.Error);
        Assert.Equal("", (await CliSteps.RunOk(storage, "users", "list")).Output);
    }
}
