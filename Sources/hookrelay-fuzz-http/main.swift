// libFuzzer driver for HTTPRequestParser (see ParserFuzzer.swift for the checks, scripts/fuzz-http to run it).
//
// Built with `-sanitize=fuzzer,address -DFUZZING`, libFuzzer runs the show: SwiftPM links executables with their own
// `main`, so this `main.swift` hands control to `LLVMFuzzerRunDriver` instead of defining `LLVMFuzzerTestOneInput`.
// Without FUZZING (a plain `swift build`) it replays the files named on the command line, one run each.
import Glibc

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, count in
    ParserFuzzer.run(UnsafeBufferPointer(start: data, count: count))
    return 0
})
#else
/// The bytes of the file at `path`, or nil if it cannot be read.
func readFile(_ path: String) -> [UInt8]? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    while true {
        let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
        bytes += chunk[0..<count]
        if count < chunk.count { return ferror(file) == 0 ? bytes : nil }
    }
}

let paths = CommandLine.arguments.dropFirst()
if paths.isEmpty || paths.contains("-h") || paths.contains("--help") {
    print("""
        USAGE: hookrelay-fuzz-http <file> ...

        Runs the HTTP parser fuzz checks once on each file (a crash means an invariant broke).
        Build with -Xswiftc -DFUZZING -Xswiftc -sanitize=fuzzer,address to fuzz instead; see scripts/fuzz-http.
        """)
    exit(paths.isEmpty ? 64 : 0)
}
var unreadable = 0
for path in paths {
    guard let bytes = readFile(path) else {
        print("Error: cannot read \(path)")
        unreadable += 1
        continue
    }
    bytes.withUnsafeBufferPointer { ParserFuzzer.run($0) }
    print("ok \(path)")
}
exit(unreadable == 0 ? 0 : 1)
#endif
