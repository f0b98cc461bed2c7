using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Starling.Security;

/// <summary>
/// Salted PBKDF2-HMAC-SHA512 password hashes in the form <c>$pbkdf2-sha512$ITERATIONS$SALT_BASE64$HASH_BASE64</c>,
/// computed with .NET's <see cref="Rfc2898DeriveBytes.Pbkdf2(byte[], byte[], int, HashAlgorithmName, int)"/>.
/// </summary>
public static class PasswordHasher
{
    /// <summary>The scheme name between the first two '$'.</summary>
    public const string Scheme = "pbkdf2-sha512";

    /// <summary>Iterations of a new hash: OWASP's 2023 recommendation for PBKDF2-HMAC-SHA512 (about 100 ms of CPU).</summary>
    public const int DefaultIterations = 210_000;

    /// <summary>Bytes of random salt of a new hash.</summary>
    public const int SaltSize = 16;

    /// <summary>Bytes of derived key of a new hash.</summary>
    public const int HashSize = 64;

    /// <summary>Hashes <paramref name="password"/> with a fresh random salt.</summary>
    public static string Hash(string password, int iterations = DefaultIterations)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        byte[] salt = RandomNumberGenerator.GetBytes(SaltSize);
        byte[] hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA512, HashSize);
        return string.Create(CultureInfo.InvariantCulture, $"${Scheme}${iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}");
    }

    /// <summary>Whether <paramref name="encoded"/> is a hash this class can verify; <paramref name="error"/> says why not.</summary>
    public static bool TryParse(string encoded, out int iterations, out byte[] salt, out byte[] hash, out string? error)
    {
        iterations = 0;
        salt = [];
        hash = [];
        var parts = encoded.Split('$');
        if (parts.Length != 5 || parts[0].Length != 0)
        {
            error = $"the hash must look like ${Scheme}$ITERATIONS$SALT$HASH";
            return false;
        }

        if (parts[1] != Scheme)
        {
            error = $"unknown hash scheme '{parts[1]}' (only {Scheme} is supported)";
            return false;
        }

        if (!int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out iterations) || iterations < 1)
        {
            error = $"bad iteration count '{parts[2]}'";
            return false;
        }

        try
        {
            salt = Convert.FromBase64String(parts[3]);
            hash = Convert.FromBase64String(parts[4]);
        }
        catch (FormatException)
        {
            error = "the salt or the hash is not base64";
            return false;
        }

        if (salt.Length < 8 || hash.Length < 16)
        {
            error = "the salt must be at least 8 bytes and the hash at least 16";
            return false;
        }

        error = null;
        return true;
    }

    /// <summary>Whether <paramref name="password"/> matches <paramref name="encoded"/> (compared in constant time).</summary>
    public static bool Verify(string encoded, string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        if (!TryParse(encoded, out int iterations, out var salt, out var expected, out _))
        {
            return false;
        }

        byte[] actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA512, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }
}
