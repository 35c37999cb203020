using System.Text.Json;
using R1Sharp.Server.Conversations;

namespace R1Sharp.Server.Tests.Conversations;

public sealed class ConversationStoreTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "r1-conv-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private static JsonElement Obj(string json) => JsonDocument.Parse(json).RootElement.Clone();

    [Fact]
    public void CreateAppendUpdateAndReadBackInOrder()
    {
        var store = new ConversationStore(_dir);
        var c = store.Create("  first\nchat ", Obj("""{"temperature":0.3}"""));
        Assert.Equal("first chat", c.Title);
        var u = store.Append(c.Id, new MessagePatch("user", "What is 2+2?", null, null))!;
        var a = store.Append(c.Id, new MessagePatch("assistant", "4", "2+2 is 4", Obj("""{"tokensPerSecond":12.5}""")))!;
        store.UpdateMessage(c.Id, a.Id, new MessagePatch(null, "It is 4.", null, null));

        var back = store.Get(c.Id)!;
        Assert.Equal([u.Id, a.Id], back.Messages.Select(m => m.Id));
        Assert.Equal(["user", "assistant"], back.Messages.Select(m => m.Role));
        Assert.Equal("It is 4.", back.Messages[1].Content);
        Assert.Equal("2+2 is 4", back.Messages[1].Reasoning);
        Assert.Equal(12.5, back.Messages[1].Meta!.Value.GetProperty("tokensPerSecond").GetDouble());
        Assert.Equal(0.3, back.Settings!.Value.GetProperty("temperature").GetDouble());
    }

    [Fact]
    public void SurvivesReopeningTheDatabase()
    {
        string id;
        {
            var store = new ConversationStore(_dir);
            id = store.Create("kept", null).Id;
            store.Append(id, new MessagePatch("user", "hello <b>world</b>", null, null));
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var reopened = new ConversationStore(_dir);
        var c = reopened.Get(id)!;
        Assert.Equal("kept", c.Title);
        Assert.Equal("hello <b>world</b>", Assert.Single(c.Messages).Content);
    }

    [Fact]
    public void ListIsMostRecentFirstAndSearchMatchesTitleAndText()
    {
        var store = new ConversationStore(_dir);
        var a = store.Create("Apples", null);
        var b = store.Create("Bananas", null);
        store.Append(a.Id, new MessagePatch("user", "tell me about 100% juice_box", null, null));   // touches a: now most recent
        Assert.Equal([a.Id, b.Id], store.List().Select(s => s.Id));
        Assert.Equal([b.Id], store.List("banana").Select(s => s.Id));
        Assert.Equal([a.Id], store.List("100% juice_").Select(s => s.Id));
        Assert.Empty(store.List("100%x"));      // % and _ are literal, not wildcards
    }

    [Fact]
    public void RenameDeleteAndDeleteFollowingMessages()
    {
        var store = new ConversationStore(_dir);
        var c = store.Create(null, null);
        Assert.Equal("New chat", c.Title);
        Assert.Equal("Renamed", store.Update(c.Id, new ConversationPatch("Renamed", null))!.Title);
        var m1 = store.Append(c.Id, new MessagePatch("user", "q1", null, null))!;
        var m2 = store.Append(c.Id, new MessagePatch("assistant", "a1", null, null))!;
        store.Append(c.Id, new MessagePatch("user", "q2", null, null));
        store.Append(c.Id, new MessagePatch("assistant", "a2", null, null));
        Assert.Equal(3, store.DeleteMessage(c.Id, m2.Id, andFollowing: true));
        Assert.Equal([m1.Id], store.Get(c.Id)!.Messages.Select(m => m.Id));
        var m3 = store.Append(c.Id, new MessagePatch("assistant", "a1 again", null, null))!;
        Assert.Equal([m1.Id, m3.Id], store.Get(c.Id)!.Messages.Select(m => m.Id));   // appended after, not reusing a deleted slot

        Assert.True(store.Delete(c.Id));
        Assert.Null(store.Get(c.Id));
        Assert.False(store.Delete(c.Id));
        Assert.Null(store.Append(c.Id, new MessagePatch("user", "x", null, null)));
    }

    [Fact]
    public void RejectsBadRolesAndNonObjectSettings()
    {
        var store = new ConversationStore(_dir);
        var c = store.Create("x", null);
        Assert.Throws<ConversationStoreException>(() => store.Append(c.Id, new MessagePatch("tool", "x", null, null)));
        Assert.Throws<ConversationStoreException>(() => store.Append(c.Id, new MessagePatch("user", null, null, null)));
        Assert.Throws<ConversationStoreException>(() => store.Create("x", Obj("[1,2]")));
        Assert.Empty(store.Get(c.Id)!.Messages);
    }

    [Fact]
    public void ExportImportRoundTripsWithFreshIdsAndImportIsAllOrNothing()
    {
        var store = new ConversationStore(_dir);
        var c = store.Create("Export me", Obj("""{"thinking":false}"""));
        store.Append(c.Id, new MessagePatch("user", "$x^2$", null, null));
        store.Append(c.Id, new MessagePatch("assistant", "done", "thought", Obj("""{"model":"tiny"}""")));
        var json = JsonSerializer.Serialize(store.Export([c.Id]));

        var other = new ConversationStore(Path.Combine(_dir, "other"));
        var imported = other.Import(JsonSerializer.Deserialize<ConversationExport>(json)!);
        var copy = other.Get(Assert.Single(imported).Id)!;
        Assert.NotEqual(c.Id, copy.Id);
        Assert.Equal("Export me", copy.Title);
        Assert.Equal(["$x^2$", "done"], copy.Messages.Select(m => m.Content));
        Assert.Equal("thought", copy.Messages[1].Reasoning);
        Assert.Equal("tiny", copy.Messages[1].Meta!.Value.GetProperty("model").GetString());
        Assert.False(copy.Settings!.Value.GetProperty("thinking").GetBoolean());

        // A document whose second conversation is invalid imports nothing.
        var bad = new ConversationExport(ConversationExport.FormatName, 0,
        [
            copy,
            copy with { Messages = [copy.Messages[0] with { Role = "robot" }] },
        ]);
        Assert.Throws<ConversationStoreException>(() => other.Import(bad));
        Assert.Single(other.List());
        Assert.Throws<ConversationStoreException>(() => other.Import(new ConversationExport("something-else", 0, [])));
    }

    [Fact]
    public async Task ConcurrentWritersAllLand()
    {
        var store = new ConversationStore(_dir);
        var c = store.Create("busy", null);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() =>
        {
            for (var k = 0; k < 10; k++) store.Append(c.Id, new MessagePatch("user", $"{i}:{k}", null, null));
        })));
        var messages = store.Get(c.Id)!.Messages;
        Assert.Equal(80, messages.Count);
        Assert.Equal(80, messages.Select(m => m.Content).Distinct().Count());
    }
}
