import Glibc

/// Starts the store's own pthreads (writer, maintenance).
///
/// The body is `sending`: it may capture non-`Sendable` objects (a connection and its prepared statements)
/// as long as the caller gives them up, so those objects live on exactly one thread without `Sendable`.
enum StoreThread {
    private final class Body {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    /// Starts a detached thread running `body`.
    static func start(_ body: sending @escaping () -> Void) throws(StoreError) {
        let box = Unmanaged.passRetained(Body(body)).toOpaque()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        var thread = pthread_t()
        let rc = pthread_create(&thread, &attributes, { raw in
            Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue().run()
            return nil
        }, box)
        if rc != 0 {
            Unmanaged<Body>.fromOpaque(box).release()
            throw StoreError.system(call: "pthread_create", errno: rc)
        }
    }

    /// Names the calling thread (at most 15 bytes are kept; shown by `top -H` and in `/proc`), as
    /// `pthread_setname_np` would, which Glibc's module does not export: Linux lets a thread write its own name to
    /// `/proc/thread-self/comm`. Best effort; on failure the thread keeps the process's name.
    static func nameCurrentThread(_ name: String) {
        let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        let bytes = Array(name.utf8.prefix(15))
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    /// The calling thread's id.
    static var current: pthread_t { pthread_self() }
}

/// A flag one thread waits on and others set: a pthread condition variable on the monotonic clock.
///
/// With `autoReset`, a successful `wait` clears the flag (a wake-up for one consumer; a `signal` that
/// comes before the `wait` is not lost). Without it, the flag stays set (a one-shot event for many waiters).
final class ThreadSignal: @unchecked Sendable {
    // @unchecked: the pthread objects live in heap memory that never moves, and `isSet` is only read or
    // written while `mutex` is held.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let autoReset: Bool
    private var isSet = false

    init(autoReset: Bool) {
        self.autoReset = autoReset
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Sets the flag and wakes the waiters.
    func signal() {
        pthread_mutex_lock(mutex)
        isSet = true
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Blocks until the flag is set.
    func wait() {
        pthread_mutex_lock(mutex)
        while !isSet { pthread_cond_wait(condition, mutex) }
        if autoReset { isSet = false }
        pthread_mutex_unlock(mutex)
    }

    /// Blocks until the flag is set or `milliseconds` pass; returns whether the flag was set.
    func wait(milliseconds: Int) -> Bool {
        var deadline = timespec()
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        let nanoseconds = Int(deadline.tv_nsec) + (milliseconds % 1000) * 1_000_000
        deadline.tv_sec += milliseconds / 1000 + nanoseconds / 1_000_000_000
        deadline.tv_nsec = nanoseconds % 1_000_000_000
        pthread_mutex_lock(mutex)
        while !isSet {
            if pthread_cond_timedwait(condition, mutex, &deadline) == ETIMEDOUT { break }
        }
        let wasSet = isSet
        if autoReset { isSet = false }
        pthread_mutex_unlock(mutex)
        return wasSet
    }
}

/// Wall-clock and monotonic time for the store.
enum StoreClock {
    /// A monotonic reading in microseconds, for durations.
    static func monotonicMicros() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000
    }
}
