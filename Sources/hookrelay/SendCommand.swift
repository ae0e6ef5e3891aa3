import Foundation
import HookRelay

/// `hookrelay send PROVIDER`: sign and send a realistic sample webhook.
enum SendCommand {
    static let spec = CommandSpec(
        name: "send",
        abstract: "Sign and send a realistic sample webhook, exactly as the provider would.",
        discussion: """
        Builds a sample event for PROVIDER, signs it with --secret the way the provider does (the verification code run
        in reverse) and POSTs it to --url. Prints the answer; exits 0 on 2xx, 1 otherwise. The secret may be a literal,
        env:NAME or file:PATH. Presets: \(samplingPresets.map { $0.name }.joined(separator: ", ")).
        """,
        arguments: [ArgumentSpec(name: "provider", help: "The provider preset.", isRepeatable: false, isOptional: false)],
        options: [
            .option("secret", "secret", help: "The signing secret (or key) the source is configured with."),
            .option("event", "type", help: "The provider event type to sample.", default: "the preset's typical event"),
            .option("url", "url", help: "Where to send it.", default: "http://127.0.0.1:8080/hooks/<provider>"),
        ]
    )

    static var samplingPresets: [any SamplingPreset.Type] {
        ProviderRegistry.presets.compactMap { $0 as? any SamplingPreset.Type }
    }

    static func run(_ arguments: ParsedArguments, output: any CLIOutput) -> Int32 {
        let name = arguments.positionals[0]
        func usage(_ message: String) -> Int32 { CLI.usageError(UsageError(message: message, command: spec.name), output: output) }
        guard let preset = samplingPresets.first(where: { $0.name == name }) else {
            return usage("No sample for provider '\(name)'; known: \(samplingPresets.map { $0.name }.joined(separator: ", "))")
        }
        guard let reference = arguments.value("secret") else { return usage("Missing '--secret <secret>'") }
        let secret: Secret
        do {
            secret = try Secret.resolve(reference, environment: ProcessInfo.processInfo.environment,
                                        directory: FileManager.default.currentDirectoryPath).0
        } catch {
            output.error("Error: --secret: \(error.message)")
            return ExitCode.failure
        }
        if let type = arguments.value("event"), !preset.sampleEventTypes.contains(type) {
            return usage("Unknown event type '\(type)' for \(name); known: \(preset.sampleEventTypes.joined(separator: ", "))")
        }
        let url = arguments.value("url") ?? "http://127.0.0.1:8080/hooks/\(name)"
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let nonce = String(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(24))
        let sample: SampleWebhook
        do {
            sample = try preset.sample(SampleRequest(secret: secret, eventType: arguments.value("event"), url: url, now: now, nonce: nonce))
        } catch {
            output.error("Error: \(error)")
            return ExitCode.failure
        }
        let target = sample.query.map { url + (url.contains("?") ? "&" : "?") + $0 } ?? url
        switch post(sample, to: target) {
        case .success(let (status, body)):
            output.print("\(status) \(String(decoding: body.prefix(2048), as: UTF8.self))")
            return (200..<300).contains(status) ? ExitCode.success : ExitCode.failure
        case .failure(let error):
            output.error("Error: \(error.description)")
            return ExitCode.failure
        }
    }

    /// One blocking POST through the delivery transport (a CLI, not the delivery path).
    static func post(_ sample: SampleWebhook, to url: String) -> Result<(Int, [UInt8]), SampleError> {
        let transport: CurlMultiTransport
        do { transport = try CurlMultiTransport() } catch { return .failure(SampleError("\(error)")) }
        defer { transport.shutdown() }
        let done = DispatchSemaphore(value: 0)
        let result = ResultBox()
        let request = OutboundRequest(url: url, headers: sample.headers, body: sample.body, timeout: .seconds(30))
        transport.send(request) { value in
            result.value = value
            done.signal()
        }
        done.wait()
        guard let value = result.value else { return .failure(SampleError("no answer")) }
        if let error = value.error { return .failure(SampleError(error.description)) }
        return .success((value.status ?? 0, value.bodyPrefix))
    }

    final class ResultBox: @unchecked Sendable {
        var value: AttemptResultValue?  // written once before the semaphore is signalled
    }
}
