using System.Runtime.InteropServices;

namespace Starling.Compare;

internal sealed partial class IdleConnector
{
    /// <summary>The Linux calls the connector makes beyond what <see cref="System.Net.Sockets.Socket"/> offers (man 2 connect, epoll_ctl).</summary>
    private static unsafe partial class LibC
    {
        public const int EpollCloexec = 0x80000;
        public const int EpollCtlAdd = 1;
        public const int EpollCtlDel = 2;
        public const int EpollCtlMod = 3;

        public const uint EpollIn = 0x001;
        public const uint EpollOut = 0x004;
        public const uint EpollRdHup = 0x2000;
        public const uint EpollEdgeTriggered = 1u << 31;

        public const int EIntr = 4;
        public const int EInProgress = 115;

        /// <summary>
        /// struct epoll_event is packed on x86-64 (12 bytes, data at offset 4) and naturally aligned elsewhere
        /// (16 bytes, data at offset 8).
        /// </summary>
        public static readonly int EpollEventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

        public static readonly int EpollEventDataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

        [LibraryImport("libc", EntryPoint = "connect", SetLastError = true)]
        public static partial int Connect(SafeHandle socket, byte* address, uint addressLength);

        [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
        public static partial int EpollCreate(int flags);

        [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
        public static partial int EpollCtl(int epollFd, int operation, SafeHandle fd, byte* epollEvent);

        [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
        public static partial int EpollWait(int epollFd, byte* events, int maximumEvents, int timeoutMilliseconds);

        [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
        public static partial int Close(int fd);
    }
}
