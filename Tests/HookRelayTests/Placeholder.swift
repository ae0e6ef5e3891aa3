import Testing

@Test func placeholderHookRelayTests() { #expect(1 + 1 == 2) }
