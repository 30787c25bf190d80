using System.CommandLine;
using Herald.Commands;
using Herald.Core.Deliveries;
using Herald.Schools;

namespace Herald.Addresses;

/// <summary><c>herald addresses reset …</c>: support lifts a failed or suppressed address.</summary>
public static class AddressesCommands
{
    public static Command Addresses(CommandContext cli)
    {
        var addresses = new Command("addresses", "Failed and suppressed addresses.");
        var reset = new Command("reset", "Reset a failed or suppressed address so it can be used again (logged with who and why).");
        var address = new Argument<string>("address") { Description = "Email address, or an E.164 number with --sms" };
        var by = new Option<string>("--by") { Description = "Who resets it", Required = true };
        var why = new Option<string>("--why") { Description = "Why", Required = true };
        var sms = new Option<bool>("--sms") { Description = "The address is a mobile number" };
        var school = new Option<string?>("--school") { Description = "The school (slug) whose address state is lifted" };
        var allSchools = new Option<bool>("--all-schools") { Description = "Lift it in every school that marked it (instead of --school)" };
        var resendDays = new Option<int?>("--resend-dropped-days") { Description = "Also resend what was dropped for this address in the last N days" };
        reset.Arguments.Add(address); reset.Options.Add(by); reset.Options.Add(why); reset.Options.Add(sms); reset.Options.Add(school); reset.Options.Add(allSchools); reset.Options.Add(resendDays);
        reset.SetAction(p => cli.Run(p, (sp, output) =>
        {
            var channel = p.GetValue(sms) ? Channel.Sms : Channel.Email;
            var raw = p.GetValue(address)!.Trim();
            var a = AddressReset.Normalise(raw, channel);
            if (string.IsNullOrWhiteSpace(p.GetValue(by)) || string.IsNullOrWhiteSpace(p.GetValue(why))) throw new ArgumentException("--by and --why must not be empty");
            // As in the API: every school only when asked for by name, never because --school was left out.
            var all = p.GetValue(allSchools);
            if (p.GetValue(school) is null == !all) throw new ArgumentException("give --school SLUG, or --all-schools to reset it in every school (not both)");
            long? s = p.GetValue(school) is { } slug ? sp.GetRequiredService<SchoolStore>().Require(slug).Id : null;
            if (p.GetValue(resendDays) is < 1 or > 365) throw new ArgumentException("--resend-dropped-days must be between 1 and 365");
            var r = sp.GetRequiredService<AddressReset>().Reset(a, channel, p.GetValue(by)!, p.GetValue(why)!, s, all);
            if (r.Schools.Count == 0) throw new InvalidOperationException($"'{a}' is not marked failed or suppressed");
            output.WriteLine($"{a} reset in {r.Schools.Count} school(s){(all ? " (all-schools reset)" : "")}");
            if (p.GetValue(resendDays) is { } days)
            {
                foreach (var rr in sp.GetRequiredService<AddressResend>().ResendDropped(r, channel, days, p.GetValue(by)!))
                    output.WriteLine($"announcement {rr.AnnouncementId}: resent {rr.Resent}");
            }
            return 0;
        }));
        addresses.Subcommands.Add(reset);
        return addresses;
    }
}
