import Foundation

/// The fuzz targets' life without libFuzzer: run the fuzz body on each file argument, or on
/// every file of a directory argument, so a plain build replays corpora and reproducers.
public enum CorpusReplay {
    public static func run(_ body: (UnsafeRawBufferPointer) -> Void) {
        let files = CommandLine.arguments.dropFirst().flatMap { path in
            (try? FileManager.default.contentsOfDirectory(atPath: path).sorted().map { "\(path)/\($0)" }) ?? [path]
        }
        for file in files {
            guard let input = FileManager.default.contents(atPath: file) else { fatalError("cannot read \(file)") }
            input.withUnsafeBytes(body)
        }
        print("replayed \(files.count) inputs")
    }
}
