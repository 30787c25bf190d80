namespace Herald.Core.Sms;

/// <summary>How an SMS text goes over the air.</summary>
/// <param name="Encoding">"GSM-7" or "UCS-2".</param>
/// <param name="Units">Septets (GSM-7, extension characters count 2) or UTF-16 code units (UCS-2).</param>
/// <param name="Parts">Segments the carrier bills: one if it fits a single SMS, else concatenated parts.</param>
public sealed record SmsEncoding(string Encoding, int Units, int Parts);

/// <summary>GSM 03.38 encoding detection and segment counting (3GPP TS 23.038).</summary>
public static class SmsText
{
    public const string Gsm7 = "GSM-7";
    public const string Ucs2 = "UCS-2";

    // The GSM 03.38 basic character set (one septet each).
    private const string Basic =
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
        "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

    // The extension table: escape + character, so two septets each.
    private const string Extension = "\f^{}\\[~]|€";

    public static SmsEncoding Measure(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var septets = 0;
        foreach (var c in text)
        {
            if (Basic.Contains(c)) septets += 1;
            else if (Extension.Contains(c)) septets += 2;
            else
            {
                // One character outside GSM-7 turns the whole message into UCS-2; emoji are
                // surrogate pairs and so count 2 code units, as the handset counts them.
                return new SmsEncoding(Ucs2, text.Length, Parts(text.Length, 70, 67));
            }
        }
        return new SmsEncoding(Gsm7, septets, Parts(septets, 160, 153));
    }

    // A concatenated message loses room to the user data header (6 bytes) in every part.
    private static int Parts(int units, int single, int perPart) =>
        units == 0 ? 1 : units <= single ? 1 : (units + perPart - 1) / perPart;
}
