using System.CommandLine;

namespace Herald.Bounces;

/// <summary><c>herald bounces ...</c>: bounce analysis without a database or a server.</summary>
public static class BouncesCommand
{
    public static Command Create()
    {
        var bounces = new Command("bounces", "Analyse bounce, complaint and auto-reply messages.");
        return bounces;
    }
}
