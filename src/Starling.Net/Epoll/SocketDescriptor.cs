using Microsoft.Win32.SafeHandles;

namespace Starling.Net.Epoll;

/// <summary>
/// An accepted socket's descriptor. Disposing it closes the descriptor only once no system call holds it
/// (each call through <see cref="LibC"/> adds a reference for its duration), so a number reused by a later
/// connection is never read or written by this one.
/// </summary>
internal sealed class SocketDescriptor : SafeHandleMinusOneIsInvalid
{
    public SocketDescriptor(int fd)
        : base(ownsHandle: true) => SetHandle(fd);

    /// <summary>The descriptor number; valid only while the caller holds a reference (or before it is shared).</summary>
    public int Number => (int)handle;

    protected override bool ReleaseHandle() => LibC.Close((int)handle) == 0;
}
