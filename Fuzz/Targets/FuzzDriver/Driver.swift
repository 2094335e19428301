import ConcordFuzzChecks

/// The check this executable fuzzes, from its name: FuzzCsv → "csv".
let check: @Sendable ([UInt8]) -> String? = {
    let program = CommandLine.arguments.first?.split(separator: "/").last.map(String.init) ?? ""
    let target = program.hasPrefix("Fuzz") ? String(program.dropFirst(4)).lowercased() : program
    guard let check = FuzzChecks.targets[target] else { fatalError("no fuzz target named \(target)") }
    return check
}()

/// libFuzzer's callback: any violated promise aborts, and libFuzzer saves the input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    if let violation = check(bytes) { fatalError(violation) }
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzer(_ argc: UnsafeMutablePointer<CInt>,
               _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
               _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// Hands control to libFuzzer's driver (each target's <module>_main calls this).
public func runFuzzing(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return runFuzzer(&count, &arguments, fuzz)
}
