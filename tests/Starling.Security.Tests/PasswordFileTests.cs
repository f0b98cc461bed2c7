namespace Starling.Security.Tests;

public sealed class PasswordFileTests
{
    [Fact]
    public void Hash_RoundTrips_AndRefusesAWrongPassword()
    {
        string hash = PasswordHasher.Hash("correct horse", 1000);
        Assert.True(PasswordHasher.Verify(hash, "correct horse"));
        Assert.False(PasswordHasher.Verify(hash, "correct horsE"));
        Assert.False(PasswordHasher.Verify(hash, ""));
    }

    [Fact]
    public void DefaultHash_IsPbkdf2Sha512_With210000Iterations_16ByteSalt_64ByteHash()
    {
        string hash = PasswordHasher.Hash("pw");
        var parts = hash.Split('$');
        Assert.Equal(["", "pbkdf2-sha512", "210000"], parts[..3]);
        Assert.Equal(16, Convert.FromBase64String(parts[3]).Length);
        Assert.Equal(64, Convert.FromBase64String(parts[4]).Length);
        Assert.NotEqual(hash, PasswordHasher.Hash("pw")); // a fresh salt each time
        Assert.True(PasswordHasher.Verify(hash, "pw"));
    }

    [Fact]
    public void File_SavesAndLoads_AddsChangesAndDeletesUsers()
    {
        string path = Path.Combine(Path.GetTempPath(), $"starling-pw-{Guid.NewGuid():N}");
        try
        {
            var file = new PasswordFile();
            file.SetPassword("alice", "a", 1000);
            file.SetPassword("bob smith", "b", 1000);
            file.Save(path);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            }

            var loaded = PasswordFile.Load(path);
            Assert.Equal(["alice", "bob smith"], loaded.Users);
            Assert.True(loaded.Verify("alice", "a"));
            Assert.True(loaded.Verify("bob smith", "b"));
            Assert.False(loaded.Verify("alice", "b"));
            Assert.False(loaded.Verify("carol", "a"));

            loaded.SetPassword("alice", "new", 1000);
            Assert.True(loaded.Remove("bob smith"));
            Assert.False(loaded.Remove("bob smith"));
            loaded.Save(path);
            var again = PasswordFile.Load(path);
            Assert.Equal(["alice"], again.Users);
            Assert.True(again.Verify("alice", "new"));
            Assert.False(again.Verify("alice", "a"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Parse_SkipsCommentsAndBlankLines()
    {
        string hash = PasswordHasher.Hash("x", 1000);
        var file = PasswordFile.Parse($"# users\n\nalice:{hash}\r\n  # more\n");
        Assert.Equal(["alice"], file.Users);
    }

    [Theory]
    [InlineData("alice\n", 1, "expected 'username:hash'")]
    [InlineData("# c\n\n:$pbkdf2-sha512$1000$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA==\n", 3, "expected 'username:hash'")]
    [InlineData("alice:$7$101$abc$def\n", 1, "unknown hash scheme '7'")]
    [InlineData("alice:$pbkdf2-sha512$many$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA==\n", 1, "bad iteration count 'many'")]
    [InlineData("alice:$pbkdf2-sha512$1000$!!!$AAAAAAAAAAAAAAAAAAAAAA==\n", 1, "not base64")]
    [InlineData("alice:plaintext\n", 1, "must look like")]
    [InlineData("alice:$pbkdf2-sha512$1000$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA==\nalice:$pbkdf2-sha512$1000$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA==\n", 2, "appears twice")]
    public void Parse_NamesTheFileAndLineOfAnError(string text, int line, string reason)
    {
        var error = Assert.Throws<SecurityFileFormatException>(() => PasswordFile.Parse(text, "passwd"));
        Assert.Equal(line, error.LineNumber);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.StartsWith($"passwd:{line}: ", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a:b")]
    [InlineData(" alice")]
    [InlineData("al\nice")]
    public void SetPassword_RefusesAUserNameTheFileCannotHold(string user) =>
        Assert.Throws<ArgumentException>(() => new PasswordFile().SetPassword(user, "pw", 1000));

    [Fact]
    public void Editor_AddsChangesAndDeletes_FromTheCommandLine()
    {
        string path = Path.Combine(Path.GetTempPath(), $"starling-pw-{Guid.NewGuid():N}");
        try
        {
            var output = new StringWriter();
            var error = new StringWriter();
            Assert.Equal(0, PasswordFileEditor.Run([path, "alice"], new StringReader("from stdin\n"), output, error));
            Assert.Equal(0, PasswordFileEditor.Run([path, "bob", "--password", "pw"], TextReader.Null, output, error));
            Assert.Equal(0, PasswordFileEditor.Run([path, "bob", "-p", "pw2"], TextReader.Null, output, error));
            Assert.Equal("added alice\nadded bob\nchanged the password of bob\n", output.ToString().ReplaceLineEndings("\n"));
            var file = PasswordFile.Load(path);
            Assert.True(file.Verify("alice", "from stdin"));
            Assert.True(file.Verify("bob", "pw2"));

            Assert.Equal(0, PasswordFileEditor.Run([path, "alice", "--delete"], TextReader.Null, output, error));
            Assert.Equal(1, PasswordFileEditor.Run([path, "alice", "--delete"], TextReader.Null, output, error));
            Assert.Contains("no user 'alice'", error.ToString(), StringComparison.Ordinal);
            Assert.Equal(["bob"], PasswordFile.Load(path).Users);

            Assert.Equal(2, PasswordFileEditor.Run([path], TextReader.Null, output, error));
            Assert.Equal(2, PasswordFileEditor.Run([path, "carol"], new StringReader(""), output, error));
            Assert.Equal(2, PasswordFileEditor.Run([path, "a:b", "-p", "x"], TextReader.Null, output, error));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
