namespace Herald.Addresses.Pages;

/// <summary>The strings of the support console (SupportText.es.resx). English is the key.</summary>
public sealed class SupportText;
