import FuzzDriver

/// SwiftPM links an executable's main to <module>_main.
@_cdecl("FuzzTopics_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzing(argc, argv) }
