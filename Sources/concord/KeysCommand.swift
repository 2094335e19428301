import ArgumentParser
import Foundation
import ZeroMQ

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "管理 CURVE 密钥 (CURVE key pairs: the identity of a hub, office or department).",
        subcommands: [Generate.self, Public.self]
    )

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "生成一对 CURVE 密钥 (generate a key pair).",
            discussion: """
                写出 NAME.key（私钥，权限 600，不得外传）和 NAME.pub（公钥，交给对端登记），并打印公钥。
                已存在的文件不会被覆盖。

                例: concord keys generate --name 360402 --dir ./keys
                """
        )

        @Option(help: "密钥名称，用作文件名 (key name, e.g. hub or 360402).")
        var name: String

        @Option(help: "写入的目录 (output directory).")
        var dir: String = "."

        func run() async throws {
            try await reportingErrors {
                guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }),
                      !name.hasPrefix(".") else {
                    throw CLIError("KEY_BAD_NAME", "密钥名称只能包含字母、数字、- _ .，且不能以 . 开头：\(name)")
                }
                let pair = try CurveKeyPair.generate()
                let files = try KeyFiles.write(pair, name: name, directory: URL(fileURLWithPath: dir))
                print("已生成密钥对 \(name)")
                print("  私钥 (secret, 勿外传): \(files.secret.path)")
                print("  公钥 (public):         \(files.public.path)")
                print(pair.publicKey)
            }
        }
    }

    struct Public: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "从私钥文件算出公钥 (print the public key of a secret key file).",
            discussion: "例: concord keys public --secret-key-file ./keys/360402.key"
        )

        @Option(help: "私钥文件 (secret key file).")
        var secretKeyFile: String

        func run() async throws {
            try await reportingErrors {
                print(try KeyFiles.readSecret(secretKeyFile).publicKey)
            }
        }
    }
}
