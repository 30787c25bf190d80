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
        var addPasswordStdin = new Option<bool>("--password-stdin") { Description = "Read the password from standard input (its first line); without it, print a one-time set-password link" };
        var invite = new Option<bool>("--invite") { Description = "Print a one-time link with which the user chooses their password (the default without --password-stdin)" };
        var baseUrl = new Option<string?>("--base-url") { Description = "Herald's address as the user's browser reaches it (e.g. https://herald.example), put in front of the link" };

        var add = new Command("add", "Add a user.");
        var email = new Option<string>("--email") { Description = "Their email address (they sign in with it)", Required = true };
        var name = new Option<string>("--name") { Description = "Their name, as pages show it", Required = true };
        var role = new Option<string>("--role") { Description = "staff (one school's pages) or support (every school, the support console)", Required = true };
        var school = new Option<string?>("--school") { Description = "The school (slug or id) of a staff user" };
        foreach (var o in new Option[] { email, name, role, school, addPasswordStdin, invite, baseUrl }) add.Options.Add(o);
        add.SetAction(p => cli.Run(p, (sp, output) =>
        {
            var r = p.GetValue(role)!.Trim().ToLowerInvariant() switch
            {
                "staff" => StaffRole.Staff,
                "support" => StaffRole.Support,
                var other => throw new ArgumentException($"--role '{other}' is not staff or support"),
            };
            long? schoolId = p.GetValue(school) is { } s ? sp.GetRequiredService<SchoolStore>().Require(s).Id : null;
            if (p.GetValue(addPasswordStdin) && p.GetValue(invite)) throw new ArgumentException("give either --password-stdin or --invite");
            CheckBaseUrl(p.GetValue(baseUrl));
            var users = sp.GetRequiredService<StaffUsers>();
            var password = p.GetValue(addPasswordStdin) ? ReadPassword(cli) : null;
            var user = users.Add(p.GetValue(email)!, p.GetValue(name)!, r, schoolId, password);
            output.WriteLine($"user {user.Id} {user.Email} ({Describe(user, sp)}) added");
            if (password is null) PrintLink(output, users.Invite(user.Email), p.GetValue(baseUrl));
            return 0;
        }));

        var inviteCmd = new Command("invite", "Print a new one-time set-password link for a user (earlier links stop working).");
        var inviteEmail = new Argument<string>("email");
        var inviteBase = new Option<string?>("--base-url") { Description = baseUrl.Description };
        inviteCmd.Arguments.Add(inviteEmail);
        inviteCmd.Options.Add(inviteBase);
        inviteCmd.SetAction(p => cli.Run(p, (sp, output) =>
        {
            PrintLink(output, sp.GetRequiredService<StaffUsers>().Invite(p.GetValue(inviteEmail)!), p.GetValue(inviteBase));
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

        foreach (var c in new[] { add, inviteCmd, list, disable, reset }) users.Subcommands.Add(c);
        return users;
    }

    /// <summary>The link on a line of its own (easy to copy), then what it is for. It is a secret: give it to the user
    /// alone.</summary>
    private static void PrintLink(TextWriter output, (StaffUser User, string Token, DateTimeOffset ExpiresAt) invite, string? baseUrl)
    {
        CheckBaseUrl(baseUrl);
        output.WriteLine($"{baseUrl?.TrimEnd('/')}/set-password/{invite.Token}");
        output.WriteLine($"give this link to {invite.User.Email} alone: it lets them choose their password, once, until {invite.ExpiresAt:u}" +
            (baseUrl is null ? " (put Herald's address in front of it, or give --base-url)" : ""));
    }

    private static void CheckBaseUrl(string? baseUrl)
    {
        if (baseUrl is not null && !(Uri.TryCreate(baseUrl, UriKind.Absolute, out var u) && u.Scheme is "http" or "https"))
            throw new ArgumentException($"--base-url '{baseUrl}' is not an absolute http(s) URL");
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
