using Herald.Email;

namespace Herald.Tests.Email;

public class MessageIdsTests
{
    private const string Domain = "mail.school.test";

    [Fact]
    public void A_new_message_id_is_random_opaque_and_recognised_with_or_without_angle_brackets()
    {
        var ids = Enumerable.Range(0, 1000).Select(_ => MessageIds.New(Domain)).ToList();

        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(ids, id => Assert.Matches("^herald\\.[a-z2-7]{26}@mail\\.school\\.test$", id));
        Assert.All(ids, id => Assert.True(MessageIds.IsOurs(id, Domain), id));
        Assert.True(MessageIds.IsOurs($"<{ids[0]}>", Domain.ToUpperInvariant()));
        // Every character is random, the 26th too (it carries the last 3 of the 128 bits): no fixed part to guess.
        for (var i = "herald.".Length; i < "herald.".Length + 26; i++)
            Assert.True(ids.Select(id => id[i]).Distinct().Count() > 1, $"character {i} is the same in 1000 ids");
    }

    [Theory]
    [InlineData("herald.42.1.0123456789abcdef0123456789abcdef@mail.school.test")] // the old format, naming delivery 42
    [InlineData("herald.abcdefghijklmnopqrstuvwxyz@other.school.test")] // another domain
    [InlineData("herald.abcdefghijklmnopqrstuvwxy@mail.school.test")] // one character short
    [InlineData("herald.abcdefghijklmnopqrstuvwxyz2@mail.school.test")] // one too many
    [InlineData("herald.ABCDEFGHIJKLMNOPQRSTUVWXYZ@mail.school.test")] // Herald writes lower case only
    [InlineData("herald.abcdefghijklmnopqrstuvwxy1@mail.school.test")] // 1 is not in the alphabet
    [InlineData("other.abcdefghijklmnopqrstuvwxyz@mail.school.test")]
    [InlineData("")]
    [InlineData(null)]
    public void Ids_of_another_shape_or_domain_are_not_ours(string? id) => Assert.False(MessageIds.IsOurs(id, Domain));
}
