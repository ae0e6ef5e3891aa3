import Glibc

/// Wall-clock time (for signature timestamps and envelope times; deadlines use the monotonic clock).
enum WallClock {
    static func unixMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec / 1_000_000)
    }

    static func unixSeconds() -> Int64 { unixMilliseconds() / 1000 }
}
