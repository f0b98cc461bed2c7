namespace Starling.Net.Epoll;

/// <summary>Something an <see cref="EpollLoop"/> watches: an accepted connection or a listening socket.</summary>
internal abstract class EpollRegistration
{
    /// <summary>The loop's registration: slot and generation; 0 while not registered.</summary>
    internal ulong Token { get; set; }

    /// <summary>Called on the loop's thread with the epoll flags of an event.</summary>
    public abstract void OnEvents(uint flags);
}
