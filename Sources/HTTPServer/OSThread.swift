import CLinux
import Glibc

/// A joinable POSIX thread running a `@Sendable` closure.
///
/// The closure is checked for `Sendable` here, at the Swift boundary, before it crosses into C as a raw pointer.
/// Objects created inside the closure live on that thread only and need no `Sendable` conformance.
public final class OSThread: Sendable {
    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    private let thread: pthread_t

    /// Starts a thread named `name` (at most 15 bytes are kept) running `body`.
    public init(name: String, _ body: @escaping @Sendable () -> Void) {
        var tid = pthread_t()
        let arg = Unmanaged.passRetained(Body(body)).toOpaque()
        let rc = pthread_create(&tid, nil, { raw in
            Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue().run()
            return nil
        }, arg)
        precondition(rc == 0, "pthread_create failed: \(rc)")
        _ = pthread_setname_np(tid, String(name.prefix(15)))
        thread = tid
    }

    /// Waits for the thread to finish.
    public func join() {
        _ = pthread_join(thread, nil)
    }

    /// Whether the caller runs on this thread.
    public var isCurrent: Bool { pthread_equal(pthread_self(), thread) != 0 }
}
