@testable import hookrelay
import HTTPServer
import Testing
import TestSupport

/// Collects what a command prints.
final class CapturedOutput: CLIOutput {
    var out = ""
    var err = ""
    func print(_ text: String) { out += text + "\n" }
    func error(_ text: String) { err += text + "\n" }
}

@Suite struct CLIParsingTests {
    func run(_ arguments: [String]) -> (Int32, CapturedOutput) {
        let output = CapturedOutput()
        return (CLI.run(arguments, output: output), output)
    }

    @Test func printsRootHelpWithSubcommands() {
        let (code, output) = run(["--help"])
        #expect(code == 0)
        #expect(output.out.contains("OVERVIEW:"))
        #expect(output.out.contains("USAGE: hookrelay <subcommand>"))
        #expect(output.out.contains("SUBCOMMANDS:"))
        #expect(output.out.contains("serve"))
    }

    @Test func printsCommandHelpForHelpAndDashDashHelp() {
        let (a, first) = run(["help", "serve"])
        let (b, second) = run(["serve", "--help"])
        #expect(a == 0 && b == 0)
        #expect(first.out == second.out)
        #expect(first.out.contains("--listen <address>"))
        #expect(first.out.contains("(default: 0.0.0.0:8080)"))
    }

    @Test func rejectsAnUnknownSubcommandWithASuggestionAndExit64() {
        let (code, output) = run(["serv"])
        #expect(code == 64)
        #expect(output.err.hasPrefix("Error: Unknown subcommand 'serv'. Did you mean 'serve'?\nUsage: "))
        #expect(output.err.contains("See 'hookrelay --help'"))
    }

    @Test func rejectsUnknownOptionsAndMissingValues() {
        let (code, output) = run(["serve", "--listn", "x"])
        #expect(code == 64)
        #expect(output.err.contains("Error: Unknown option '--listn'. Did you mean '--listen'?"))
        #expect(output.err.contains("See 'hookrelay serve --help'"))
        let (missing, missingOutput) = run(["serve", "--listen"])
        #expect(missing == 64)
        #expect(missingOutput.err.contains("Missing value for '--listen <address>'"))
    }

    @Test func validatesServeOptionsBeforeRunning() throws {
        func validate(_ arguments: [String], files: Set<String> = []) throws(UsageError) -> ServeCommand.Options {
            try ServeCommand.validate(try ServeCommand.spec.parse(arguments)) { files.contains($0) }
        }
        #expect(try validate(["--listen", "127.0.0.1:9000"]).listen == ListenAddress(host: "127.0.0.1", port: 9000))
        #expect(try validate([]).tls == nil)
        #expect(try validate([], files: ["certs/server.crt", "certs/server.key"]).tls?.certificatePath == "certs/server.crt")
        #expect(throws: UsageError.self) { try validate(["--listen", "nohost"]) }
        #expect(throws: UsageError.self) { try validate(["--listen", "1.2.3.4:70000"]) }
        #expect(throws: UsageError.self) { try validate(["--tls-cert", "a.crt"], files: ["a.crt"]) }
        #expect(throws: UsageError.self) { try validate(["--tls-cert", "a.crt", "--tls-key", "missing.key"], files: ["a.crt"]) }
        #expect(throws: UsageError.self) { try validate(["--threads", "0"]) }
        #expect(throws: UsageError.self) { try validate(["--log-level", "loud"]) }
        #expect(throws: UsageError.self) { try validate(["--shutdown-grace", "ten"]) }
        #expect(throws: UsageError.self) { try validate(["--threads", "2", "--threads", "3"]) }
        #expect(try validate(["--shutdown-grace", "500ms"]).shutdownGrace == .milliseconds(500))
    }

    @Test func printsTheVersion() {
        let (code, output) = run(["version"])
        #expect(code == 0)
        #expect(output.out.hasPrefix("hookrelay "))
        let (flagCode, flagOutput) = run(["--version"])
        #expect(flagCode == 0 && flagOutput.out == output.out)
    }
}

@Suite(.timeLimit(.minutes(1)))
struct CLIBinaryTests {
    let binary = buildProductsDirectory + "/hookrelay"

    @Test func binaryExitsWith64AndTheErrorShapeOnBadUsage() throws {
        let (status, output) = try runProgram(binary, ["serve", "--bogus"])
        #expect(status == 64)
        #expect(output.contains("Error: Unknown option '--bogus'"))
        #expect(output.contains("Usage: hookrelay serve"))
    }

    @Test func binaryExitsWith1WhenItCannotBind() throws {
        // 192.0.2.1 (TEST-NET-1) is not an address of this machine: bind fails with EADDRNOTAVAIL.
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try writeMinimalRoutes(in: directory)
        let (status, output) = try runProgram(binary, ["serve", "--listen", "192.0.2.1:8080"], currentDirectory: directory.path)
        #expect(status == 1)
        #expect(output.contains("Error: bind 192.0.2.1:8080 failed"))
    }
}
