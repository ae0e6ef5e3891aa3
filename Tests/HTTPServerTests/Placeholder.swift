import Testing

@Test func placeholderHTTPServerTests() { #expect(1 + 1 == 2) }
