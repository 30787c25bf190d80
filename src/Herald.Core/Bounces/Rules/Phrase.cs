namespace Herald.Core.Bounces.Rules;

/// <summary>
/// A piece of wording to look for in lowercased diagnostic text: one fragment, or several that must
/// appear in this order (e.g. "user " … " does not exist", which a single fixed string cannot say
/// without a regex). Ordinal searches only: no backtracking, linear in the text.
/// </summary>
internal readonly record struct Phrase(params string[] Parts)
{
    public static implicit operator Phrase(string s) => new(s);

    public bool IsIn(string lowered)
    {
        int at = 0;
        foreach (var p in Parts)
        {
            int i = lowered.IndexOf(p, at, StringComparison.Ordinal);
            if (i < 0) return false;
            at = i + p.Length;
        }
        return true;
    }
}

internal static class PhraseList
{
    public static bool AnyIn(this Phrase[] phrases, string lowered)
    {
        if (lowered.Length == 0) return false;
        foreach (var p in phrases) if (p.IsIn(lowered)) return true;
        return false;
    }
}
