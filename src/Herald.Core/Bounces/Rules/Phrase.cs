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
    /// A list's one-fragment phrases searched for together in one pass (SearchValues: a vectorised multi-string
    /// search), the others one by one. The lists are static tables, so each is prepared once.
    /// </summary>
    private sealed class Prepared(Phrase[] phrases)
    {
        public readonly SearchValues<string>? Single = phrases.Where(p => p.Parts.Length == 1 && p.Parts[0].Length > 0).Select(p => p.Parts[0]).ToArray() is { Length: > 0 } s
            ? SearchValues.Create(s, StringComparison.Ordinal) : null;
        public readonly Phrase[] Multi = phrases.Where(p => p.Parts.Length != 1).ToArray();
        public readonly bool HasEmpty = phrases.Any(p => p.Parts.Length == 1 && p.Parts[0].Length == 0);
    }

    private static readonly ConditionalWeakTable<Phrase[], Prepared> Cache = new();

    public static bool AnyIn(this Phrase[] phrases, string lowered)
    {
        if (lowered.Length == 0) return false;
        var prepared = Cache.GetValue(phrases, static p => new Prepared(p));
        if (prepared.HasEmpty) return true;
        if (prepared.Single is { } single && lowered.AsSpan().ContainsAny(single)) return true;
        foreach (var p in prepared.Multi) if (p.IsIn(lowered)) return true;
        return false;
    }

    private sealed class PreparedWords(string[] words)
    {
        public readonly SearchValues<string>? Values = words.Where(w => w.Length > 0).ToArray() is { Length: > 0 } s ? SearchValues.Create(s, StringComparison.Ordinal) : null;
        public readonly bool HasEmpty = words.Any(w => w.Length == 0);
    }

    private static readonly ConditionalWeakTable<string[], PreparedWords> WordCache = new();

    /// <summary>Whether any of these fixed strings occurs in <paramref name="text"/> (ordinal), in one vectorised pass.</summary>
    public static bool AnyIn(this string[] words, string text)
    {
        var prepared = WordCache.GetValue(words, static w => new PreparedWords(w));
        if (prepared.HasEmpty) return true;
        return prepared.Values is { } v && text.AsSpan().ContainsAny(v);
    }
}
