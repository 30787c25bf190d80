using PhoneNumbers;

namespace Herald.Sms;

/// <summary>Mobile numbers normalised to E.164 with libphonenumber, national formats read in the school's region.</summary>
public static class MobileNumbers
{
    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();

    /// <summary>The E.164 form of a mobile number, or null with what is wrong (too short, not a mobile, unknown region…).</summary>
    public static string? Normalise(string? text, string defaultRegion, out string? problem)
    {
        problem = null;
        if (string.IsNullOrWhiteSpace(text)) { problem = "empty"; return null; }
        if (text.Length > 40) { problem = "longer than 40 characters"; return null; }
        PhoneNumber number;
        try { number = Util.Parse(text, defaultRegion); }
        catch (NumberParseException e)
        {
            problem = e.ErrorType switch
            {
                ErrorType.INVALID_COUNTRY_CODE => "unknown region (start with + and the country code)",
                ErrorType.TOO_SHORT_NSN or ErrorType.TOO_SHORT_AFTER_IDD => "too short",
                ErrorType.TOO_LONG => "too long",
                _ => "not a phone number",
            };
            return null;
        }
        switch (Util.IsPossibleNumberWithReason(number))
        {
            case PhoneNumberUtil.ValidationResult.TOO_SHORT: problem = "too short"; return null;
            case PhoneNumberUtil.ValidationResult.TOO_LONG: problem = "too long"; return null;
            case PhoneNumberUtil.ValidationResult.INVALID_COUNTRY_CODE: problem = "unknown region"; return null;
        }
        if (!Util.IsValidNumber(number)) { problem = "not a valid number"; return null; }
        var type = Util.GetNumberType(number);
        // Fixed-or-mobile: some countries (US) cannot tell them apart, so such numbers are accepted.
        if (type is not (PhoneNumberType.MOBILE or PhoneNumberType.FIXED_LINE_OR_MOBILE))
        { problem = "not a mobile number"; return null; }
        return Util.Format(number, PhoneNumberFormat.E164);
    }
}
