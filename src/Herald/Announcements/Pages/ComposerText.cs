namespace Herald.Announcements.Pages;

/// <summary>The strings of the composer and the preview (ComposerText.es.resx). English is the key.</summary>
public sealed class ComposerText;
