import Testing

@testable import HookRelay

/// The dispatcher's per-destination FIFO of claimed deliveries waiting for admission.
@Suite struct HeldQueueTests {
    private func delivery(_ id: Int64) -> ClaimedDelivery {
        ClaimedDelivery(id: id, eventID: "e\(id)", source: "s", route: "r", destination: "d", attempts: 0, firstAttemptAt: nil,
                        receivedAt: 0, rawHeaders: [], rawBody: [], envelope: [], leaseUntil: 1)
    }

    @Test func takesInArrivalOrderAcrossCompactionsWhileAppending() {
        var queue = HeldQueue()
        var taken: [Int64] = []
        var next: Int64 = 0
        // Interleave appends and takes so the taken prefix crosses the compaction threshold many times.
        for round in 0..<50 {
            for _ in 0..<(7 + round % 5) {
                queue.append(delivery(next))
                next += 1
            }
            for _ in 0..<(5 + round % 7) {
                guard let first = queue.first else { break }
                taken.append(first.id)
                queue.removeFirst()
            }
        }
        #expect(queue.count == Int(next) - taken.count)
        while let first = queue.first {
            taken.append(first.id)
            queue.removeFirst()
        }
        #expect(taken == Array(0..<next))
        #expect(queue.isEmpty && queue.count == 0 && queue.first == nil)
    }

    @Test func removeAllReturnsWhatIsLeftOldestFirstAndEmptiesTheQueue() {
        var queue = HeldQueue()
        for id in 0..<200 { queue.append(delivery(Int64(id))) }
        for _ in 0..<130 { queue.removeFirst() }
        #expect(queue.count == 70)
        #expect(queue.first?.id == 130)
        let rest = queue.removeAll()
        #expect(rest.map(\.id) == Array(130..<200))
        #expect(queue.isEmpty)
        queue.append(delivery(7))
        #expect(queue.count == 1 && queue.first?.id == 7)
    }
}
