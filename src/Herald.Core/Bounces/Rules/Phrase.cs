using System.Buffers;
using System.Runtime.CompilerServices;

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
    /// <summary>
    /// Fixed strings searched for together in one vectorised pass (SearchValues). ASCII strings and the others (Japanese,
    /// accented French…) are kept apart: one non-ASCII string would push the whole list onto the slower general search,
    /// and a text that is all ASCII, as most reports are, cannot contain them anyway.
    /// </summary>
    private sealed class Strings
    {
        private readonly SearchValues<string>? ascii, other;
        public readonly bool HasEmpty;

        public Strings(IEnumerable<string> strings)
        {
            var all = strings.ToArray();
            HasEmpty = all.Any(x => x.Length == 0);
            var a = all.Where(x => x.Length > 0 && System.Text.Ascii.IsValid(x)).Distinct().ToArray();
            var o = all.Where(x => x.Length > 0 && !System.Text.Ascii.IsValid(x)).Distinct().ToArray();
            if (a.Length > 0) ascii = SearchValues.Create(a, StringComparison.Ordinal);
            if (o.Length > 0) other = SearchValues.Create(o, StringComparison.Ordinal);
        }

        public bool In(string text)
        {
            if (HasEmpty) return true;
            var span = text.AsSpan();
            if (ascii is not null && span.ContainsAny(ascii)) return true;
            return other is not null && !System.Text.Ascii.IsValid(span) && span.ContainsAny(other);
        }
    }

    /// <summary>A list's one-fragment phrases searched for together, the others one by one. The lists are static tables, so each is prepared once.</summary>
    private sealed class Prepared(Phrase[] phrases)
    {
        public readonly Strings Single = new(phrases.Where(p => p.Parts.Length == 1).Select(p => p.Parts[0]));
        public readonly Phrase[] Multi = phrases.Where(p => p.Parts.Length != 1).ToArray();
    }

    private static readonly ConditionalWeakTable<Phrase[], Prepared> Cache = new();

    public static bool AnyIn(this Phrase[] phrases, string lowered)
    {
        if (lowered.Length == 0) return false;
        var prepared = Cache.GetValue(phrases, static p => new Prepared(p));
        if (prepared.Single.In(lowered)) return true;
        foreach (var p in prepared.Multi) if (p.IsIn(lowered)) return true;
        return false;
    }

    private static readonly ConditionalWeakTable<string[], Strings> WordCache = new();

    /// <summary>Whether any of these fixed strings occurs in <paramref name="text"/> (ordinal), in one vectorised pass.</summary>
    public static bool AnyIn(this string[] words, string text) => WordCache.GetValue(words, static w => new Strings(w)).In(text);
}
