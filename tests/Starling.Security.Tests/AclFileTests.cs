namespace Starling.Security.Tests;

public sealed class AclFileTests
{
    private const string Text = """
        # anonymous clients
        topic read public/#

        user alice
        topic read sensors/#
        topic write sensors/alice/#
        topic readwrite shared

        user bob
        topic secret/#
        topic write sensors/#

        pattern readwrite users/%u/#
        pattern write clients/%c/status
        """;

    private static readonly AclFile Acl = AclFile.Parse(Text, "acl");

    [Fact]
    public void Parse_ReadsSectionsPatternsAndAccess()
    {
        Assert.False(Acl.DefaultAllow);
        Assert.Equal([new AclRule(AclAccess.Read, "public/#", false, 2)], Acl.AnonymousRules);
        Assert.Equal(["alice", "bob"], Acl.Users.Order());
        Assert.Equal(AclAccess.ReadWrite, Acl.RulesOf("bob")[0].Access);
        Assert.Equal(2, Acl.Patterns.Count);
    }

    [Theory]
    [InlineData("alice", "c1", "sensors/#", true)]
    [InlineData("alice", "c1", "sensors/kitchen/+", true)]
    [InlineData("alice", "c1", "sensors/kitchen/temp", true)]
    [InlineData("alice", "c1", "$share/g/sensors/#", true)]
    [InlineData("alice", "c1", "secret/#", false)]
    [InlineData("alice", "c1", "#", false)]
    [InlineData("alice", "c1", "+/kitchen", false)]
    [InlineData("alice", "c1", "$share/g/secret/x", false)]
    [InlineData("alice", "c1", "shared", true)]
    [InlineData("alice", "c1", "users/alice/#", true)]
    [InlineData("alice", "c1", "users/bob/#", false)]
    [InlineData("alice", "c1", "users/+/inbox", false)]
    [InlineData("alice", "c1", "clients/c1/status", false)]
    [InlineData("bob", "c2", "secret/a/b", true)]
    [InlineData("bob", "c2", "sensors/#", false)]
    [InlineData(null, "c3", "public/news", true)]
    [InlineData(null, "c3", "sensors/#", false)]
    [InlineData(null, "c3", "users/%u/#", false)]
    [InlineData("carol", "c4", "public/news", false)]
    [InlineData("carol", "c4", "users/carol/x", true)]
    public void Subscribe_NeedsAReadRuleCoveringTheFilter(string? user, string clientId, string filter, bool allowed) =>
        Assert.Equal(allowed, Acl.CanSubscribe(user, clientId, filter));

    [Theory]
    [InlineData("alice", "c1", "sensors/alice/temp", true)]
    [InlineData("alice", "c1", "sensors/bob/temp", false)]
    [InlineData("alice", "c1", "shared", true)]
    [InlineData("alice", "c1", "other", false)]
    [InlineData("alice", "c1", "users/alice/x", true)]
    [InlineData("alice", "c1", "users/bob/x", false)]
    [InlineData("alice", "c1", "clients/c1/status", true)]
    [InlineData("alice", "c1", "clients/c2/status", false)]
    [InlineData("bob", "c2", "sensors/x", true)]
    [InlineData("bob", "c2", "secret/x", true)]
    [InlineData(null, "c3", "public/x", false)]
    [InlineData(null, "c3", "clients/c3/status", true)]
    public void Publish_NeedsAWriteRuleMatchingTheTopic(string? user, string clientId, string topic, bool allowed) =>
        Assert.Equal(allowed, Acl.CanPublish(user, clientId, topic));

    [Theory]
    [InlineData("a/+")]
    [InlineData("a#")]
    [InlineData("#")]
    [InlineData("a/b")]
    public void PatternSubstitution_RefusesNamesWithWildcardsOrSlashes(string name)
    {
        var acl = AclFile.Parse("pattern readwrite users/%u/#\npattern readwrite clients/%c");
        Assert.False(acl.CanPublish(name, "ok", $"users/{name}/x"));
        Assert.False(acl.CanSubscribe(name, "ok", "users/#"));
        Assert.False(acl.CanPublish("ok", name, $"clients/{name}"));
        Assert.True(acl.CanPublish("ok", "ok", "users/ok/x"));
    }

    [Fact]
    public void DefaultAllow_AllowsWhatNoRuleRestricts()
    {
        var acl = AclFile.Parse("default allow\nuser alice\ntopic read sensors/#\ntopic write cmd/#\n");
        Assert.True(acl.DefaultAllow);
        Assert.True(acl.CanPublish("alice", "c", "anything"));
        Assert.False(acl.CanPublish("alice", "c", "sensors/x")); // read-only for alice
        Assert.True(acl.CanPublish("alice", "c", "cmd/x"));
        Assert.True(acl.CanSubscribe("alice", "c", "sensors/#"));
        Assert.True(acl.CanSubscribe("alice", "c", "anything/#"));
        Assert.False(acl.CanSubscribe("alice", "c", "cmd/x")); // write-only for alice
        Assert.False(acl.CanSubscribe("alice", "c", "#")); // overlaps cmd/#
        Assert.True(acl.CanSubscribe("bob", "c", "#"));
        Assert.True(acl.CanPublish("bob", "c", "sensors/x"));
    }

    [Fact]
    public void DefaultDeny_IsTheDefault_AndCanBeWritten()
    {
        Assert.False(AclFile.Parse("").CanPublish("alice", "c", "x"));
        Assert.False(AclFile.Parse("default deny").CanSubscribe("alice", "c", "x"));
    }

    [Theory]
    [InlineData("user\n", 1, "needs a user name")]
    [InlineData("\n\ntopic read\n", 3, "needs a topic filter")]
    [InlineData("topic read a/#/b\n", 1, "not a valid topic filter")]
    [InlineData("pattern write users/%u#\n", 1, "not a valid topic filter")]
    [InlineData("topic deny secret/#\n", 1, "'deny' rules are not supported")]
    [InlineData("default maybe\n", 1, "must be 'allow' or 'deny'")]
    [InlineData("default allow\ndefault deny\n", 2, "a second 'default' line")]
    [InlineData("# ok\nuser a\nsubscribe x\n", 3, "unknown keyword 'subscribe'")]
    public void Parse_NamesTheFileAndLineOfAnError(string text, int line, string reason)
    {
        var error = Assert.Throws<SecurityFileFormatException>(() => AclFile.Parse(text, "acl"));
        Assert.Equal(line, error.LineNumber);
        Assert.StartsWith($"acl:{line}: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a/#", "a/b/+", true)]
    [InlineData("a/#", "a", true)]
    [InlineData("a/#", "a/#", true)]
    [InlineData("a/+", "a/b", true)]
    [InlineData("a/+", "a/+", true)]
    [InlineData("a/+", "a/#", false)]
    [InlineData("a/+", "a/b/c", false)]
    [InlineData("a/b", "a/+", false)]
    [InlineData("+/+", "a/+", true)]
    [InlineData("#", "a/b", true)]
    [InlineData("#", "$SYS/x", false)]
    [InlineData("+/x", "$SYS/x", false)]
    [InlineData("$SYS/#", "$SYS/x", true)]
    [InlineData("a/b", "a/b", true)]
    [InlineData("a/b", "a", false)]
    [InlineData("a", "a/b", false)]
    public void Covers(string rule, string filter, bool covers) => Assert.Equal(covers, AclFilters.Covers(rule, filter));

    [Theory]
    [InlineData("a/#", "a/b", true)]
    [InlineData("a/#", "a", true)]
    [InlineData("#", "a", true)]
    [InlineData("a/+", "+/b", true)]
    [InlineData("a/+", "b/+", false)]
    [InlineData("a/+", "a/b/c", false)]
    [InlineData("a/+/#", "a/b", true)]
    [InlineData("#", "$SYS/a", false)]
    [InlineData("a/b", "a/b/c", false)]
    public void Overlap(string a, string b, bool overlap)
    {
        Assert.Equal(overlap, AclFilters.Overlap(a, b));
        Assert.Equal(overlap, AclFilters.Overlap(b, a));
    }
}
