using System.CommandLine;
using Herald.Commands;
using Herald.Schools;

namespace Herald.Staff;

/// <summary><c>herald users …</c>: the people who sign in to Herald's pages. Passwords come from standard input, never
/// from the command line (where other users of the machine and the shell's history would see them).</summary>
public static class StaffCommands
{
    public static Command Users(CommandContext cli)
    {
        var users = new Command("users", "Manage staff and support users of Herald's pages.");
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the password from standard input (its first line)", Required = true };

        var add = new Command("add", "Add a user.");
        var email = new Option<string>("--email") { Description = "Their email address (they sign in with it)", Required = true };
        var name = new Option<string>("--name") { Description = "Their name, as pages show it", Required = true };
        var role = new Option<string>("--role") { Description = "staff (one school's pages) or support (every school, the support console)", Required = true };
        var school = new Option<string?>("--school") { Description = "The school (slug or id) of a staff user" };
        foreach (var o in new Option[] { email, name, role, school, passwordStdin }) add.Options.Add(o);
        add.SetAction(p => cli.Run(p, (sp, output) =>
        {
            var r = p.GetValue(role)!.Trim().ToLowerInvariant() switch
            {
                "staff" => StaffRole.Staff,
                "support" => StaffRole.Support,
                var other => throw new ArgumentException($"--role '{other}' is not staff or support"),
            };
            long? schoolId = p.GetValue(school) is { } s ? sp.GetRequiredService<SchoolStore>().Require(s).Id : null;
            var user = sp.GetRequiredService<StaffUsers>().Add(p.GetValue(email)!, p.GetValue(name)!, r, schoolId, ReadPassword(cli));
            output.WriteLine($"user {user.Id} {user.Email} ({Describe(user, sp)}) added");
            return 0;
        }));

        var list = new Command("list", "List users: email, name, role, school, last sign-in, state.");
        var listSchool = new Option<string?>("--school") { Description = "Only this school's staff" };
        list.Options.Add(listSchool);
        list.SetAction(p => cli.Run(p, (sp, output) =>
        {
            long? schoolId = p.GetValue(listSchool) is { } s ? sp.GetRequiredService<SchoolStore>().Require(s).Id : null;
            foreach (var u in sp.GetRequiredService<StaffUsers>().List(schoolId))
                output.WriteLine(string.Join('\t', u.Id, u.Email, u.Name, Describe(u, sp),
                    u.LastSignInAt is { } at ? $"last sign-in {at:u}" : "never signed in", u.DisabledAt is { } d ? $"disabled {d:u}" : "active"));
            return 0;
        }));

        var disable = new Command("disable", "Disable a user: no more sign-ins, and their open sessions end.");
        var disableEmail = new Argument<string>("email");
        disable.Arguments.Add(disableEmail);
        disable.SetAction(p => cli.Run(p, (sp, output) =>
        {
            var user = sp.GetRequiredService<StaffUsers>().Disable(p.GetValue(disableEmail)!);
            output.WriteLine($"user {user.Email} disabled");
            return 0;
        }));

        var reset = new Command("reset-password", "Set a new password (read from standard input); lifts a lock-out and ends open sessions.");
        var resetEmail = new Argument<string>("email");
        reset.Arguments.Add(resetEmail);
        reset.Options.Add(passwordStdin);
        reset.SetAction(p => cli.Run(p, (sp, output) =>
        {
            var user = sp.GetRequiredService<StaffUsers>().ResetPassword(p.GetValue(resetEmail)!, ReadPassword(cli));
            output.WriteLine($"password of {user.Email} set");
            return 0;
        }));

        foreach (var c in new[] { add, list, disable, reset }) users.Subcommands.Add(c);
        return users;
    }

    /// <summary>The first line of standard input, without its line end.</summary>
    private static string ReadPassword(CommandContext cli)
    {
        using var reader = new StreamReader(cli.OpenInput());
        return (reader.ReadLine() ?? "").TrimEnd('\r');
    }

    private static string Describe(StaffUser u, IServiceProvider sp) => u.Role == StaffRole.Support
        ? "support"
        : $"staff of {sp.GetRequiredService<SchoolStore>().Get(u.SchoolId!.Value)?.Slug}";
}
